//! A sweep's report: `summary.csv` with one column per swept key,
//! `sweep.csv` (each key metric against the swept values, with 95%
//! confidence bounds), one chart per key metric ([`chart`]), for a
//! scenario with `[report.recovery]` and at least two swept keys a map of
//! the recovered shares ([`map_chart`]), and `index.html` ([`page`]);
//! the numbers its page's script draws ([`interactive`]);
//! the terminal table ([`table`]) and findings ([`findings`]); a shard's
//! partial report and the merge of shards ([`shard`]).
//!
//! [`SweepData`] ([`data`]) is what the sweep charts and page are drawn
//! from, read back from the files `write` makes (`read`), so that
//! `backsim plot` and `backsim merge` draw exactly what `backsim sweep`
//! drew.

pub mod chart;
pub mod data;
pub mod findings;
pub mod interactive;
pub mod json;
pub mod map_chart;
pub mod page;
pub mod read;
pub mod shard;
pub mod table;
pub mod write;

#[cfg(test)]
mod tests;

pub use data::*;
pub use read::*;
pub use shard::*;
pub use write::*;
