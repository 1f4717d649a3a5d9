//! Trace-file parsing on arbitrary bytes: never a panic; a refusal names a
//! line that is in the file; accepted rows are in time order.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match backsim::scenario::trace::parse(data) {
        Ok(rows) => assert!(rows.windows(2).all(|w| w[0].start <= w[1].start)),
        Err((line, _)) => {
            let lines = data.split(|&b| b == b'\n').count() as u64;
            assert!(line >= 1 && line <= lines.max(1), "line {line} of {lines}");
        }
    }
});
