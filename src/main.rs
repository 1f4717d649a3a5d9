//! The `backsim` binary: parse arguments, run, map errors to exit codes
//! (0 done, 1 failed while running or writing, 2 wrong input).

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = backsim::cli::Cli::parse();
    backsim::terminal::set_color(cli.output.color);
    // Without the handler Ctrl-C still stops backsim, only less tidily.
    ignore_file_size_signal();
    map_large_blocks_apart();
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

/// Gives every block of 4 MiB or more a mapping of its own, which goes
/// back to the system when the block is freed (glibc's allocator).
/// Otherwise glibc raises that threshold each time it frees such a
/// mapping, up to 32 MiB, and blocks below it then come from its heap,
/// whose freed pages stay with the process: the 10⁶-client burst run
/// with both strategies in one process peaked at 174 MB instead of
/// 143 MB, its second run holding the first one's freed lanes (20-byte
/// entries: 21 MB at a million) on top of its own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn map_large_blocks_apart() {
    // SAFETY: `mallopt` sets one of the allocator's tunables; it runs
    // before any other thread starts, and its result (whether the value
    // was taken) changes nothing else.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn map_large_blocks_apart() {}
