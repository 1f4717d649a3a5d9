//! One run's report: its data files (writers in [`csv`], [`requests`] and
//! [`json`], the reader in [`read`]), its charts ([`chart`]), the terminal
//! table ([`table`]), the findings ([`findings`]) and its `index.html`
//! ([`page`]).

pub mod chart;
pub mod csv;
pub mod findings;
pub mod json;
pub mod page;
pub mod read;
pub mod requests;
pub mod table;
