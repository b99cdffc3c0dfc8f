//! importd: parse the command line → run the command → exit code (0 ok, 1 runtime failure,
//! 2 usage or configuration error). Everything else lives in the library (`lib.rs`).

use std::process::ExitCode;

use clap::Parser;

/// jemalloc: with the reader, transform and write threads each allocating and freeing a
/// batch's buffers, glibc's per-thread arenas kept growing with the input (peak RSS +27 % at
/// 5× the rows); jemalloc stays flat (+4 %), which bounded memory means, and the daemon runs
/// for months.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Panics are contained (a third-party decoder on a hostile file, a transform) and turned
    // into errors or quarantines; report only where, never the payload, which may quote data.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("note: an internal error was contained ({at}); the message below says what failed");
    }));
    // Test builds only (`failpoints` feature): crash points configured by FAILPOINTS.
    #[cfg(all(feature = "failpoints", debug_assertions))]
    let _failpoints = fail::FailScenario::setup();
    let cli = importd::cli::args::Cli::parse();
    match importd::cli::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message.trim_end());
            f.exit_code()
        }
    }
}
