//! The `backsim` binary: parse arguments, run, map errors to exit codes
//! (0 done, 1 failed while running or writing, 2 wrong input).

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = backsim::cli::Cli::parse();
    // Without the handler Ctrl-C still stops backsim, only less tidily.
    let _ = backsim::interrupt::install();
    if let Err(e) = backsim::commands::run(cli) {
        // A closed stderr is no reason to panic; the exit code still tells.
        let _ = writeln!(std::io::stderr(), "{e}");
        std::process::exit(e.exit_code());
    }
}
