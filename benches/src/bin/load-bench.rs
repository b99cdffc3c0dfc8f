//! Daemon load bench: FILES small CSV files across TENANTS tenants dropped at once (upload
//! under a temporary name, then rename) into a running `importd serve`; reports files/s and
//! the drop→commit latency percentiles, read from the tenants' audit logs.
//!
//! usage: load-bench IMPORTD_BINARY [FILES] [TENANTS] [ROWS_PER_FILE] [SETTLE_MS]

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(bin) = args.get(1) else {
        eprintln!("usage: load-bench IMPORTD_BINARY [FILES] [TENANTS] [ROWS_PER_FILE] [SETTLE_MS]");
        std::process::exit(2);
    };
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (files, tenants, rows, settle_ms) = (arg(2, 10_000), arg(3, 10), arg(4, 20), arg(5, 200));
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut cfg = format!(
        "drop_dir = \"drop\"\nstorage_dir = \"storage\"\nstate_dir = \"state\"\nsettle_ms = {settle_ms}\nscan_interval_ms = 100\nmin_free_mb = 1\n"
    );
    std::fs::create_dir_all(root.join("keys")).expect("mkdir");
    std::fs::write(root.join("rules.toml"), "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\" }\nzip = { action = \"truncate\", keep_first = 2 }\n").expect("rules");
    for t in 0..tenants {
        let key = root.join(format!("keys/t{t}.key"));
        std::fs::write(&key, format!("{}\n", format!("{:02x}", t + 1).repeat(32))).expect("key");
        let mut p = std::fs::metadata(&key).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o600);
        std::fs::set_permissions(&key, p).expect("chmod");
        cfg.push_str(&format!(
            "[tenants.t{t}]\nkey_file = \"keys/t{t}.key\"\n[tenants.t{t}.datasets.orders]\nrules = \"rules.toml\"\n"
        ));
        std::fs::create_dir_all(root.join(format!("drop/t{t}/orders"))).expect("mkdir");
    }
    std::fs::write(root.join("importd.toml"), cfg).expect("config");
    let bin = std::fs::canonicalize(bin).expect("the importd binary");
    let mut child = Command::new(&bin)
        .args(["serve", "--config", "importd.toml"])
        .current_dir(root)
        .stderr(Stdio::null())
        .spawn()
        .expect("start importd");
    std::thread::sleep(Duration::from_millis(500));

    let mut dropped: HashMap<(String, String), SystemTime> = HashMap::new();
    let start = Instant::now();
    for f in 0..files {
        let t = f % tenants;
        let name = format!("f{f}.csv");
        let d = root.join(format!("drop/t{t}/orders"));
        let mut body = b"id,email,zip\n".to_vec();
        for r in 0..rows {
            writeln!(body, "{f}-{r},user{f}.{r}@example.com,{:05}", (f * 31 + r) % 100_000).expect("write");
        }
        let part = d.join(format!("{name}.part"));
        std::fs::write(&part, &body).expect("write");
        std::fs::rename(&part, d.join(&name)).expect("rename");
        dropped.insert((format!("t{t}"), name), SystemTime::now());
    }
    let drop_secs = start.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(1800);
    let commits = loop {
        let c = committed(root, tenants);
        if c.len() >= files || Instant::now() > deadline {
            break c;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let first_drop = dropped.values().min().copied().expect("drops");
    let mut latencies: Vec<f64> = Vec::new();
    let mut last_commit = first_drop;
    for (key, at) in &commits {
        if let Some(d) = dropped.get(key) {
            latencies.push(at.duration_since(*d).unwrap_or_default().as_secs_f64());
            last_commit = last_commit.max(*at);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let span = last_commit.duration_since(first_drop).unwrap_or_default().as_secs_f64();
    println!("files {files} across {tenants} tenants, {rows} rows each, settle_ms {settle_ms}");
    println!(
        "dropped in {drop_secs:.2} s; committed {} in {span:.2} s → {:.0} files/s",
        latencies.len(),
        latencies.len() as f64 / span
    );
    println!(
        "drop→commit latency: p50 {:.2} s  p90 {:.2} s  p99 {:.2} s  max {:.2} s",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
}

/// (tenant, file) → commit time, from every tenant's audit log.
fn committed(root: &Path, tenants: usize) -> Vec<((String, String), SystemTime)> {
    let mut out = Vec::new();
    for t in 0..tenants {
        let text = std::fs::read_to_string(root.join(format!("state/audit/t{t}.jsonl"))).unwrap_or_default();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if v["event"] != "committed" {
                continue;
            }
            let (Some(file), Some(at)) = (v["file"].as_str(), v["at"].as_str()) else { continue };
            let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) else { continue };
            out.push(((format!("t{t}"), file.to_string()), SystemTime::from(at)));
        }
    }
    out
}
