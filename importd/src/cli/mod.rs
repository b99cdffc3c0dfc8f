//! The command line: one file per command. `args.rs` holds the clap types (a leaf); `run`
//! dispatches. Commands report a [`Failure`] carrying the exit code; only this room prints
//! to stdout.

pub mod anonymize;
pub mod args;
pub mod audit;
pub mod demo;
pub mod keys;
pub mod offboard;
pub mod preview;
pub mod reveal;
pub mod rules;
pub mod serve;
pub mod subject;
pub mod verify;

use crate::exit::Failure;
use args::{AuditCommand, Cli, Command, KeysCommand, RulesCommand, SubjectCommand, TenantCommand};

/// Runs the parsed command.
pub fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Anonymize(args) => anonymize::command(args),
        Command::Rules(RulesCommand::Check { files }) => rules::check(files),
        Command::Rules(RulesCommand::Suggest { input, rows }) => rules::suggest(input, *rows),
        Command::Rules(RulesCommand::Preview(args)) => preview::run(args),
        Command::Rules(RulesCommand::Schema) => {
            println!("{}", anonymizer_core::rule::json_schema());
            Ok(())
        }
        Command::Reveal(args) => reveal::run(args),
        Command::Serve(args) => serve::command(args),
        Command::Audit(AuditCommand::Verify { config, tenant }) => audit::verify_command(config, tenant),
        Command::Subject(SubjectCommand::Find(args)) => subject::run(args, subject::Verb::Find),
        Command::Subject(SubjectCommand::Export(args)) => subject::run(args, subject::Verb::Export),
        Command::Subject(SubjectCommand::Erase(args)) => subject::run(args, subject::Verb::Erase),
        Command::Verify(args) => verify::command(args),
        Command::Keys(KeysCommand::New { out }) => keys::new_key(out).map(|id| {
            println!("wrote a new key to {} (key id {id}); keep it secret and back it up", out.display());
        }),
        Command::Tenant(TenantCommand::Offboard { config, tenant, confirm, report }) => {
            offboard::offboard(config, tenant, confirm.as_deref(), report.as_deref())
        }
        Command::Keys(KeysCommand::Ring { dir, from }) => keys::new_ring(dir, from.as_deref()),
        Command::Keys(KeysCommand::Rotate { config, tenant }) => keys::rotate(config, tenant),
        Command::Keys(KeysCommand::List { config, tenant }) => keys::list(config, tenant),
    }
}
