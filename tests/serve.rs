//! `importd serve`: bursts land exactly once, `kill -9` at random moments loses and
//! duplicates nothing, hostile entries are refused without hanging, reloads, shutdown, audit.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use crate::site::*;
use crate::support::{set_mode, stderr};

/// Asserts every expected id of every tenant is stored exactly once and nothing else is.
fn assert_exactly_once(site: &Site, expected: &BTreeMap<&str, Vec<String>>) {
    for (tenant, ids) in expected {
        let stored = site.stored_ids(tenant);
        let dup: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).take(5).collect();
        assert!(dup.is_empty(), "tenant {tenant}: rows stored more than once: {dup:?}");
        let missing: Vec<_> = ids.iter().filter(|id| !stored.contains_key(*id)).take(5).collect();
        assert!(missing.is_empty(), "tenant {tenant}: rows never stored: {missing:?}");
        assert_eq!(stored.len(), ids.len(), "tenant {tenant}: rows stored that were never dropped");
    }
}

/// Nothing left behind: drop folders and `processing/` empty, no temporary files in storage,
/// every audit chain intact with one terminal record per import.
fn assert_clean_state(site: &Site) {
    for t in TENANTS {
        assert!(site.files(&format!("drop/{t}")).is_empty(), "unclaimed files left in {t}'s drop folder");
    }
    assert!(site.files("state/processing").is_empty(), "claimed files left in processing/");
    let temps: Vec<_> =
        site.files("storage").into_iter().filter(|p| p.extension().is_none_or(|e| e != "parquet")).collect();
    assert!(temps.is_empty(), "temporary files visible in storage: {temps:?}");
    for t in TENANTS {
        let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", t]);
        assert!(out.status.success(), "audit chain of {t} broken: {}", stderr(&out));
        site.audit_terminals(t);
    }
}

#[test]
fn burst_of_500_small_files_and_large_ones_land_exactly_once() {
    let site = Site::new("workers = 2");
    let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (ti, t) in TENANTS.iter().enumerate() {
        for f in 0..250 {
            let prefix = format!("{t}-small{f}");
            site.drop_file(t, &format!("small-{f}.csv"), &orders_csv(&prefix, 4));
            expected.entry(t).or_default().extend(expected_ids(&prefix, 4));
        }
        for f in 0..(1 + ti) {
            let prefix = format!("{t}-large{f}");
            site.drop_file(t, &format!("large-{f}.csv"), &orders_csv(&prefix, 60_000));
            expected.entry(t).or_default().extend(expected_ids(&prefix, 60_000));
        }
    }
    let out = site.run_once();
    assert!(out.status.success(), "serve --once failed: {}", stderr(&out));
    assert_exactly_once(&site, &expected);
    assert_clean_state(&site);
    assert_eq!(site.outputs("acme").len(), 251);
    assert_eq!(site.outputs("globex").len(), 252);
    // Hive layout: <storage>/<tenant>/<dataset>/date=YYYY-MM-DD/<import_id>.parquet
    for p in site.outputs("acme") {
        let rel = p.strip_prefix(site.path("storage")).unwrap().to_string_lossy().into_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 4, "{rel}");
        assert_eq!((parts[0], parts[1]), ("acme", "orders"));
        assert!(parts[2].starts_with("date=20") && parts[2].len() == 15, "{rel}");
    }
    let audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).unwrap();
    assert_eq!(audit.matches("\"event\":\"committed\"").count(), 251);
    assert_no_canary(&site);
}

/// `kill -9` after random sleeps, `IMPORTD_KILLS` times (default 100), files dropped between
/// kills; then every row of every file is checked to be stored exactly once.
#[test]
fn kill_9_at_random_moments_loses_and_duplicates_nothing() {
    let kills_wanted: usize = std::env::var("IMPORTD_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    // Crashes count as attempts (a file that keeps killing the daemon is quarantined in the
    // end); these kills are not the files' fault, so the limit is far above the kill count.
    let site = Site::new("workers = 2\nmax_attempts = 100000");
    let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut file = 0;
    let (mut good, mut broken, mut duplicates) = (0, 0, 0);
    let mut last: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    // Mostly new files; every fifth a byte-identical copy of the tenant's last good file (it
    // is skipped as a duplicate, its rows stay stored once), every seventh a broken file.
    let mut drop_some = |site: &Site, expected: &mut BTreeMap<&str, Vec<String>>, n: usize, rows: usize| {
        for _ in 0..n {
            let t = TENANTS[file % 2];
            let name = format!("f{file}.csv");
            if file % 7 == 6 {
                let mut bad = orders_csv(&format!("{t}-bad{file}"), 3);
                bad.extend_from_slice(b"ragged\n");
                site.drop_file(t, &name, &bad);
                broken += 1;
            } else if let (0, Some(copy)) = (file % 5, last.get(t)) {
                site.drop_file(t, &name, copy);
                duplicates += 1;
            } else {
                let prefix = format!("{t}-f{file}");
                let content = orders_csv(&prefix, rows);
                site.drop_file(t, &name, &content);
                expected.entry(t).or_default().extend(expected_ids(&prefix, rows));
                last.insert(t, content);
                good += 1;
            }
            file += 1;
        }
    };
    drop_some(&site, &mut expected, 40, 20);
    drop_some(&site, &mut expected, 2, 40_000);
    let mut kills = 0;
    while kills < kills_wanted {
        let mut child = site.spawn();
        std::thread::sleep(Duration::from_millis(30 + next(400)));
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        kills += 1;
        drop_some(&site, &mut expected, 3, 10 + next(50) as usize);
    }
    let out = site.run_once();
    assert!(matches!(out.status.code(), Some(0 | 1)), "serve --once after {kills} kills failed: {}", stderr(&out));
    let reasons: Vec<serde_json::Value> = TENANTS.iter().flat_map(|t| site.reasons(t)).collect();
    assert!(reasons.iter().all(|r| r["kind"] == "input"), "a good file was quarantined: {reasons:?}");
    assert_eq!(reasons.len(), broken, "every broken file quarantined once");
    assert_exactly_once(&site, &expected);
    assert_clean_state(&site);
    assert!(site.ledger_steps("rolled_back") > 0, "no kill landed during an import; the test proved nothing");
    let count = |ev: &str| TENANTS.iter().map(|t| site.audit_terminals(t).get(ev).copied().unwrap_or(0)).sum::<usize>();
    assert_eq!(count("committed"), good, "one committed audit record per distinct file");
    assert_eq!(count("duplicate_skipped"), duplicates, "one duplicate_skipped record per copy");
    assert_eq!(count("quarantined"), broken);
    let db = rusqlite::Connection::open(site.path("state/ledger.sqlite")).expect("ledger");
    let unfinished: i64 = db.query_row("SELECT count(*) FROM imports WHERE finished = 0", [], |r| r.get(0)).expect("q");
    assert_eq!(unfinished, 0, "unfinished imports left in the ledger");
    assert_no_canary(&site);
}

#[test]
fn symlinks_fifos_hardlinks_and_directories_are_refused_without_hanging() {
    let site = Site::new("");
    // acme's own file, and a file outside any drop folder.
    site.drop_file("acme", "mine.csv", &orders_csv("acme-mine", 3));
    let secret = site.write("elsewhere/secret.csv", orders_csv("secret", 3));
    let acme_file = site.drop_dir("acme").join("mine.csv");
    let g = site.drop_dir("globex");
    std::os::unix::fs::symlink(&acme_file, g.join("link-to-acme.csv")).unwrap();
    std::os::unix::fs::symlink(&secret, g.join("link-to-secret.csv")).unwrap();
    std::fs::hard_link(&secret, g.join("hardlink.csv")).unwrap();
    rustix::fs::mkfifoat(rustix::fs::CWD, g.join("pipe.csv"), rustix::fs::Mode::from_raw_mode(0o666)).unwrap();
    std::fs::create_dir(g.join("x.csv")).unwrap();
    std::fs::write(g.join("x.csv/inner.csv"), orders_csv("inner", 2)).unwrap();

    let mut child = std::process::Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .current_dir(site.dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    site.write("logs/refusals.log", &log);
    assert_eq!(status.code(), Some(1), "quarantined files make --once exit 1: {log}");

    assert!(site.outputs("globex").is_empty(), "globex stored something: {:?}", site.outputs("globex"));
    let acme = site.stored_ids("acme");
    assert_eq!(acme.keys().cloned().collect::<Vec<_>>(), ["acme-mine-0", "acme-mine-1", "acme-mine-2"]);
    let mut kinds: Vec<String> =
        site.reasons("globex").iter().map(|r| r["kind"].as_str().unwrap().to_string()).collect();
    kinds.sort();
    assert_eq!(kinds, ["refused_fifo", "refused_hardlink", "refused_symlink", "refused_symlink"]);
    assert_eq!(std::fs::read(&secret).unwrap(), orders_csv("secret", 3), "the link target was touched");
    assert!(g.join("x.csv/inner.csv").exists(), "a directory was taken");
    assert!(log.contains("a directory in a drop folder is never imported"), "{log}");
    // Refused link names are removed; nothing of their targets lands in globex's quarantine.
    for f in site.files("state/quarantine/globex") {
        assert_eq!(f.file_name().unwrap(), "reason.json", "{} kept in quarantine", f.display());
    }
    assert_no_canary(&site);
}

#[test]
fn a_file_appended_to_after_its_upload_is_imported_whole_or_refused() {
    let site = Site::new("workers = 1");
    let mut child = site.spawn();
    let first = orders_csv("acme-grow", 150_000);
    let path = site.drop_dir("acme").join("grow.csv");
    let mut handle = std::fs::File::create(&path).unwrap();
    handle.write_all(&first).unwrap();
    assert!(wait_until(Duration::from_secs(30), || !path.exists()), "the file was never claimed");
    let more: Vec<u8> =
        (150_000..151_000).flat_map(|n| format!("acme-grow-{n},x{n}@example.com,n\n").into_bytes()).collect();
    handle.write_all(&more).unwrap();
    drop(handle);
    let done =
        wait_until(Duration::from_secs(60), || !site.outputs("acme").is_empty() || !site.reasons("acme").is_empty());
    signal(&child, "TERM");
    wait_exit(&mut child, Duration::from_secs(30));
    assert!(done, "the import never ended");
    let stored = site.stored_ids("acme");
    let reasons = site.reasons("acme");
    eprintln!("appended file: {} rows stored, {} quarantined", stored.len(), reasons.len());
    if stored.is_empty() {
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0]["kind"], "changed_during_import");
    } else {
        assert_eq!(stored.len(), 151_000, "a half file was imported");
    }
}

#[test]
fn a_rule_file_broken_on_reload_keeps_the_old_rules() {
    let site = Site::new("");
    let mut child = site.spawn();
    let committed = |n: usize| wait_until(Duration::from_secs(30), || site.outputs("acme").len() >= n);
    site.drop_file("acme", "one.csv", &orders_csv("acme-one", 5));
    assert!(committed(1));
    site.replace_rules("acme", "version = 1\n[columns]\nid = \"kepp\"\n");
    assert!(wait_until(Duration::from_secs(10), || site
        .logs()
        .contains("is refused; the previous rules stay in force")));
    site.drop_file("acme", "two.csv", &orders_csv("acme-two", 5));
    assert!(committed(2));
    for f in site.outputs("acme") {
        assert_eq!(column_names(&f), ["id", "email"], "the old rules were not in force");
    }
    // A valid change is swapped in and audited, with the new rule file's name.
    site.replace_rules("acme", "version = 1\nname = \"Only ids\"\n[columns]\nid = \"keep\"\n");
    assert!(wait_until(Duration::from_secs(10), || site.logs().contains("the new version is in force")));
    site.drop_file("acme", "three.csv", &orders_csv("acme-three", 5));
    assert!(committed(3));
    let names: Vec<Vec<String>> = site.outputs("acme").iter().map(|f| column_names(f)).collect();
    assert!(names.contains(&vec!["id".to_string()]), "{names:?}");
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    let audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).unwrap();
    assert_eq!(audit.matches("\"event\":\"rules_reloaded\"").count(), 1);
    let reloaded = audit.lines().find(|l| l.contains("\"event\":\"rules_reloaded\"")).unwrap_or_default();
    assert!(reloaded.contains("\"rules_name\":\"Only ids\""), "{reloaded}");
    assert_no_canary(&site);
}

#[test]
fn sigterm_during_an_import_exits_0_with_nothing_partial() {
    let site = Site::new("workers = 1\nshutdown_grace_ms = 0");
    let mut child = site.spawn();
    site.drop_file("acme", "big.csv", &orders_csv("acme-big", 400_000));
    let claimed = wait_until(Duration::from_secs(30), || site.files("state/processing").len() == 1);
    assert!(claimed, "never claimed");
    signal(&child, "TERM");
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "SIGTERM did not exit 0: {status:?}");
    let visible: Vec<_> = site.files("storage");
    let log = site.logs();
    eprintln!("SIGTERM: {} files visible in storage", visible.len());
    if visible.is_empty() {
        assert!(log.contains("rolled back for shutdown"), "{log}");
        assert_eq!(site.files("state/processing").len(), 1, "the claimed file must wait for the next start");
    } else {
        // The import beat the signal: then it is whole.
        assert_eq!(site.stored_ids("acme").len(), 400_000);
    }
    let out = site.run_once();
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = site.stored_ids("acme");
    assert_eq!(stored.len(), 400_000);
    assert!(stored.values().all(|n| *n == 1));
    assert_clean_state(&site);
}

#[test]
fn a_tampered_audit_record_is_caught_by_audit_verify() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 7));
    site.drop_file("acme", "b.csv", &orders_csv("acme-b", 3));
    assert!(site.run_once().status.success());
    let verify = || site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    let ok = verify();
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("chain intact"));
    let path = site.path("state/audit/acme.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l.contains("\"rows_out\":7")).expect("a committed record") + 1;
    std::fs::write(&path, text.replacen("\"rows_out\":7", "\"rows_out\":8", 1)).unwrap();
    let bad = verify();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains(&format!("acme.jsonl:{line}: record seq {line} is broken")), "{}", stderr(&bad));
}

/// A rule file's `name` and `description` appeared in no audit record. Every import record
/// of a named rule file carries `rules_name` (and `rules_description`, capped); a rule file
/// without them records nulls.
#[test]
fn audit_import_records_carry_the_rule_files_name_and_description() {
    let site = Site::new("");
    let long = "y".repeat(400);
    site.replace_rules(
        "acme",
        &RULES.replacen(
            "version = 1\n",
            &format!("version = 1\nname = \"Acme orders\"\ndescription = \"{long}\"\n"),
            1,
        ),
    );
    site.drop_file("acme", "good.csv", &orders_csv("acme-good", 2));
    let mut bad = orders_csv("acme-bad", 2);
    bad.extend_from_slice(b"acme-bad-x,x@example.com,one field,too many\n");
    site.drop_file("acme", "bad.csv", &bad);
    site.drop_file("globex", "plain.csv", &orders_csv("globex-plain", 2));
    assert_eq!(site.run_once().status.code(), Some(1), "bad.csv is quarantined");
    let records = |tenant: &str| -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(site.path(&format!("state/audit/{tenant}.jsonl"))).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let acme = records("acme");
    for event in ["import_started", "committed", "quarantined"] {
        let rec = acme.iter().find(|r| r["event"] == event).unwrap_or_else(|| panic!("no {event} in {acme:?}"));
        assert_eq!(rec["rules_name"], "Acme orders", "{rec}");
    }
    let committed = acme.iter().find(|r| r["event"] == "committed").unwrap();
    let description = committed["rules_description"].as_str().unwrap_or_default();
    assert_eq!(description.chars().count(), 300, "capped: {committed}");
    assert!(description.starts_with("yyy") && description.ends_with('…'), "{committed}");
    let globex = records("globex");
    let plain = globex.iter().find(|r| r["event"] == "committed").unwrap();
    assert!(plain["rules_name"].is_null() && plain["rules_description"].is_null(), "{plain}");
    let verify = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// Where rules make fakes, the import's audit record names the lists they come from (the
/// same value gives the same fake only under one list version); elsewhere it does not.
#[test]
fn audit_records_name_the_fake_lists_where_rules_make_fakes() {
    let site = Site::new("");
    site.replace_rules(
        "acme",
        &RULES.replace(
            "email = { action = \"pseudonymize\", prefix = \"u_\" }",
            "email = { action = \"fake\", kind = \"email\" }",
        ),
    );
    site.drop_file("acme", "good.csv", &orders_csv("acme-good", 2));
    site.drop_file("globex", "plain.csv", &orders_csv("globex-plain", 2));
    assert!(site.run_once().status.success());
    let started = |tenant: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(site.path(&format!("state/audit/{tenant}.jsonl"))).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["event"] == "import_started")
            .unwrap_or_else(|| panic!("no import_started for {tenant}"))
    };
    assert_eq!(started("acme")["fake_lists"], "fake-v1");
    assert!(started("globex").get("fake_lists").is_none());
}

#[test]
fn a_broken_file_is_quarantined_with_a_reason_and_no_values() {
    let site = Site::new("");
    let mut bad = orders_csv("acme-bad", 10);
    bad.extend_from_slice(b"acme-bad-x,canary.extra@example.com,CANARY,one field too many\n");
    site.drop_file("acme", "bad.csv", &bad);
    site.drop_file("acme", "good.csv", &orders_csv("acme-good", 2));
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let reasons = site.reasons("acme");
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0]["kind"], "input");
    assert_eq!(reasons[0]["line"], 12);
    assert_eq!(reasons[0]["file"], "bad.csv");
    let dir = site.path(&format!("state/quarantine/acme/orders/{}", reasons[0]["import_id"].as_str().unwrap()));
    assert_eq!(std::fs::read(dir.join("input.csv")).unwrap(), bad, "the original is kept as it came");
    assert_eq!(site.stored_ids("acme").len(), 2);
    // A second run does not pick it up again.
    assert!(site.run_once().status.success());
    assert_eq!(site.reasons("acme").len(), 1);
    assert_no_canary(&site);
}

#[test]
fn the_configuration_is_validated_before_anything_starts() {
    let site = Site::new("");
    let cfg = std::fs::read_to_string(site.path("importd.toml")).unwrap();
    let check = |text: &str, expect: &str| {
        site.write("bad.toml", text);
        let out = site.run(&["serve", "--config", "bad.toml", "--once"]);
        assert_eq!(out.status.code(), Some(2), "{text}\n{}", stderr(&out));
        assert!(stderr(&out).contains(expect), "expected `{expect}` in: {}", stderr(&out));
    };
    check(
        &cfg.replace("[tenants.acme]", "[tenants.Acme]").replace("tenants.acme.", "tenants.Acme."),
        "tenant name `Acme` is not allowed",
    );
    check(&cfg.replace("settle_ms", "setle_ms"), "bad.toml:4: unknown field `setle_ms`");
    check(&cfg.replace("keys/acme.key", "keys/none.key"), "tenant `acme`");
    site.write("rules/broken.toml", "version = 1\n[columns]\nid = \"kepp\"\n");
    check(&cfg.replace("rules/acme.toml", "rules/broken.toml"), "broken.toml:3");
    // The daemon checks key files as `anonymize` does: 0600 or 0400, nothing else.
    for (mode, shown) in [(0o644, "its mode is 0644"), (0o700, "its mode is 0700")] {
        set_mode(&site.path("keys/globex.key"), mode);
        check(&cfg, shown);
        check(&cfg, "chmod 600");
    }
    // Owner read-only is a key file's mode too: the daemon below starts with it.
    set_mode(&site.path("keys/globex.key"), 0o400);
    // A second daemon on the same state_dir is refused.
    let mut first = site.spawn();
    assert!(wait_until(Duration::from_secs(10), || site.logs().contains("importd is running")));
    let second = site.run(&["serve", "--config", "importd.toml", "--once"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(stderr(&second).contains("another importd is already running"), "{}", stderr(&second));
    signal(&first, "INT");
    assert!(wait_exit(&mut first, Duration::from_secs(30)).success());
}

#[test]
fn metrics_health_and_readiness_are_served() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let site = Site::new(&format!("metrics_addr = \"127.0.0.1:{port}\""));
    let mut child = site.spawn();
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 3));
    assert!(wait_until(Duration::from_secs(30), || site.outputs("acme").len() == 1));
    let try_get = |path: &str| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
        let mut body = String::new();
        s.read_to_string(&mut body)?;
        Ok(body)
    };
    // The listener starts alongside the scanner; wait until it answers.
    assert!(wait_until(Duration::from_secs(10), || try_get("/healthz").is_ok()), "metrics never served");
    let get = |path: &str| try_get(path).unwrap();
    assert!(wait_until(Duration::from_secs(5), || get("/metrics").contains("outcome=\"committed\"} 1")));
    let metrics = get("/metrics");
    for name in [
        "importd_rows_in_total 3",
        "importd_queue_depth",
        "importd_oldest_pending_seconds",
        "importd_import_duration_seconds_bucket",
        "importd_rescans_total",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    assert!(!metrics.to_lowercase().contains("canary"));
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(get("/readyz").starts_with("HTTP/1.1 200"));
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
}

#[test]
fn keep_input_days_archives_the_input_instead_of_deleting_it() {
    let site = Site::new("keep_input_days = 7");
    let csv = orders_csv("acme-keep", 4);
    site.drop_file("acme", "keep.csv", &csv);
    assert!(site.run_once().status.success());
    assert_eq!(site.stored_ids("acme").len(), 4);
    let archived = site.files("state/archive/acme/orders");
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert_eq!(std::fs::read(&archived[0]).unwrap(), csv);
    assert!(site.files("state/processing").is_empty());
}

#[test]
fn keep_quarantine_days_removes_quarantined_originals_past_their_retention_and_keeps_younger_ones() {
    let site = Site::new("keep_quarantine_days = 0\n[limits]\nmax_rows = 2");
    site.drop_file("acme", "old.csv", &orders_csv("acme-old", 5));
    assert_eq!(site.run_once().status.code(), Some(1), "quarantined");
    assert_eq!(site.reasons("acme").len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // The next start prunes what is older than 0 days; a file quarantined in the same run is
    // younger than a second and stays until the next prune.
    site.drop_file("globex", "new.csv", &orders_csv("globex-new", 5));
    site.run_once();
    assert!(site.files("state/quarantine/acme").is_empty(), "{:?}", site.files("state/quarantine/acme"));
    assert_eq!(site.reasons("globex").len(), 1, "the new quarantine stays");
}

#[test]
fn quarantine_retention_runs_when_no_input_was_ever_archived() {
    let site = Site::new("keep_input_days = 7\nkeep_quarantine_days = 0\n[limits]\nmax_rows = 2");
    site.drop_file("acme", "old.csv", &orders_csv("acme-old", 5));
    assert_eq!(site.run_once().status.code(), Some(1), "quarantined");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    site.run_once();
    assert!(site.files("state/quarantine/acme").is_empty(), "{:?}", site.files("state/quarantine/acme"));
}

#[test]
fn files_over_the_configured_limits_are_quarantined_with_the_limit_named() {
    let site = Site::new("[limits]\nmax_file_bytes = 5000\nmax_rows = 50\nmax_field_bytes = 40\nmax_columns = 3");
    site.drop_file("acme", "big.csv", &orders_csv("acme-big", 200));
    site.drop_file("acme", "rows.csv", &orders_csv("acme-rows", 60));
    let mut wide = b"id,email,note,x\n".to_vec();
    wide.extend_from_slice(b"1,a@example.com,n,x\n");
    site.drop_file("acme", "wide.csv", &wide);
    let mut long = b"id,email,note\n".to_vec();
    long.extend_from_slice(format!("1,a@example.com,{}\n", "y".repeat(100)).as_bytes());
    site.drop_file("acme", "long.csv", &long);
    site.drop_file("acme", "fine.csv", &orders_csv("acme-fine", 5));
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut got: Vec<(String, String)> = site
        .reasons("acme")
        .iter()
        .map(|r| (r["file"].as_str().unwrap().to_string(), r["message"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let expect = [
        ("big.csv", "more than the limit of 5000 bytes"),
        ("long.csv", "line 2, field 3: the field is longer than the limit of 40 bytes"),
        ("rows.csv", "more than 50 rows"),
        ("wide.csv", "more than 3 columns"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for ((file, message), (want_file, want)) in got.iter().zip(expect) {
        assert_eq!(file, want_file);
        assert!(message.contains(want), "{file}: {message}");
    }
    assert_eq!(site.stored_ids("acme").len(), 5);
    assert_no_canary(&site);
}

#[test]
fn the_output_section_sets_the_parquet_codec_and_row_groups() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let site = Site::new("[output]\ncompression = \"snappy\"\nrow_group_rows = 100");
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 250));
    assert!(site.run_once().status.success());
    let out = &site.outputs("acme")[0];
    let reader = SerializedFileReader::new(std::fs::File::open(out).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 3);
    assert_eq!(meta.row_group(0).column(0).compression(), parquet::basic::Compression::SNAPPY);
    let bad = Site::new("[output]\nzstd_level = 40");
    let out = bad.run_once();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("zstd_level 40 is out of range"), "{}", stderr(&out));
}
