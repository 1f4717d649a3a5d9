//! Trace-file parsing on arbitrary bytes: never a panic; accepted rows are
//! in time order and read back the same from a report's copy; a refusal
//! names lines of the file in order and prints no control characters. The
//! check lives in the library (`backsim::fuzzing`), where `cargo test`
//! runs it on `fuzz/regressions/trace/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| backsim::fuzzing::check_trace(data));
