//! Throughput and drop-to-commit latency of 1, 2 and 3 daemons on one PostgreSQL ledger and
//! one S3-compatible server (moto), on this machine. Uses the test servers of `tests/servers`
//! and the release binary:
//!
//! ```sh
//! cargo build --release -p importd && cargo run --release -p importd --example cluster_bench -- 300 4
//! ```
//!
//! Arguments: files per run (default 300, split over two tenants) and the paced upload rate
//! in files per second for the latency run (default 4). Each run gets a fresh database and
//! bucket. Files/s is measured on a burst (all files uploaded at once: from the first upload
//! to the last commit); latency on a paced stream (upload → `committed` step in the ledger).

#[path = "../../tests/servers/mod.rs"]
#[allow(dead_code)] // the tests use more of it
mod servers;
/// What `tests/servers` needs of the test support module, for a program outside the tests.
#[allow(dead_code)]
mod support {
    pub enum Need {
        PythonModule(&'static str),
    }

    pub fn python() -> String {
        std::env::var("IMPORTD_PYTHON").unwrap_or_else(|_| "python3".into())
    }

    pub fn has(what: &str, need: Need) -> bool {
        let Need::PythonModule(m) = need;
        let ok = std::process::Command::new(python())
            .args(["-c", &format!("import {m}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            skipped(what, &format!("the Python module `{m}`"));
        }
        ok
    }

    pub fn skipped(what: &str, need: &str) {
        eprintln!("SKIPPED {what}: needs {need}");
    }

    pub fn set_mode(p: &std::path::Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use importd::store::s3::{ObjectDir, S3Url};

const TENANTS: [&str; 2] = ["acme", "globex"];
const RULES: &str = "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    let rate: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4.0);
    let binary =
        std::env::current_exe().expect("exe").parent().and_then(|p| p.parent()).expect("target dir").join("importd");
    assert!(binary.exists(), "build the daemon first: cargo build --release -p importd");
    let Some(pg) = servers::postgres::Postgres::start() else { return };
    let Some(s3) = servers::s3::S3Server::start() else { return };
    println!(
        "daemons | burst files/s | burst CPU cores: importd / moto / PostgreSQL | paced p50 / p95 / p99 ms | files"
    );
    for n in 1..=3 {
        let burst = run(&binary, &pg, &s3, n, files, None);
        let paced = run(&binary, &pg, &s3, n, files * 2 / 3, Some(rate));
        let mut lat = paced.latencies_ms.clone();
        lat.sort_by(f64::total_cmp);
        let q = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
        let [d, m, p] = burst.cores;
        println!(
            "{n} | {:.1} | {d:.2} / {m:.2} / {p:.2} | {:.0} / {:.0} / {:.0} | {}+{}",
            burst.files_per_s,
            q(0.5),
            q(0.95),
            q(0.99),
            files,
            files * 2 / 3
        );
    }
}

struct Run {
    files_per_s: f64,
    latencies_ms: Vec<f64>,
    /// Cores used during the run by the daemons, moto and PostgreSQL.
    cores: [f64; 3],
}

/// CPU seconds (user + system) used so far by the processes whose command line matches.
fn cpu_seconds(matches: impl Fn(&str) -> bool) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.is_empty() || !matches(&cmdline) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        total += (ticks(11) + ticks(12)) / tick; // utime, stime
    }
    total
}

fn usage() -> [f64; 3] {
    [
        cpu_seconds(|c| c.contains("importd serve")),
        cpu_seconds(|c| c.contains("moto")),
        cpu_seconds(|c| c.starts_with("postgres")),
    ]
}

fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn run(
    binary: &std::path::Path,
    pg: &servers::postgres::Postgres,
    s3: &servers::s3::S3Server,
    n: usize,
    files: usize,
    rate: Option<f64>,
) -> Run {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (db, bucket) = (format!("bench{k}"), format!("bench{k}"));
    s3.create_bucket(&bucket);
    let url = pg.url(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tenants = String::new();
    for (i, t) in TENANTS.iter().enumerate() {
        let key = dir.path().join(format!("{t}.key"));
        std::fs::write(&key, format!("{}\n", format!("{:02x}", i + 1).repeat(32))).expect("key");
        support::set_mode(&key, 0o600);
        std::fs::write(dir.path().join(format!("{t}.toml")), RULES).expect("rules");
        tenants.push_str(&format!(
            "[tenants.{t}]\nkey_file = \"{t}.key\"\n[tenants.{t}.datasets.orders]\nrules = \"{t}.toml\"\n"
        ));
    }
    let mut daemons: Vec<Child> = Vec::new();
    for i in 0..n {
        let cfg = format!(
            "drop_dir = \"s3://{bucket}/drop\"\nstorage_dir = \"s3://{bucket}/storage\"\nstate_dir = \"state-{i}\"\n\
             ledger = \"{url}\"\nnode = \"d{i}\"\nsettle_ms = 200\nscan_interval_ms = 100\nworkers = 2\nmin_free_mb = 1\n{tenants}"
        );
        std::fs::write(dir.path().join(format!("d{i}.toml")), cfg).expect("config");
        let log = std::fs::File::create(dir.path().join(format!("d{i}.log"))).expect("log");
        daemons.push(
            Command::new(binary)
                .args(["serve", "--config", &format!("d{i}.toml")])
                .envs(s3.env())
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn importd"),
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    let before = usage();
    let drop =
        ObjectDir::open_with(&S3Url::parse(&format!("s3://{bucket}/drop")).expect("url"), &s3.env()).expect("drop");
    let mut uploaded = std::collections::HashMap::new();
    let start = now_s();
    let begun = Instant::now();
    for f in 0..files {
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(f as f64 / rate);
            if let Some(wait) = due.checked_sub(begun.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let t = TENANTS[f % 2];
        let mut body = b"id,email,note\n".to_vec();
        for r in 0..50 {
            body.extend_from_slice(format!("{t}-{f}-{r},p{f}.{r}@example.com,note {r}\n").as_bytes());
        }
        let name = format!("orders-{f}.csv");
        drop.put(&format!("{t}/orders/{name}"), body).expect("upload");
        uploaded.insert(name, now_s());
    }
    let mut sql = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(600);
    let commits = loop {
        let rows = sql
            .query(
                "SELECT i.file, extract(epoch from s.at)::float8 FROM steps s JOIN imports i ON i.id = s.import_id WHERE s.ev = 'committed'",
                &[],
            )
            .expect("query");
        if rows.len() >= files || Instant::now() > deadline {
            break rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, f64>(1))).collect::<Vec<_>>();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let after = usage();
    let wall = now_s() - start;
    let cores = [0, 1, 2].map(|i| (after[i] - before[i]) / wall);
    for mut d in daemons {
        let _ = Command::new("kill").args(["-TERM", &d.id().to_string()]).status();
        let _ = d.wait();
    }
    assert_eq!(commits.len(), files, "not every file was committed in time ({} of {files})", commits.len());
    let last = commits.iter().map(|c| c.1).fold(0.0, f64::max);
    let latencies_ms = commits.iter().filter_map(|(f, at)| uploaded.get(f).map(|u| (at - u) * 1000.0)).collect();
    Run { files_per_s: files as f64 / (last - start), latencies_ms, cores }
}
