//! `importd verify`: every tenant's (or one tenant's) storage against the ledger and the audit
//! chain. Exit 0 when all holds, 1 naming each difference (or when something cannot be read),
//! 2 for a configuration or usage error.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::cli::args::VerifyArgs;
use crate::daemon::config::Settings;
use crate::daemon::records::Records;
use crate::exit::Failure;
use crate::stored::verify::report::{failed_metrics, write_atomically, Run};

pub fn command(args: &VerifyArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let settings = Settings::load(&args.config)?;
    let tenants: Vec<_> = match &args.tenant {
        None => settings.tenants.values().collect(),
        Some(name) => match settings.tenant(name) {
            Some(t) => vec![t],
            None => {
                return Err(Failure::usage(format!(
                    "error: {}: no tenant `{}` is configured",
                    args.config.display(),
                    name.escape_debug()
                )))
            }
        },
    };
    if let Some(path) = &args.metrics_file {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        if !dir.is_dir() {
            return Err(Failure::usage(format!("error: --metrics-file {}: its folder does not exist", path.display())));
        }
    }
    let checked = (|| {
        let mut records = Records::open(&settings, "verify")?;
        tenants.iter().map(|t| crate::stored::verify::tenant(&settings, &mut records, t)).collect::<Result<Vec<_>, _>>()
    })();
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default();
    let run = match checked {
        Ok(tenants) => Run { tenants, duration_ms, finished_at: now },
        Err(f) => {
            if let Some(path) = &args.metrics_file {
                write_metrics(path, &failed_metrics(now, duration_ms))?;
            }
            return Err(f);
        }
    };
    if let Some(path) = &args.metrics_file {
        write_metrics(path, &run.metrics())?;
    }
    if args.json {
        println!("{}", run.json());
    } else {
        print!("{}", run.lines());
    }
    match run.differences() {
        0 => Ok(()),
        n => Err(Failure::runtime(format!(
            "error: verify found {n} difference{} between storage, the ledger and the audit chain (see {})",
            if n == 1 { "" } else { "s" },
            if args.json { "the report" } else { "the lines above" }
        ))),
    }
}

fn write_metrics(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    write_atomically(path, text).map_err(|e| {
        Failure::runtime(format!("error: {}: the metrics file cannot be written ({})", path.display(), e.kind()))
    })
}
