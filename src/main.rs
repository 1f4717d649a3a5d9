//! The `backsim` binary: parse arguments, run, map errors to exit codes
//! (0 done, 1 failed while running or writing, 2 wrong input).

use clap::Parser;

fn main() {
    let cli = backsim::cli::Cli::parse();
    if let Err(e) = backsim::commands::run(cli) {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}
