//! The JSON Lines ledger of earlier importd versions (`<state_dir>/ledger.jsonl`), read once
//! so its imports move into the SQLite ledger. A torn last line (a crash mid-append) never
//! counted and is skipped; damage anywhere else refuses the import rather than guessing.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::{Entry, LedgerError};

/// Every complete entry of the file, in order.
pub fn read(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let io_err = |e: io::Error| LedgerError::Corrupt(format!("{}: cannot be read ({})", path.display(), e.kind()));
    let mut reader = BufReader::new(File::open(path).map_err(io_err)?);
    let mut entries = Vec::new();
    let mut line = Vec::new();
    for n in 1usize.. {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io_err)? == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) if complete => entries.push(entry),
            _ if !complete => break,
            _ => {
                return Err(LedgerError::Corrupt(format!("{}: line {n} is not a ledger entry", path.display())));
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_damage_elsewhere_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("ledger.jsonl");
        std::fs::write(&p, "{\"ev\":\"done\",\"id\":\"a\"}\n{\"ev\":\"done\",\"id\":\"b")?;
        assert_eq!(read(&p)?.len(), 1);
        std::fs::write(&p, "garbage\n{\"ev\":\"done\",\"id\":\"a\"}\n")?;
        assert!(matches!(read(&p), Err(LedgerError::Corrupt(m)) if m.contains("line 1")));
        Ok(())
    }
}
