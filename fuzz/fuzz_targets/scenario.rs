//! Scenario parsing and validation on arbitrary bytes: never a panic, and
//! every scenario backsim accepts writes a resolved `scenario.toml` that it
//! accepts again and resolves to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return; // backsim refuses non-UTF-8 files before parsing
    };
    // A trace file named by the input is the input itself, so that trace
    // parsing is reached from scenario files too.
    let files = |name: &str| Ok((data.to_vec(), name.to_string()));
    let Ok(scenario) = backsim::scenario::parse_with(src, "fuzz.toml", "fuzz", &files) else {
        return;
    };
    let resolved = scenario.to_toml();
    let again = backsim::scenario::parse_with(&resolved, "scenario.toml", "fuzz", &files)
        .unwrap_or_else(|e| panic!("the resolved scenario does not parse:\n{e}\n{resolved}"));
    assert_eq!(again.to_toml(), resolved, "resolving twice changed the scenario");
});
