//! Integration tests of backsim: closed-form results, statistical laws,
//! conservation laws, determinism and the command-line contract
//! (the model and the user-facing contract the README describes).

mod architecture;
mod browser;
mod charts;
mod classics;
mod cli;
mod client_side;
mod closed_form;
mod common;
mod conservation;
mod dataframes;
mod determinism;
mod diff;
mod findings;
mod fuzz_regressions;
mod golden;
mod guards;
mod hedging;
mod interrupt;
mod layers;
mod limiters;
mod llm;
mod malformed;
mod new;
mod outputs;
mod ownership;
mod page;
mod prices;
mod properties;
mod real_validation;
mod resources;
mod reuse;
mod schema_hints;
mod stacks;
mod statistics;
mod sweep;
mod terminal;
mod tune;
