//! Scenario parsing and validation on arbitrary bytes: never a panic, and
//! every scenario backsim accepts writes a resolved `scenario.toml` that it
//! accepts again and resolves to the same text. The check lives in the
//! library (`backsim::fuzzing`), where `cargo test` runs it on
//! `fuzz/regressions/scenario/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| backsim::fuzzing::check_scenario(data));
