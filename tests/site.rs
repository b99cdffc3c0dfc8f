//! A daemon site for end-to-end tests: `importd.toml`, two tenants with keys, a rule file,
//! drop folders, and helpers to drop files, run `serve`, and read back every stored row.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::{importd_path, set_mode};

/// `id` is kept (row identity for exactly-once checks), `email` pseudonymized, `note` dropped.
pub const RULES: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "pseudonymize", prefix = "u_" }
"#;

pub const TENANTS: [&str; 2] = ["acme", "globex"];

/// A site in a temporary folder.
pub struct Site {
    pub dir: tempfile::TempDir,
    next_log: std::cell::Cell<u32>,
    /// Daemons started here, killed when the site is dropped (a failed test leaves none behind).
    spawned: std::cell::RefCell<Vec<u32>>,
}

impl Site {
    /// A site with both tenants, dataset `orders`, and extra config lines.
    pub fn new(extra: &str) -> Site {
        Site::in_dir(tempfile::tempdir().expect("tempdir"), extra)
    }

    /// A site in a given (empty) folder, e.g. one with a filesystem mounted on it.
    pub fn in_dir(dir: tempfile::TempDir, extra: &str) -> Site {
        let site = Site { dir, next_log: std::cell::Cell::new(0), spawned: Default::default() };
        // Base settings, unless `extra` sets the same key.
        let base = [
            "drop_dir = \"drop\"",
            "storage_dir = \"storage\"",
            "state_dir = \"state\"",
            "settle_ms = 100",
            "scan_interval_ms = 100",
            "min_free_mb = 1",
        ];
        let mut cfg = String::new();
        for line in base {
            let key = line.split(' ').next().unwrap_or_default();
            if !extra.lines().any(|l| l.split(' ').next() == Some(key)) {
                cfg.push_str(line);
                cfg.push('\n');
            }
        }
        cfg.push_str(extra);
        cfg.push('\n');
        for (i, t) in TENANTS.iter().enumerate() {
            let key = site.write(&format!("keys/{t}.key"), format!("{}\n", format!("{:02x}", i + 1).repeat(32)));
            set_mode(&key, 0o600);
            site.write(&format!("rules/{t}.toml"), RULES);
            cfg.push_str(&format!(
                "[tenants.{t}]\nkey_file = \"keys/{t}.key\"\n[tenants.{t}.datasets.orders]\nrules = \"rules/{t}.toml\"\n"
            ));
            std::fs::create_dir_all(site.drop_dir(t)).expect("drop dir");
        }
        site.write("importd.toml", cfg);
        site
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
        p
    }

    /// Replaces a tenant's rule file atomically (write aside, rename), as an editor would.
    pub fn replace_rules(&self, tenant: &str, text: &str) {
        let aside = self.write(&format!("rules/{tenant}.toml.new"), text);
        std::fs::rename(aside, self.path(&format!("rules/{tenant}.toml"))).expect("rename rules");
    }

    pub fn drop_dir(&self, tenant: &str) -> PathBuf {
        self.path(&format!("drop/{tenant}/orders"))
    }

    /// Uploads the way customers are told to: a temporary name, then a rename.
    pub fn drop_file(&self, tenant: &str, name: &str, content: &[u8]) {
        let dir = self.drop_dir(tenant);
        let part = dir.join(format!("{name}.part"));
        std::fs::write(&part, content).expect("write part");
        std::fs::rename(&part, dir.join(name)).expect("rename into place");
    }

    /// `importd serve --once`, its stderr appended to `logs/`.
    pub fn run_once(&self) -> Output {
        let out = Command::new(importd_path())
            .args(["serve", "--config", "importd.toml", "--once"])
            .current_dir(self.dir.path())
            .output()
            .expect("run serve --once");
        self.write(&format!("logs/{}.log", self.log_id()), &out.stderr);
        out
    }

    /// `importd serve` in the background, stderr to a log file under `logs/`.
    pub fn spawn(&self) -> Child {
        self.spawn_with_env(&[])
    }

    /// `importd serve` with extra environment variables.
    pub fn spawn_with_env(&self, env: &[(&str, &str)]) -> Child {
        let log = self.path(&format!("logs/{}.log", self.log_id()));
        std::fs::create_dir_all(log.parent().expect("logs")).expect("mkdir logs");
        let child = Command::new(importd_path())
            .args(["serve", "--config", "importd.toml"])
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(File::create(log).expect("log file"))
            .spawn()
            .expect("spawn serve");
        self.spawned.borrow_mut().push(child.id());
        child
    }

    fn log_id(&self) -> u32 {
        let n = self.next_log.get();
        self.next_log.set(n + 1);
        n
    }

    /// Everything the daemon logged so far.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for f in files_under(&self.path("logs")) {
            all.push_str(&std::fs::read_to_string(f).unwrap_or_default());
        }
        all
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(importd_path()).args(args).current_dir(self.dir.path()).output().expect("run importd")
    }

    /// Every stored `id`, per tenant, with how often it appears.
    pub fn stored_ids(&self, tenant: &str) -> BTreeMap<String, usize> {
        let mut ids = BTreeMap::new();
        for f in self.outputs(tenant) {
            for id in read_column(&f, "id") {
                *ids.entry(id).or_insert(0) += 1;
            }
        }
        ids
    }

    /// The published Parquet files of a tenant.
    pub fn outputs(&self, tenant: &str) -> Vec<PathBuf> {
        files_under(&self.path(&format!("storage/{tenant}")))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect()
    }

    /// `reason.json` files of a tenant, parsed.
    pub fn reasons(&self, tenant: &str) -> Vec<serde_json::Value> {
        files_under(&self.path(&format!("state/quarantine/{tenant}")))
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "reason.json"))
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read reason")).expect("reason is JSON"))
            .collect()
    }

    /// How many steps of kind `ev` (`claimed`, `rolled_back`, `committed`, …) the ledger holds.
    pub fn ledger_steps(&self, ev: &str) -> usize {
        let db = rusqlite::Connection::open(self.path("state/ledger.sqlite")).expect("open the ledger");
        let n: i64 =
            db.query_row("SELECT count(*) FROM steps WHERE ev = ?1", [ev], |r| r.get(0)).expect("count ledger steps");
        usize::try_from(n).expect("a count")
    }

    /// Checks the tenant's audit log against storage: every import in it has exactly one
    /// terminal record (`committed`, `quarantined` or `duplicate_skipped`), and the
    /// `committed` records name exactly the stored outputs. Returns how many of each.
    pub fn audit_terminals(&self, tenant: &str) -> BTreeMap<String, usize> {
        let text = std::fs::read_to_string(self.path(&format!("state/audit/{tenant}.jsonl"))).unwrap_or_default();
        let mut per_import: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut named_outputs = Vec::new();
        for line in text.lines() {
            let rec: serde_json::Value = serde_json::from_str(line).expect("an audit record is JSON");
            let (Some(id), Some(ev)) = (rec["import_id"].as_str(), rec["event"].as_str()) else { continue };
            per_import.entry(id.to_string()).or_default().push(ev.to_string());
            if ev == "committed" {
                for o in rec["outputs"].as_array().expect("outputs") {
                    named_outputs.push(self.path("storage").join(o["path"].as_str().expect("path")));
                }
            }
        }
        let mut counts = BTreeMap::new();
        for (id, events) in &per_import {
            let terminal: Vec<&String> = events
                .iter()
                .filter(|e| ["committed", "quarantined", "duplicate_skipped"].contains(&e.as_str()))
                .collect();
            assert!(
                terminal.len() <= 1,
                "{tenant}: import {id} has {} terminal audit records: {events:?}",
                terminal.len()
            );
            let started = events.iter().filter(|e| *e == "import_started").count();
            assert!(started <= 1, "{tenant}: import {id} has {started} import_started records");
            if let Some(t) = terminal.first() {
                *counts.entry((*t).clone()).or_insert(0) += 1;
            }
        }
        named_outputs.sort();
        let mut stored = self.outputs(tenant);
        stored.sort();
        assert_eq!(named_outputs, stored, "{tenant}: committed audit records and stored outputs differ");
        counts
    }

    /// Every file under `rel`.
    pub fn files(&self, rel: &str) -> Vec<PathBuf> {
        files_under(&self.path(rel))
    }
}

/// A CSV of `rows` rows whose ids are `<prefix>-<n>`, with canary e-mails and notes.
pub fn orders_csv(prefix: &str, rows: usize) -> Vec<u8> {
    let mut out = b"id,email,note\n".to_vec();
    for n in 0..rows {
        writeln!(out, "{prefix}-{n},canary.{prefix}.{n}@example.com,CANARY note {prefix} {n}").expect("write");
    }
    out
}

pub fn expected_ids(prefix: &str, rows: usize) -> impl Iterator<Item = String> + '_ {
    (0..rows).map(move |n| format!("{prefix}-{n}"))
}

pub fn read_column(path: &Path, column: &str) -> Vec<String> {
    let file = File::open(path).expect("open parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet footer").build().expect("reader");
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let col = batch.column_by_name(column).unwrap_or_else(|| panic!("no column {column}"));
        let strings = col.as_string::<i32>();
        values.extend(strings.iter().map(|v| v.unwrap_or("").to_string()));
    }
    values
}

pub fn column_names(path: &Path) -> Vec<String> {
    let file = File::open(path).expect("open parquet");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet footer");
    builder.schema().fields().iter().map(|f| f.name().clone()).collect()
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => out.extend(files_under(&p)),
            Ok(_) => out.push(p),
            Err(_) => {}
        }
    }
    out.sort();
    out
}

/// `GET path` against a daemon's metrics listener on 127.0.0.1.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    Ok(body)
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Sends a signal by name to a child.
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([&format!("-{sig}"), &child.id().to_string()]).status().expect("kill");
    assert!(ok.success(), "kill -{sig} failed");
}

/// Waits for a child to exit, killing it (and failing) after `timeout`.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("importd did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts that no log line, ledger entry, audit record or `reason.json` holds a canary (the
/// quarantined originals are the customer's own files, kept as they came), and that the
/// stored output holds only pseudonyms in `email` and no `note` column.
pub fn assert_no_canary(site: &Site) {
    let mut places = site.files("state");
    places.extend(site.files("logs"));
    for t in TENANTS {
        for f in site.outputs(t) {
            let names = column_names(&f);
            assert!(!names.contains(&"note".to_string()), "{} kept the dropped column", f.display());
            if names.contains(&"email".to_string()) {
                assert!(
                    read_column(&f, "email").iter().all(|e| e.starts_with("u_")),
                    "{} holds a raw e-mail",
                    f.display()
                );
            }
        }
    }
    for p in places {
        let in_quarantine_original =
            p.to_string_lossy().contains("/quarantine/") && p.file_name().is_some_and(|n| n != "reason.json");
        if in_quarantine_original || p.file_name().is_some_and(|n| n == "importd.lock") {
            continue; // the customer's own file, kept as it came
        }
        let bytes = std::fs::read(&p).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(!text.contains("canary"), "a canary value leaked into {}", p.display());
    }
}

impl Drop for Site {
    /// Kills every daemon this site started that still runs in it: a test that panicked
    /// before stopping its daemon would otherwise leave it running for good. A process is
    /// killed only while its working directory is this site's, so a reused pid is safe.
    fn drop(&mut self) {
        for pid in self.spawned.borrow().iter() {
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
            if cwd.is_ok_and(|d| d == self.dir.path()) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
    }
}
