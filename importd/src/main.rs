//! importd: parse the command line → run the command → exit code (0 ok, 1 runtime failure,
//! 2 usage or configuration error).

mod anonymize;
mod cli;
mod commit;
mod demo;
mod exit;
mod keys;
mod reveal;
mod rules_cmd;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, KeysCommand, RulesCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Anonymize(args) => anonymize::command(args),
        Command::Rules(RulesCommand::Check { files }) => rules_cmd::check(files),
        Command::Rules(RulesCommand::Suggest { input, rows }) => rules_cmd::suggest(input, *rows),
        Command::Reveal(args) => reveal::run(args),
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
