//! Integration tests of backsim: closed-form results, statistical laws,
//! conservation laws, determinism and the command-line contract
//! (`/work/shared/design/model.md` and `interface.md`).

mod cli;
mod closed_form;
mod common;
mod conservation;
mod determinism;
mod statistics;
