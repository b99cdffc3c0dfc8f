//! Shared helpers: the binary, a sandbox directory, a key, running commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/<profile>/importd`, next to this test binary's `deps/` folder.
pub fn importd_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let bin = profile_dir.join(format!("importd{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
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
