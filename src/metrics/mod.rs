//! Measurements: per-run counters and time series ([`run`]), their
//! reduction and aggregation across replications ([`summary`]), the
//! time-to-success distribution's grid ([`cdf`]), and the statistics they
//! use ([`stats`]).

pub mod cdf;
pub mod run;
pub mod stats;
pub mod summary;
