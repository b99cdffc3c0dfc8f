//! How long `importd verify` takes on an untouched local storage of many outputs, built by a
//! real `serve --once` with the embedded ledger. Uses the release binary:
//!
//! ```sh
//! cargo build --release -p importd && cargo run --release -p importd --example verify_bench -- 1000 200
//! ```
//!
//! Arguments: outputs (default 1000, one input file each, split over two tenants) and rows per
//! file (default 200). Prints the import time, then each of three `verify` runs (wall time, and
//! the report's own `duration_ms`), with outputs and bytes hashed per second for the fastest.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TENANTS: [&str; 2] = ["acme", "globex"];
const RULES: &str = "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let outputs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rows: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let binary =
        std::env::current_exe().expect("exe").parent().and_then(|p| p.parent()).expect("target dir").join("importd");
    assert!(binary.exists(), "build the daemon first: cargo build --release -p importd");
    let site = tempfile::tempdir().expect("tempdir");
    let dir = site.path();
    let mut cfg = String::from(
        "drop_dir = \"drop\"\nstorage_dir = \"storage\"\nstate_dir = \"state\"\nsettle_ms = 0\nmin_free_mb = 1\n",
    );
    for (i, t) in TENANTS.iter().enumerate() {
        let key = dir.join(format!("keys/{t}.key"));
        write(&key, format!("{}\n", format!("{:02x}", i + 1).repeat(32)).as_bytes());
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
        write(&dir.join(format!("rules/{t}.toml")), RULES.as_bytes());
        cfg.push_str(&format!(
            "[tenants.{t}]\nkey_file = \"keys/{t}.key\"\n[tenants.{t}.datasets.orders]\nrules = \"rules/{t}.toml\"\n"
        ));
    }
    write(&dir.join("importd.toml"), cfg.as_bytes());
    for n in 0..outputs {
        let t = TENANTS[n % TENANTS.len()];
        let mut csv = b"id,email\n".to_vec();
        for r in 0..rows {
            writeln!(csv, "{t}-{n}-{r},person.{n}.{r}@example.com").expect("write");
        }
        write(&dir.join(format!("drop/{t}/orders/f{n}.csv")), &csv);
    }
    let started = Instant::now();
    let out = Command::new(&binary).args(["serve", "--config", "importd.toml", "--once"]).current_dir(dir).output();
    let out = out.expect("serve --once");
    assert!(out.status.success(), "serve --once failed: {}", String::from_utf8_lossy(&out.stderr));
    let import_s = started.elapsed().as_secs_f64();
    let (files, bytes) = stored(&dir.join("storage"));
    assert_eq!(files, outputs, "every input became one output");
    println!("{outputs} outputs ({:.1} MiB, {rows} rows each) imported in {import_s:.1} s", bytes as f64 / 1048576.0);
    let mut best = f64::MAX;
    for run in 1..=3 {
        let started = Instant::now();
        let out = Command::new(&binary)
            .args(["verify", "--config", "importd.toml", "--json"])
            .current_dir(dir)
            .output()
            .expect("verify");
        let wall = started.elapsed().as_secs_f64();
        assert!(out.status.success(), "verify found differences: {}", String::from_utf8_lossy(&out.stdout));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
        let checked: u64 =
            report["tenants"].as_array().expect("tenants").iter().filter_map(|t| t["intact"].as_u64()).sum();
        assert_eq!(checked as usize, outputs, "every output intact");
        println!("verify run {run}: {wall:.3} s wall, {} ms reported, {checked} outputs intact", report["duration_ms"]);
        best = best.min(wall);
    }
    println!(
        "fastest: {best:.3} s for {outputs} outputs = {:.0} outputs/s, {:.1} MiB/s hashed",
        outputs as f64 / best,
        bytes as f64 / 1048576.0 / best
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// (files, bytes) of the Parquet outputs below `dir`.
fn stored(dir: &Path) -> (usize, u64) {
    let mut out = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "parquet") {
                out = (out.0 + 1, out.1 + meta.len());
            }
        }
    }
    out
}
