//! importd: parse the command line → run the command → exit code (0 ok, 1 runtime failure,
//! 2 usage or configuration error).

mod anonymize;
mod audit;
mod cli;
mod commit;
mod config;
mod daemon;
mod demo;
mod events;
mod exit;
mod intake;
mod job;
mod keys;
mod ledger;
mod metrics;
mod outcome;
mod preview;
mod recover;
mod reveal;
mod rules_cmd;
mod serve;
mod watch;

use std::process::ExitCode;

/// jemalloc: with the reader, transform and write threads each allocating and freeing a
/// batch's buffers, glibc's per-thread arenas kept growing with the input (peak RSS +27 % at
/// 5× the rows); jemalloc stays flat (+4 %), which bounded memory means, and the daemon runs
/// for months.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;

use cli::{AuditCommand, Cli, Command, KeysCommand, RulesCommand};

fn main() -> ExitCode {
    // Panics are contained (a third-party decoder on a hostile file, a transform) and turned
    // into errors or quarantines; report only where, never the payload, which may quote data.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("note: an internal error was contained ({at}); the message below says what failed");
    }));
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Anonymize(args) => anonymize::command(args),
        Command::Rules(RulesCommand::Check { files }) => rules_cmd::check(files),
        Command::Rules(RulesCommand::Suggest { input, rows }) => rules_cmd::suggest(input, *rows),
        Command::Rules(RulesCommand::Preview(args)) => preview::run(args),
        Command::Rules(RulesCommand::Schema) => {
            println!("{}", anonymizer_core::rule::json_schema());
            Ok(())
        }
        Command::Reveal(args) => reveal::run(args),
        Command::Serve(args) => serve::command(args),
        Command::Audit(AuditCommand::Verify { config, tenant }) => audit::verify_command(config, tenant),
        Command::Keys(KeysCommand::New { out }) => keys::new_key(out).map(|id| {
            println!("wrote a new key to {} (key id {id}); keep it secret and back it up", out.display());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message.trim_end());
            f.exit_code()
        }
    }
}
