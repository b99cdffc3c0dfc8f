//! Hostile sizes: rows of 64 KiB, 1 MiB and 16 MiB, 8 MiB fields, an 8 MiB cell of
//! back-to-back findings, and four concurrent wide-row imports in the daemon. Data is
//! generated at test time. `anonymize` must stay under 300 MB of peak RSS in every case, the
//! daemon within its `max_memory_mb`. Each case prints its peak RSS and wall time; the input
//! sizes are small in debug builds and full in release ones (or with `IMPORTD_HOSTILE_FULL`):
//!
//! ```text
//! cargo test --release -p importd --test hostile -- --nocapture --test-threads 1
//! ```
//!
//! Its own test binary (not a module of `e2e`): its gigabytes of writes would stall the
//! fsyncs of the daemons the e2e tests start and time them out.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../anonymizer-core/tests/support/lying_parquet.rs"]
mod lying_parquet;
#[allow(dead_code)]
mod site;
#[allow(dead_code)]
mod support;

use site::{files_under, wait_exit, wait_until, Site};
use support::{importd_path, Sandbox};

/// `anonymize`'s peak RSS bound on every case.
const ANONYMIZE_PEAK_MB: f64 = 300.0;

/// Whether inputs are generated at full size (release builds, or asked for).
fn full() -> bool {
    !cfg!(debug_assertions) || std::env::var_os("IMPORTD_HOSTILE_FULL").is_some()
}

/// Total input bytes of a case: `full_mb` at full size, an eighth of it otherwise (never
/// less than `least_mb`).
fn total(full_mb: u64, least_mb: u64) -> u64 {
    (if full() { full_mb } else { (full_mb / 8).max(least_mb) }) << 20
}

/// A finished `importd` run: exit status, stderr, peak RSS in MiB, wall time.
struct Measured {
    ok: bool,
    stderr: String,
    peak_mb: f64,
    wall: Duration,
}

/// Runs importd in `dir` and measures its peak resident set (`ru_maxrss` of `wait4`).
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which std's `Child` does not know of
fn measured(dir: &Path, args: &[&str]) -> Measured {
    let err_path = dir.join("stderr.log");
    let started = Instant::now();
    let child = Command::new(importd_path())
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn importd");
    let (status, maxrss_kb) = wait4(child.id() as i32);
    let wall = started.elapsed();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    Measured { ok: status == 0, stderr, peak_mb: maxrss_kb as f64 / 1024.0, wall }
}

/// Waits for `pid` and returns its exit code (or -1 when killed by a signal) and its peak
/// RSS in KiB. std's `Child::wait` gives no resource usage.
#[allow(unsafe_code)]
fn wait4(pid: i32) -> (i32, i64) {
    let mut status = 0i32;
    // SAFETY: `rusage` is plain old data, zeroed is a valid value; both pointers are to
    // locals that outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage.ru_maxrss)
}

/// Writes `rows` CSV rows, each produced by `row(i)`, after a header.
fn write_csv(path: &Path, header: &str, rows: u64, mut row: impl FnMut(u64, &mut dyn Write)) {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).expect("create input"));
    writeln!(w, "{header}").expect("write");
    for i in 0..rows {
        row(i, &mut w);
        w.write_all(b"\n").expect("write");
    }
    w.flush().expect("flush");
}

/// `n` bytes of ordinary text, varied by `seed` (letters and spaces, no delimiter or quote).
fn text(n: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&[u8]] = &[b"Kunde ", b"ruft ", b"an ", b"wegen ", b"Lieferung ", b"und ", b"Rechnung "];
    let mut out = Vec::with_capacity(n + 16);
    let mut i = seed as usize;
    while out.len() < n {
        out.extend_from_slice(WORDS[i % WORDS.len()]);
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    out.truncate(n);
    out
}

/// `importd anonymize` of `input` under `rules` into `out.parquet`, measured; and that path.
fn measured_anonymize(s: &Sandbox, rules: &str, input: &Path) -> (Measured, std::path::PathBuf) {
    s.write("rules.toml", rules);
    let out = s.path("out.parquet");
    let args = [
        "anonymize",
        "--rules",
        "rules.toml",
        "--key-file",
        "k.key",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    (measured(s.dir.path(), &args), out)
}

/// Runs `anonymize` on `input` with `rules`, checks success and the RSS bound, and reports.
fn anonymize_case(s: &Sandbox, case: &str, rules: &str, input: &Path) -> Measured {
    let size = std::fs::metadata(input).expect("input").len();
    let (m, _) = measured_anonymize(s, rules, input);
    eprintln!(
        "hostile: {case}: input {} MiB, peak RSS {:.0} MiB, wall {:.2} s",
        size >> 20,
        m.peak_mb,
        m.wall.as_secs_f64()
    );
    assert!(m.ok, "{case}: anonymize failed: {}", m.stderr);
    assert!(m.peak_mb <= ANONYMIZE_PEAK_MB, "{case}: peak RSS {:.0} MiB > {ANONYMIZE_PEAK_MB} MiB", m.peak_mb);
    let _ = std::fs::remove_file(input);
    m
}

/// Rows of an `id` and one field per rule in `rules` (each `width` bytes of text), about
/// `full_mb` MiB in all at full size, run through `anonymize`.
fn wide_rows(case: &str, rules: &[(&str, &str)], width: usize, full_mb: u64) {
    let s = Sandbox::new();
    let input = s.path("in.csv");
    let row_bytes = (width * rules.len()) as u64;
    let rows = (total(full_mb, 64) / row_bytes).max(4);
    let field = text(width, rules.len() as u64);
    let header: Vec<&str> = std::iter::once("id").chain(rules.iter().map(|(name, _)| *name)).collect();
    write_csv(&input, &header.join(","), rows, |i, w| {
        write!(w, "{i}").expect("write");
        for _ in rules {
            w.write_all(b",").expect("write");
            w.write_all(&field).expect("write");
        }
    });
    let mut text = String::from("version = 1\n[columns]\nid = \"keep\"\n");
    for (name, rule) in rules {
        text.push_str(&format!("{name} = {rule}\n"));
    }
    anonymize_case(&s, case, &text, &input);
}

const PSEUDONYMIZE: &str = "\"pseudonymize\"";

#[test]
fn hostile_rows_of_64_kib_stay_under_the_memory_bound() {
    wide_rows("rows of 64 KiB", &[("payload", PSEUDONYMIZE)], (64 << 10) - 16, 1536);
}

#[test]
fn hostile_rows_of_1_mib_stay_under_the_memory_bound() {
    wide_rows("rows of 1 MiB", &[("payload", PSEUDONYMIZE)], (1 << 20) - 16, 1024);
}

#[test]
fn hostile_rows_of_16_mib_stay_under_the_memory_bound() {
    // Two fields just under the 8 MiB field limit: rows just under the 16 MiB line limit.
    // One is pseudonymized, the other kept, so the writer holds wide values too.
    wide_rows("rows of 16 MiB", &[("payload", PSEUDONYMIZE), ("kept", "\"keep\"")], (8 << 20) - 64, 1024);
}

#[test]
fn hostile_fields_of_8_mib_are_masked_under_the_memory_bound() {
    let mask = "{ action = \"mask\", keep_first = 2 }";
    wide_rows("fields of 8 MiB (masked)", &[("note", mask)], (8 << 20) - 32, 512);
}

/// A cell of `kinds` findings back to back, about 8 MiB at full size (1 MiB otherwise),
/// redacted by `anonymize`.
fn findings_cell(case: &str, kinds: &[&dyn Fn(u64) -> String]) {
    let s = Sandbox::new();
    let input = s.path("in.csv");
    let size = if full() { (8 << 20) - 4096 } else { 1 << 20 };
    let mut cell = Vec::with_capacity(size + 64);
    let mut i = 0u64;
    while cell.len() < size {
        cell.extend_from_slice(kinds[(i % kinds.len() as u64) as usize](i).as_bytes());
        i += 1;
    }
    cell.truncate(size);
    write_csv(&input, "id,note", 1, |_, w| {
        w.write_all(b"1,").expect("write");
        w.write_all(&cell).expect("write");
    });
    let rules = "version = 1\n[columns]\nid = \"keep\"\n\
                 note = { action = \"redact\", detect = [\"email\", \"phone\", \"iban\", \"credit_card\"] }\n";
    anonymize_case(&s, &format!("{case}, {} KiB", size >> 10), rules, &input);
}

#[test]
fn hostile_cell_of_back_to_back_findings_is_redacted_in_linear_time() {
    findings_cell(
        "a cell of back-to-back e-mails, phones, IBANs and cards",
        &[
            &|i| format!("a{i}@example.com "),
            &|_| "+49 170 1234567 ".to_string(),
            &|_| "DE89 3704 0044 0532 0130 00 ".to_string(),
            &|_| "4111 1111 1111 1111 ".to_string(),
        ],
    );
}

#[test]
fn hostile_cell_of_chained_phone_numbers_is_redacted_in_linear_time() {
    // Each replacement exposes the next number: whole-cell passes took one pass per number.
    findings_cell("a cell of chained phone numbers", &[&|_| "030 1234 5678 ".to_string()]);
}

#[test]
fn hostile_four_concurrent_wide_row_imports_stay_within_max_memory_mb() {
    // 4 workers, lines of up to 16 MiB: each worker's own buffers take 104 MiB of the 512,
    // the batches in flight share the rest.
    const MAX_MEMORY_MB: u64 = 512;
    let site = Site::new(&format!("workers = 4\nmax_memory_mb = {MAX_MEMORY_MB}\n"));
    let rows = if full() { 8 } else { 4 };
    let email = text((8 << 20) - 64, 4);
    let note = text((8 << 20) - 64, 5);
    for (n, tenant) in ["acme", "globex", "acme", "globex"].iter().enumerate() {
        let path = site.path(&format!("gen-{n}.csv"));
        write_csv(&path, "id,email,note", rows, |i, w| {
            write!(w, "{n}-{i},").expect("write");
            w.write_all(&email).expect("write");
            w.write_all(b",").expect("write");
            w.write_all(&note).expect("write");
        });
        std::fs::rename(&path, site.drop_dir(tenant).join(format!("wide-{n}.csv"))).expect("drop");
    }
    let started = Instant::now();
    let mut daemon = site.spawn();
    let committed = || ["acme", "globex"].iter().map(|t| site.outputs(t).len()).sum::<usize>() == 4;
    let done = wait_until(Duration::from_secs(600), committed);
    let peak_kb = peak_rss_kb(daemon.id());
    let wall = started.elapsed();
    site::signal(&daemon, "TERM");
    wait_exit(&mut daemon, Duration::from_secs(60));
    let peak_mb = peak_kb as f64 / 1024.0;
    eprintln!(
        "hostile: four concurrent imports of {rows} rows of 16 MiB: peak RSS {peak_mb:.0} MiB (max_memory_mb {MAX_MEMORY_MB}), wall {:.2} s",
        wall.as_secs_f64()
    );
    assert!(done, "the four imports did not commit: {}", site.logs());
    assert!(files_under(&site.path("state/quarantine")).is_empty(), "quarantined: {}", site.logs());
    assert!(peak_mb <= MAX_MEMORY_MB as f64, "daemon peak RSS {peak_mb:.0} MiB > max_memory_mb {MAX_MEMORY_MB}");
}

#[test]
fn hostile_rows_too_wide_for_max_memory_mb_are_refused_at_start_not_at_oom() {
    // 8 workers with 16 MiB lines cannot fit 256 MiB: the daemon names the least workable value.
    let site = Site::new("workers = 8\nmax_memory_mb = 256\n");
    let out = site.run_once();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("max_memory_mb = 256 is too small for 8 worker(s)"), "{err}");
}

/// The high-water mark of a live process's resident set, from `/proc`.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Runs `anonymize` (keep every column) on a file that must fail as damaged: exit 1, one
/// sentence saying so, no output, and the RSS bound held while finding out.
fn damaged_case(s: &Sandbox, case: &str, input: &Path, says: &str) {
    let (m, out) = measured_anonymize(s, "version = 1\nunlisted = \"keep\"\n", input);
    eprintln!("hostile: {case}: refused, peak RSS {:.0} MiB, wall {:.2} s", m.peak_mb, m.wall.as_secs_f64());
    assert!(!m.ok, "{case}: a damaged file was imported");
    assert!(m.stderr.contains(says), "{case}: {}", m.stderr);
    assert!(!out.exists(), "{case}: partial output left behind");
    assert!(m.peak_mb <= ANONYMIZE_PEAK_MB, "{case}: peak RSS {:.0} MiB", m.peak_mb);
}

#[test]
fn hostile_parquet_page_claiming_2_gib_is_damaged_without_taking_the_memory() {
    let s = Sandbox::new();
    let lying = lying_parquet::lying_parquet(parquet::basic::Compression::SNAPPY, Some(i32::MAX));
    let input = s.write("lying.parquet", lying);
    damaged_case(&s, "a Parquet page claiming 2 GiB", &input, "claims more than its page holds");
}

/// An Arrow IPC file or stream of `batches` batches of 1 MiB strings.
fn arrow_ipc(stream: bool, batches: usize) -> Vec<u8> {
    use std::sync::Arc;
    let column: arrow_array::ArrayRef =
        Arc::new(arrow_array::StringArray::from_iter_values((0..16).map(|i| format!("{i:x}").repeat(64 << 10))));
    let batch = arrow_array::RecordBatch::try_from_iter([("note", column)]).expect("batch");
    let mut out = Vec::new();
    if stream {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema()).expect("writer");
        (0..batches).for_each(|_| w.write(&batch).expect("write"));
        w.finish().expect("finish");
    } else {
        let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batch.schema()).expect("writer");
        (0..batches).for_each(|_| w.write(&batch).expect("write"));
        w.finish().expect("finish");
    }
    out
}

#[test]
fn hostile_truncated_arrow_file_is_damaged_never_its_first_part() {
    let s = Sandbox::new();
    let whole = arrow_ipc(false, if full() { 64 } else { 16 });
    let input = s.write("cut.arrow", &whole[..whole.len() / 2]);
    damaged_case(&s, "a truncated Arrow file", &input, "Arrow IPC file (damaged or truncated)");
}

#[test]
fn hostile_truncated_arrow_stream_is_damaged_never_its_first_part() {
    let s = Sandbox::new();
    let whole = arrow_ipc(true, if full() { 64 } else { 16 });
    let input = s.write("cut.arrows", &whole[..whole.len() / 2]);
    damaged_case(&s, "a truncated Arrow stream", &input, "Arrow IPC stream (damaged or truncated)");
}
