//! Shared helpers: the binary, a sandbox directory, a key, running commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary this test build belongs to (Cargo builds it first and names it here).
pub fn importd_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_importd"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// A temporary folder with a key and helpers to write files and run importd inside it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let s = Sandbox { dir: tempfile::tempdir().expect("tempdir") };
        s.write_key("k.key", &"ab".repeat(32));
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write file");
        p
    }

    pub fn write_key(&self, name: &str, hex: &str) -> PathBuf {
        let p = self.write(name, format!("{hex}\n"));
        set_mode(&p, 0o600);
        p
    }

    /// Runs importd with the sandbox as working directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(importd_path()).args(args).current_dir(self.dir.path()).output().expect("run importd")
    }

    /// `importd anonymize --rules R --key-file k.key INPUT -o OUTPUT`.
    pub fn anonymize(&self, rules: &str, input: &str, output: &str) -> Output {
        self.run(&["anonymize", "--rules", rules, "--key-file", "k.key", input, "-o", output])
    }

    /// Names of the files in the sandbox, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A rule file that keeps every column.
pub const KEEP_ALL: &str = "version = 1\nunlisted = \"keep\"\n";

/// What a test needs that a plain machine may not have. Such tests are `#[ignore]`d with
/// the reason, so `cargo test --workspace` lists them as ignored and counts them; CI runs
/// them with `--include-ignored` and `IMPORTD_CI=1`, where a missing need is a failure.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Root, to mount small or read-only filesystems.
    Root,
    /// A Python module (`duckdb`, `jsonschema`) in `$IMPORTD_PYTHON` (default `python3`).
    PythonModule(&'static str),
}

/// The Python the tests use: `$IMPORTD_PYTHON`, or `python3`.
pub fn python() -> String {
    std::env::var("IMPORTD_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether `need` is met. If not: under CI (`IMPORTD_CI` set) the test fails; elsewhere a
/// `SKIPPED` line goes straight to stderr (past the harness's capture, so it is seen) and
/// the caller returns.
pub fn has(test: &str, need: Need) -> bool {
    let (met, what) = match need {
        Need::Root => (rustix::process::geteuid().is_root(), "root (it mounts filesystems)".to_string()),
        Need::PythonModule(m) => {
            let py = python();
            let ok = Command::new(&py).args(["-c", &format!("import {m}")]).output().is_ok_and(|o| o.status.success());
            (ok, format!("the Python module `{m}` in `{py}` (set IMPORTD_PYTHON)"))
        }
    };
    if !met {
        skipped(test, &what);
    }
    met
}

/// Reports a test that cannot run here: a failure under CI, a visible SKIPPED line elsewhere.
pub fn skipped(test: &str, what: &str) {
    assert!(std::env::var("IMPORTD_CI").is_err(), "{test} needs {what}, and CI runs every test");
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: needs {what}");
}
