//! `importd serve`: load and validate the configuration (exit 2 on any problem), start
//! logging, run the daemon.

use crate::cli::args::ServeArgs;
use crate::daemon::config::Settings;
use crate::exit::Failure;

pub fn command(args: &ServeArgs) -> Result<(), Failure> {
    let settings = Settings::load(&args.config)?;
    crate::daemon::telemetry::init_logging(args.log_format.unwrap_or(settings.log_format));
    crate::daemon::serve::run(settings, args.once)
}
