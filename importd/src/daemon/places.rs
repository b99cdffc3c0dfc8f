//! Where a tenant's files live and who keeps the record: `drop_dir` and `storage_dir` are
//! local folders or object-store prefixes (`s3://bucket/prefix`, also per tenant), and the
//! ledger is the embedded SQLite file or a PostgreSQL database shared by several daemons.
//! Validated at start with the rest of the configuration: one tenant's area may never lie
//! inside another's, whatever the URLs say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::s3::{ObjectDir, S3Url};

/// A folder from the configuration: on this machine or in an object store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Local(PathBuf),
    Object(S3Url),
}

impl Place {
    /// `s3://…` is an object-store prefix; anything else a path (relative to the
    /// configuration file's folder).
    pub fn parse(raw: &str, base: &Path) -> Result<Place, String> {
        if raw.starts_with("s3://") {
            return S3Url::parse(raw).map(Place::Object);
        }
        if raw.contains("://") {
            return Err(format!("`{}` is neither a path nor an s3:// URL", raw.escape_debug()));
        }
        let p = Path::new(raw);
        Ok(Place::Local(if p.is_absolute() { p.to_path_buf() } else { base.join(p) }))
    }

    /// Where `tenant`'s files go below it, as a comparable prefix ending in `/`.
    fn area(&self, tenant: &str) -> String {
        match self {
            Place::Local(p) => format!("file://{}/{tenant}/", p.display()),
            Place::Object(u) => format!("{}/{tenant}/", u.to_string().trim_end_matches('/')),
        }
    }
}

/// Which ledger records the imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerKind {
    /// `<state_dir>/ledger.sqlite`, one daemon (the state lock keeps a second one off).
    Sqlite,
    /// A PostgreSQL database shared by many daemons (the URL, never logged: it may hold a password).
    Postgres(String),
}

impl LedgerKind {
    pub fn parse(raw: Option<&str>) -> Result<LedgerKind, String> {
        match raw {
            None | Some("sqlite") => Ok(LedgerKind::Sqlite),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                // Checked now (exit 2), never echoed: it may hold a password.
                <postgres::Config as std::str::FromStr>::from_str(url)
                    .map_err(|_| "ledger is not a valid PostgreSQL URL (postgres://user@host/database)".to_string())?;
                Ok(LedgerKind::Postgres(url.to_string()))
            }
            // Not echoed, not even in part: it may hold a password.
            Some(_) => Err("ledger is neither \"sqlite\" nor a \"postgres://…\" URL".into()),
        }
    }
}

/// How this daemon takes part in a shared ledger.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// This daemon's name in the ledger (`node`; default `<hostname>:<state_dir>`): stable
    /// across restarts, so a restarted daemon resumes its own imports at once.
    pub node: String,
    /// How long a claim holds without renewal (`lease_ms`).
    pub lease: Duration,
}

impl Cluster {
    pub fn new(node: Option<String>, lease_ms: Option<u64>, state_dir: &Path) -> Result<Cluster, String> {
        let node = match node {
            Some(n) if !n.is_empty() && n.len() <= 200 && !n.chars().any(char::is_control) => n,
            Some(_) => return Err("node must be 1–200 printable characters".into()),
            None => {
                let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_else(|_| "localhost".into());
                format!("{}:{}", host.trim(), state_dir.display())
            }
        };
        let lease = Duration::from_millis(lease_ms.unwrap_or(30_000));
        if lease < Duration::from_millis(500) {
            return Err("lease_ms must be at least 500".into());
        }
        Ok(Cluster { node, lease })
    }
}

/// A tenant's drop and storage places, resolved (its own or the global ones).
#[derive(Debug, Clone)]
pub struct TenantPlaces {
    pub drop: Place,
    pub storage: Place,
    /// Opened object stores for the `Object` places.
    pub drop_store: Option<ObjectDir>,
    pub storage_store: Option<ObjectDir>,
}

impl TenantPlaces {
    pub fn new(drop: Place, storage: Place) -> Result<TenantPlaces, String> {
        let open = |p: &Place| match p {
            Place::Object(u) => ObjectDir::open(u).map(Some).map_err(|e| format!("{u}: cannot be opened ({e})")),
            Place::Local(_) => Ok(None),
        };
        Ok(TenantPlaces { drop_store: open(&drop)?, storage_store: open(&storage)?, drop, storage })
    }
}

/// Refuses a configuration in which one tenant's area (`<place>/<tenant>/`) lies inside or
/// around another tenant's, in drop or storage, locally or in an object store: a tenant
/// could otherwise read, or write into, another's files.
pub fn check_apart(tenants: &[(&str, &TenantPlaces)]) -> Result<(), String> {
    let mut areas = Vec::new();
    for (name, p) in tenants {
        areas.push((*name, "drop_dir", p.drop.area(name)));
        areas.push((*name, "storage_dir", p.storage.area(name)));
    }
    for (i, (a, akind, aarea)) in areas.iter().enumerate() {
        for (b, bkind, barea) in &areas[i + 1..] {
            if a == b {
                continue;
            }
            if aarea.starts_with(barea.as_str()) || barea.starts_with(aarea.as_str()) {
                return Err(format!(
                    "tenant `{a}`'s {akind} area {aarea} and tenant `{b}`'s {bkind} area {barea} overlap; every tenant's files must live apart"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(drop: &str, storage: &str) -> TenantPlaces {
        let base = Path::new("/base");
        TenantPlaces {
            drop: Place::parse(drop, base).expect("a valid place"),
            storage: Place::parse(storage, base).expect("a valid place"),
            drop_store: None,
            storage_store: None,
        }
    }

    #[test]
    fn a_tenant_prefix_pointing_into_another_tenants_is_refused() {
        let acme = places("s3://bkt/drop", "s3://bkt/storage");
        let beta = places("s3://bkt/drop", "s3://bkt/storage/acme");
        let err = check_apart(&[("acme", &acme), ("beta", &beta)]).err().unwrap_or_default();
        assert!(err.contains("`acme`") && err.contains("`beta`") && err.contains("overlap"), "{err}");
        // Siblings whose names share a beginning are apart: `acme/` is not inside `acme2/`.
        let acme2 = places("s3://bkt/drop", "s3://bkt/storage");
        assert_eq!(check_apart(&[("acme", &acme), ("acme2", &acme2)]), Ok(()));
        // A tenant's own drop and storage may share a prefix with each other.
        let same = places("s3://bkt/x", "s3://bkt/x");
        assert_eq!(check_apart(&[("acme", &same)]), Ok(()));
    }

    #[test]
    fn ledgers_and_places_parse() {
        assert_eq!(LedgerKind::parse(None), Ok(LedgerKind::Sqlite));
        assert!(matches!(LedgerKind::parse(Some("postgres://u@h/db")), Ok(LedgerKind::Postgres(_))));
        let err = LedgerKind::parse(Some("postgres://u:secret@h:notaport/db")).err().unwrap_or_default();
        assert!(err.contains("not a valid") && !err.contains("secret"), "{err}");
        let err = LedgerKind::parse(Some("mysql://root:secret@h/db")).err().unwrap_or_default();
        assert!(!err.contains("secret"), "{err}");
        assert_eq!(Place::parse("drop", Path::new("/b")), Ok(Place::Local(PathBuf::from("/b/drop"))));
        assert!(Place::parse("gs://b/x", Path::new("/b")).is_err());
    }
}
