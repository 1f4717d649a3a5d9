//! One run's report: its data files (one exporter each in [`export`], the
//! columns in [`csv`], the reader in [`read`]), the `--json` document
//! ([`json`]), its charts ([`chart`]), the terminal
//! table ([`table`]), the findings ([`findings`]) and its `index.html`
//! ([`page`]), with its charts' numbers for the page's script
//! ([`interactive`]).

pub mod chart;
pub mod csv;
pub mod export;
pub mod findings;
pub mod interactive;
pub mod json;
pub mod page;
pub mod read;
pub mod table;
