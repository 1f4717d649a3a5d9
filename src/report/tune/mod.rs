//! The report of `backsim tune`: its files, terminal text and `--json`
//! document ([`output`]) and its Pareto charts ([`chart`]).

pub mod chart;
pub mod output;
