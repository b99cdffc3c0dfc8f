//! `importd subject find | export | erase`: the identifier comes from standard input (one
//! line; never the command line, which shell history and `ps` keep), and is never echoed.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::cli::args::SubjectArgs;
use crate::exit::Failure;
use crate::stored::subject::{answer, Mode, Request};

/// Which subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Find,
    Export,
    Erase,
}

/// The longest identifier read.
const MAX_VALUE_BYTES: u64 = 64 * 1024;

pub fn run(args: &SubjectArgs, verb: Verb) -> Result<(), Failure> {
    if args.dry_run && verb != Verb::Erase {
        return Err(Failure::usage("error: --dry-run applies to `subject erase` only"));
    }
    if args.include_ambiguous && verb != Verb::Erase {
        return Err(Failure::usage("error: --include-ambiguous applies to `subject erase` only"));
    }
    if args.out.is_some() && verb != Verb::Export {
        return Err(Failure::usage("error: --out applies to `subject export` only"));
    }
    let settings = crate::daemon::config::Settings::load(&args.config)?;
    let Some(tenant) = settings.tenant(&args.tenant) else {
        return Err(Failure::usage(format!(
            "error: {}: no tenant `{}` is configured",
            args.config.display(),
            args.tenant.escape_debug()
        )));
    };
    if let Some(d) = &args.dataset {
        if !tenant.datasets.keys().any(|k| k.as_str() == d) {
            return Err(Failure::usage(format!(
                "error: {}: tenant `{}` has no dataset `{}`",
                args.config.display(),
                tenant.id,
                d.escape_debug()
            )));
        }
    }
    let value = read_value(std::io::stdin().lock())?;
    let mode = match verb {
        Verb::Find => Mode::Find,
        Verb::Export => Mode::Export,
        Verb::Erase => Mode::Erase { dry_run: args.dry_run },
    };
    let req = Request {
        tenant,
        column: &args.column,
        dataset: args.dataset.as_deref(),
        value: &value,
        mode,
        include_ambiguous: args.include_ambiguous,
    };
    let mut stdout = std::io::stdout().lock();
    // The export is written to a hidden temporary beside `--out` and linked to its name
    // only when complete: an error leaves no partial export.
    let mut file = match &args.out {
        Some(path) => Some(Partial::create(path)?),
        None => None,
    };
    let mut nothing = std::io::sink();
    let export: &mut dyn Write = match (verb, file.as_mut()) {
        (Verb::Export, Some(f)) => &mut f.file,
        (Verb::Export, None) => &mut stdout,
        _ => &mut nothing,
    };
    let report = answer(&settings, &req, export)?;
    if let Some(f) = file {
        f.finish()?;
    }
    // With the rows on stdout, the report goes to stderr.
    for line in &report.lines {
        if verb == Verb::Export && args.out.is_none() {
            eprintln!("{line}");
        } else {
            let _ = writeln!(stdout, "{line}");
        }
    }
    if report.ambiguous_kept > 0 && matches!(mode, Mode::Erase { dry_run: false }) {
        return Err(Failure::runtime(
            "error: some rows were not erased: they matched only through a many-to-one column and may belong to others (named above); run erase again with --include-ambiguous to remove them",
        ));
    }
    if report.running > 0 {
        return Err(Failure::runtime(
            "error: the answer is incomplete: imports ran beside this command; run it again when they have committed",
        ));
    }
    if report.unsearched > 0 {
        return Err(Failure::runtime("error: the answer is incomplete: some stored files could not be searched"));
    }
    Ok(())
}

/// An export being written: `.<name>.partial` beside the file asked for, removed if it is
/// not finished.
struct Partial {
    file: std::fs::File,
    temp: PathBuf,
    path: PathBuf,
    done: bool,
}

impl Partial {
    fn create(path: &Path) -> Result<Partial, Failure> {
        let fail = |e: std::io::Error| {
            Failure::runtime(format!(
                "error: {}: cannot create it ({}; it must not exist yet)",
                path.display(),
                e.kind()
            ))
        };
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(fail(std::io::ErrorKind::AlreadyExists.into()));
        }
        let name = path.file_name().ok_or_else(|| fail(std::io::ErrorKind::InvalidInput.into()))?;
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(".partial");
        let temp = path.with_file_name(hidden);
        let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp).map_err(fail)?;
        Ok(Partial { file, temp, path: path.to_path_buf(), done: false })
    }

    /// Makes the export durable and gives it its name (a link: never over an existing file).
    fn finish(mut self) -> Result<(), Failure> {
        let fail = |e: std::io::Error| {
            Failure::runtime(format!("error: {}: the export cannot be written ({})", self.path.display(), e.kind()))
        };
        self.file.sync_all().map_err(fail)?;
        std::fs::hard_link(&self.temp, &self.path).map_err(fail)?;
        self.done = true;
        let _ = std::fs::remove_file(&self.temp);
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(fail)?;
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// One value: a trailing line feed (or CR LF) is stripped; empty input, more than one line,
/// or more than 64 KiB is refused.
fn read_value(input: impl Read) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    input
        .take(MAX_VALUE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::usage(format!("error: standard input cannot be read ({})", e.kind())))?;
    if bytes.len() as u64 > MAX_VALUE_BYTES {
        return Err(Failure::usage("error: standard input holds more than 64 KiB; give one identifier"));
    }
    let Ok(mut text) = String::from_utf8(bytes) else {
        return Err(Failure::usage("error: standard input is not UTF-8 text"));
    };
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(Failure::usage("error: give the identifier on standard input (it was empty)"));
    }
    if text.contains(['\n', '\r']) {
        return Err(Failure::usage("error: standard input holds more than one line; give one identifier"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_gets_its_name_only_when_finished_and_never_replaces_a_file() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("anna.jsonl");
        let listing = || -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir.path())
                .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            v.sort();
            v
        };
        // Abandoned (an error in the middle): nothing is left.
        let mut p = Partial::create(&out).map_err(|f| std::io::Error::other(f.message))?;
        p.file.write_all(b"{\"row\":1}\n")?;
        assert_eq!(listing(), [".anna.jsonl.partial"]);
        drop(p);
        assert!(listing().is_empty(), "{:?}", listing());
        // Finished: the name, the bytes, mode 0600, no temporary.
        let mut p = Partial::create(&out).map_err(|f| std::io::Error::other(f.message))?;
        p.file.write_all(b"{\"row\":1}\n")?;
        p.finish().map_err(|f| std::io::Error::other(f.message))?;
        assert_eq!(listing(), ["anna.jsonl"]);
        assert_eq!(std::fs::read(&out)?, b"{\"row\":1}\n");
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out)?.permissions()) & 0o777, 0o600);
        // An existing file is refused and kept.
        assert!(Partial::create(&out).is_err());
        assert_eq!(std::fs::read(&out)?, b"{\"row\":1}\n");
        Ok(())
    }

    #[test]
    fn one_line_is_read_and_anything_else_refused() {
        let ok = |s: &str| read_value(s.as_bytes()).ok();
        assert_eq!(ok("anna@example.com\n").as_deref(), Some("anna@example.com"));
        assert_eq!(ok("anna@example.com\r\n").as_deref(), Some("anna@example.com"));
        assert_eq!(ok("anna@example.com").as_deref(), Some("anna@example.com"));
        assert_eq!(ok(" spaced \n").as_deref(), Some(" spaced "), "only the line feed is stripped");
        for bad in ["", "\n", "a\nb", "a\nb\n", "a\n\n"] {
            let err = read_value(bad.as_bytes()).err().map(|f| (f.code, f.message));
            assert!(matches!(&err, Some((2, m)) if !m.contains('a') || m.contains("standard")), "{bad:?}: {err:?}");
        }
        assert!(read_value(vec![b'x'; 70_000].as_slice()).is_err());
    }
}
