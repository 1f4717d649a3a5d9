//! Measurements: per-run counters and time series ([`run`]), their
//! reduction and aggregation across replications ([`summary`]), and the
//! statistics both use ([`stats`]).

pub mod run;
pub mod stats;
pub mod summary;
