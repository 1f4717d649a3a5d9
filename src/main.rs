//! The `backsim` binary: parse arguments, run, map errors to exit codes
//! (0 done, 1 failed while running or writing, 2 wrong input).

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = backsim::cli::Cli::parse();
    backsim::terminal::set_color(cli.output.color);
    // Without the handler Ctrl-C still stops backsim, only less tidily.
    ignore_file_size_signal();
    backsim::pages::init();
    let _ = backsim::interrupt::install();
    if let Err(e) = backsim::commands::run(cli) {
        // A closed stderr is no reason to panic; the exit code still tells.
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            e.render(backsim::terminal::color())
        );
        std::process::exit(e.exit_code());
    }
}

/// Makes a write past the file-size limit (`ulimit -f`) fail with EFBIG,
/// which backsim reports (exit 1) after removing its temporary files,
/// instead of the default SIGXFSZ, which kills the process mid-write.
#[cfg(unix)]
fn ignore_file_size_signal() {
    // SAFETY: `signal` with `SIG_IGN` only changes the disposition of a
    // signal no Rust code handles; it runs before any other thread starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_file_size_signal() {}
