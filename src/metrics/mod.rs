//! Measurements: per-run counters and time series ([`run`]), the plain
//! counts a run and its summary share ([`counts`]), whether a run
//! recovered ([`recovery`]), their reduction and aggregation across
//! replications ([`summary`]), the time-to-success distribution's grid
//! ([`cdf`]), and the statistics they use ([`stats`]).

pub mod cdf;
pub mod counts;
pub mod peak;
pub mod recovery;
pub mod run;
pub mod stats;
pub mod summary;
