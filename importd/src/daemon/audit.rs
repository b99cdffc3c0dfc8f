//! The tenant's audit log, `<state_dir>/audit/<tenant>.jsonl`: one JSON object per line, each
//! ending in `"mac"`, the hex HMAC-SHA256 (tenant audit sub-key, HKDF info `importd/v1/audit`)
//! over the previous record's 32 MAC bytes (32 zero bytes for the first record) followed by
//! the record's own bytes without the MAC, i.e. the line with `,"mac":"…"` removed.
//! Changing, removing or reordering any record breaks every MAC after it; `verify` names the
//! first broken one. Records hold names, counts and hashes, never cell values.
//!
//! Each record names the key whose audit sub-key made its MAC (`mac_key`, a key id): after
//! `keys rotate` the chain goes on under the new key, and verification picks each record's
//! key from the tenant's ring (a record without `mac_key`, from before key rings, is the
//! ring's oldest key's). Appends take an exclusive `flock` on the log and re-read its last
//! record when another process (a command run beside the daemon: `subject erase`, `keys
//! rotate`) appended since, so several writers extend one chain.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use ring::hmac;
use serde_json::{Map, Value};

const MAC_HEX: usize = 64;
/// `,"mac":"` + 64 hex digits + `"}`.
const MAC_SUFFIX: usize = 8 + MAC_HEX + 2;

/// An audit sub-key and the id of the master key it comes from.
#[derive(Clone)]
pub struct AuditKey {
    pub id: String,
    pub key: hmac::Key,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id)
    }
}

impl AuditKey {
    /// The audit sub-key of a key set.
    pub fn of(keys: &anonymizer_core::KeySet) -> AuditKey {
        AuditKey { id: keys.key_id().to_string(), key: keys.audit_key().clone() }
    }

    /// Every key of a ring, oldest first: what verification picks from.
    pub fn ring(ring: &crate::daemon::keyring::KeyRing) -> Vec<AuditKey> {
        ring.all().iter().map(|k| AuditKey::of(&k.keys)).collect()
    }
}

/// An open audit log, positioned to append.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    key: AuditKey,
    /// The log's length after this process's last look: a different length means another
    /// process appended (or a torn append was cut).
    end: u64,
    prev: [u8; 32],
    seq: u64,
    /// (import id, event) of the records present for imports that were unfinished when the
    /// log was opened, and of those written since: what makes each record idempotent across
    /// crashes. An import's entries are forgotten when it is done.
    recorded: HashSet<(String, String)>,
    /// Set after a failed fsync: every later append is refused.
    poisoned: bool,
}

impl AuditLog {
    /// Opens (or creates) the log, reading only what it needs: the last record (the chain's
    /// head; a torn last line from a crash is cut off) and the records from byte `scan_from`
    /// on, where those of the imports in `unfinished` are indexed so finishing them never
    /// writes one twice. `scan_from` is the log's length when the oldest unfinished import
    /// was claimed (the ledger keeps it), so opening does not grow with the log's history.
    pub fn open(path: &Path, key: AuditKey, unfinished: &HashSet<String>, scan_from: u64) -> io::Result<AuditLog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        file.lock()?;
        let head = head(&mut file);
        let _ = file.unlock();
        let (good, prev, seq) = head?;
        let mut recorded = HashSet::new();
        if !unfinished.is_empty() {
            file.seek(SeekFrom::Start(scan_from.min(good)))?;
            let mut reader = BufReader::new((&mut file).take(good - scan_from.min(good)));
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line)? > 0 {
                if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&line) {
                    if let (Some(Value::String(id)), Some(Value::String(ev))) = (m.get("import_id"), m.get("event")) {
                        if unfinished.contains(id) {
                            recorded.insert((id.clone(), ev.clone()));
                        }
                    }
                }
                line.clear();
            }
        }
        Ok(AuditLog { file, key, end: good, prev, seq, recorded, poisoned: false })
    }

    /// The key later records are sealed with (the ring's active key after a rotation).
    pub fn set_key(&mut self, key: AuditKey) {
        self.key = key;
    }

    /// The id of the key records are sealed with now.
    pub fn key_id(&self) -> &str {
        &self.key.id
    }

    /// The log's length: where the records of an import claimed now will start.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Whether the log holds a record of `event` for `import_id` (an unfinished import).
    pub fn has(&self, import_id: &str, event: &str) -> bool {
        self.recorded.contains(&(import_id.to_string(), event.to_string()))
    }

    /// The import is finished; its records need not be remembered.
    pub fn forget(&mut self, import_id: &str) {
        self.recorded.retain(|(id, _)| id != import_id);
    }

    /// Appends one record (fields in `body`, plus `seq`, `at` and `event`) and fsyncs it. On
    /// error the record is cut off again; `Err((e, true))` means the fsync failed, so whether
    /// earlier records are durable is unknown.
    pub fn append(&mut self, event: &str, body: Map<String, Value>) -> Result<(), (io::Error, bool)> {
        if self.poisoned {
            return Err((io::Error::other("the audit log refuses appends after a failed fsync"), true));
        }
        self.file.lock().map_err(|e| (e, false))?;
        let result = self.append_locked(event, body);
        let _ = self.file.unlock();
        result
    }

    fn append_locked(&mut self, event: &str, body: Map<String, Value>) -> Result<(), (io::Error, bool)> {
        let import_id = body.get("import_id").and_then(Value::as_str).map(String::from);
        let mut len = self.file.metadata().map_err(|e| (e, false))?.len();
        if len != self.end {
            // Another process appended: chain onto its last record.
            let (good, prev, seq) = head(&mut self.file).map_err(|e| (e, false))?;
            (self.prev, self.seq, len) = (prev, seq, good);
        }
        let (mut line, mac) = seal(&self.key, &self.prev, self.seq + 1, event, body);
        line.push('\n');
        let failed = match self.file.write_all(line.as_bytes()) {
            Err(e) => Some((e, false)),
            Ok(()) => self.file.sync_data().err().map(|e| (e, true)),
        };
        if let Some(e) = failed {
            // Never leave half a record for the next one to chain onto.
            let _ = self.file.set_len(len);
            self.poisoned |= e.1;
            return Err(e);
        }
        if let Some(id) = import_id {
            self.recorded.insert((id, event.to_string()));
        }
        self.prev = mac;
        self.seq += 1;
        self.end = len + line.len() as u64;
        Ok(())
    }
}

/// Reads the chain's head: cuts a torn last line (a crashed append) off, and returns the
/// log's good length, the last record's MAC and its sequence number.
fn head(file: &mut File) -> io::Result<(u64, [u8; 32], u64)> {
    let len = file.metadata()?.len();
    let (good, last) = last_line(file, len)?;
    if good != len {
        file.set_len(good)?;
        file.sync_all()?;
    }
    let mut prev = [0u8; 32];
    let mut seq = 0;
    if let Some(text) = &last {
        if let Some(bytes) = split_mac(text).and_then(|(_, mac)| data_encoding::HEXLOWER.decode(mac.as_bytes()).ok()) {
            prev.copy_from_slice(&bytes);
        }
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
            seq = m.get("seq").and_then(Value::as_u64).unwrap_or(0);
        }
    }
    Ok((good, prev, seq))
}

/// The end of the last complete line (what stays of the file) and that line, read backwards
/// from `len` in blocks; bytes after the last line feed are a torn append.
fn last_line(file: &mut File, len: u64) -> io::Result<(u64, Option<String>)> {
    const BLOCK: u64 = 64 << 10;
    let mut tail: Vec<u8> = Vec::new();
    let mut start = len;
    let mut good: Option<u64> = None;
    loop {
        if let Some(end) = good {
            // The line ends at `end - 1`; it starts after the line feed before it.
            let upto = (end - start) as usize - 1;
            if let Some(nl) = tail[..upto].iter().rposition(|b| *b == b'\n') {
                let text = String::from_utf8_lossy(&tail[nl + 1..upto]).into_owned();
                return Ok((end, Some(text)));
            }
            if start == 0 {
                return Ok((end, Some(String::from_utf8_lossy(&tail[..upto]).into_owned())));
            }
        } else if let Some(nl) = tail.iter().rposition(|b| *b == b'\n') {
            good = Some(start + nl as u64 + 1);
            continue;
        } else if start == 0 {
            return Ok((0, None));
        }
        let from = start.saturating_sub(BLOCK);
        let mut block = vec![0u8; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&tail);
        tail = block;
        start = from;
    }
}

/// One record of a chain: the line (without its line feed) for record `seq` of `event` with
/// the fields of `body` (plus `seq`, `at` and `event` first), chained onto the previous
/// record's MAC `prev`, and its own MAC, which the next record chains onto. The same for a
/// log file and for the chain a shared ledger keeps.
pub fn seal(key: &AuditKey, prev: &[u8; 32], seq: u64, event: &str, body: Map<String, Value>) -> (String, [u8; 32]) {
    let mut record = Map::new();
    record.insert("seq".into(), Value::from(seq));
    record.insert("at".into(), Value::from(now_rfc3339()));
    record.insert("event".into(), Value::from(event));
    record.insert("mac_key".into(), Value::from(key.id.as_str()));
    record.extend(body);
    let mut line = Value::Object(record).to_string();
    let tag = mac(&key.key, prev, line.as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(tag.as_ref());
    // The object's closing brace moves after the MAC.
    line.pop();
    line.push_str(",\"mac\":\"");
    line.push_str(&data_encoding::HEXLOWER.encode(&bytes));
    line.push_str("\"}");
    (line, bytes)
}

fn mac(key: &hmac::Key, prev: &[u8; 32], content: &[u8]) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(prev);
    ctx.update(content);
    ctx.sign()
}

/// Splits a line into (content without the MAC, MAC hex).
fn split_mac(line: &str) -> Option<(String, &str)> {
    if line.len() < MAC_SUFFIX + 2 || !line.is_char_boundary(line.len() - MAC_SUFFIX) {
        return None;
    }
    let (head, tail) = line.split_at(line.len() - MAC_SUFFIX);
    let mac = tail.strip_prefix(",\"mac\":\"")?.strip_suffix("\"}")?;
    if !mac.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    Some((format!("{head}}}"), mac))
}

pub fn now_rfc3339() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The result of checking a chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every record's MAC holds.
    Intact { records: u64 },
    /// The first record (1-based line) whose MAC or sequence does not hold.
    Broken { line: u64, seq: Option<u64>, why: &'static str },
}

/// Checks every record of the log at `path` with the tenant's audit keys.
pub fn verify(path: &Path, keys: &[AuditKey]) -> io::Result<Verdict> {
    verify_lines(BufReader::new(File::open(path)?).split(b'\n'), keys)
}

/// Checks a chain given as its records' lines (without line feeds), first to last: a log
/// file's lines or the records a shared ledger keeps.
/// Each record is checked with the key its `mac_key` names (the oldest key when it names
/// none); a record naming a key that is not in `keys` is broken.
pub fn verify_lines(lines: impl Iterator<Item = io::Result<Vec<u8>>>, keys: &[AuditKey]) -> io::Result<Verdict> {
    let mut prev = [0u8; 32];
    let mut n = 0u64;
    for (expected_seq, line) in (1u64..).zip(lines) {
        let line = line?;
        n = expected_seq;
        let Ok(text) = std::str::from_utf8(&line) else {
            return Ok(Verdict::Broken { line: n, seq: None, why: "it is not UTF-8 text" });
        };
        let (seq, key) = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => (
                m.get("seq").and_then(Value::as_u64),
                match m.get("mac_key") {
                    None => keys.first(),
                    Some(id) => keys.iter().find(|k| Some(k.id.as_str()) == id.as_str()),
                },
            ),
            _ => return Ok(Verdict::Broken { line: n, seq: None, why: "it is not a JSON object" }),
        };
        let Some(key) = key else {
            return Ok(Verdict::Broken { line: n, seq, why: "the key it names is not in the tenant's key ring" });
        };
        let Some((content, mac_hex)) = split_mac(text) else {
            return Ok(Verdict::Broken { line: n, seq, why: "it does not end with a MAC" });
        };
        let Ok(tag) = data_encoding::HEXLOWER.decode(mac_hex.as_bytes()) else {
            return Ok(Verdict::Broken { line: n, seq, why: "its MAC is not hex" });
        };
        let mut msg = prev.to_vec();
        msg.extend_from_slice(content.as_bytes());
        if hmac::verify(&key.key, &msg, &tag).is_err() {
            return Ok(Verdict::Broken {
                line: n,
                seq,
                why: "its MAC does not match: this record was changed, or one before it was removed or reordered",
            });
        }
        if seq != Some(expected_seq) {
            return Ok(Verdict::Broken { line: n, seq, why: "its sequence number is out of order" });
        }
        prev.copy_from_slice(&tag);
    }
    Ok(Verdict::Intact { records: n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey { id: "k7".into(), key: hmac::Key::new(hmac::HMAC_SHA256, &[7u8; 32]) }
    }

    fn body(rows: u64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("import_id".into(), Value::from("x"));
        m.insert("rows_in".into(), Value::from(rows));
        m
    }

    #[test]
    fn chain_verifies_and_names_the_first_changed_record() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        {
            let mut log = AuditLog::open(&path, key(), &HashSet::new(), 0)?;
            for rows in 0..5 {
                log.append("committed", body(rows)).map_err(|e| e.0)?;
            }
        }
        // Reopening continues the chain.
        AuditLog::open(&path, key(), &HashSet::new(), 0)?.append("daemon_stopped", Map::new()).map_err(|e| e.0)?;
        assert_eq!(verify(&path, &[key()])?, Verdict::Intact { records: 6 });
        assert!(matches!(
            verify(&path, &[AuditKey { id: "k7".into(), key: hmac::Key::new(hmac::HMAC_SHA256, &[8u8; 32]) }])?,
            Verdict::Broken { line: 1, .. }
        ));

        let text = std::fs::read_to_string(&path)?;
        let tampered = text.replacen("\"rows_in\":3", "\"rows_in\":4", 1);
        assert_ne!(tampered, text);
        std::fs::write(&path, &tampered)?;
        assert!(matches!(verify(&path, &[key()])?, Verdict::Broken { line: 4, seq: Some(4), .. }));

        // Removing a record breaks the next one.
        let lines: Vec<&str> = text.lines().collect();
        let without: String =
            lines.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
        std::fs::write(&path, without)?;
        assert!(matches!(verify(&path, &[key()])?, Verdict::Broken { line: 2, .. }));
        Ok(())
    }

    #[test]
    fn reopening_reads_only_the_tail_and_the_records_after_scan_from() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        let body_of = |id: &str| {
            let mut m = Map::new();
            m.insert("import_id".into(), Value::from(id));
            m.insert("padding".into(), Value::from("x".repeat(100)));
            m
        };
        let mark;
        {
            let mut log = AuditLog::open(&path, key(), &HashSet::new(), 0)?;
            // Far more than one 64 KiB block, so the head is found by reading backwards.
            for _ in 0..2000 {
                log.append("committed", body_of("old")).map_err(|e| e.0)?;
            }
            log.append("import_started", body_of("x")).map_err(|e| e.0)?;
            mark = log.size()?;
            log.append("committed", body_of("x")).map_err(|e| e.0)?;
        }
        // A torn append after the last record is cut off.
        let whole = std::fs::read(&path)?;
        std::fs::write(&path, [&whole[..], b"{\"seq\":2003,\"at\""].concat())?;
        let wanted: HashSet<String> = ["x".to_string(), "old".to_string()].into();
        let mut log = AuditLog::open(&path, key(), &wanted, mark)?;
        assert_eq!(std::fs::read(&path)?, whole, "the torn line is cut off");
        assert!(log.has("x", "committed"), "a record after scan_from is indexed");
        assert!(!log.has("x", "import_started"), "records before scan_from are not read");
        assert!(!log.has("old", "committed"));
        // The chain continues from the head found at the end.
        log.append("daemon_stopped", Map::new()).map_err(|e| e.0)?;
        assert_eq!(verify(&path, &[key()])?, Verdict::Intact { records: 2003 });
        Ok(())
    }

    #[test]
    fn sealed_lines_kept_elsewhere_verify_like_a_log_file() -> Result<(), Box<dyn std::error::Error>> {
        let (mut prev, mut lines) = ([0u8; 32], Vec::new());
        for seq in 1..=3 {
            let (line, mac) = seal(&key(), &prev, seq, "committed", body(seq));
            assert!(
                !line.contains('\n')
                    && line.ends_with(&format!("\"mac\":\"{}\"}}", data_encoding::HEXLOWER.encode(&mac)))
            );
            lines.push(line.into_bytes());
            prev = mac;
        }
        assert_eq!(verify_lines(lines.clone().into_iter().map(Ok), &[key()])?, Verdict::Intact { records: 3 });
        lines.swap(1, 2);
        assert!(matches!(verify_lines(lines.into_iter().map(Ok), &[key()])?, Verdict::Broken { line: 2, .. }));
        Ok(())
    }

    #[test]
    fn mac_is_hmac_over_previous_mac_and_content() -> Result<(), Box<dyn std::error::Error>> {
        // Independent check with Python:
        // python3 -c "import hmac,hashlib;print(hmac.new(bytes([7]*32), bytes(32)+b'{\"seq\":1}', hashlib.sha256).hexdigest())"
        let tag = mac(&key().key, &[0u8; 32], b"{\"seq\":1}");
        assert_eq!(
            data_encoding::HEXLOWER.encode(tag.as_ref()),
            "cc6c34396d29f1b61a42c82a8031ce11a999f8fc41bd9cdf515d4bb52d7b9fd7"
        );
        Ok(())
    }

    #[test]
    fn two_writers_on_one_log_extend_one_chain() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        let mut daemon = AuditLog::open(&path, key(), &HashSet::new(), 0)?;
        let mut command = AuditLog::open(&path, key(), &HashSet::new(), 0)?;
        for i in 0..5 {
            daemon.append("committed", body(i)).map_err(|e| e.0)?;
            command.append("subject_erased", body(i)).map_err(|e| e.0)?;
        }
        assert_eq!(verify(&path, &[key()])?, Verdict::Intact { records: 10 });
        Ok(())
    }

    #[test]
    fn a_rotated_chain_is_verified_with_each_records_own_key_and_not_without_it() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        let new = AuditKey { id: "k8".into(), key: hmac::Key::new(hmac::HMAC_SHA256, &[8u8; 32]) };
        let mut log = AuditLog::open(&path, key(), &HashSet::new(), 0)?;
        log.append("committed", body(1)).map_err(|e| e.0)?;
        log.set_key(new.clone());
        log.append("key_rotated", Map::new()).map_err(|e| e.0)?;
        log.append("committed", body(2)).map_err(|e| e.0)?;
        assert_eq!(verify(&path, &[key(), new.clone()])?, Verdict::Intact { records: 3 });
        assert!(matches!(verify(&path, &[key()])?, Verdict::Broken { line: 2, .. }));
        // A record cannot claim another key: the MAC is checked with the key it names.
        let text = std::fs::read_to_string(&path)?.replacen("\"mac_key\":\"k8\"", "\"mac_key\":\"k7\"", 1);
        std::fs::write(&path, text)?;
        assert!(matches!(verify(&path, &[key(), new])?, Verdict::Broken { line: 2, .. }));
        Ok(())
    }
}
