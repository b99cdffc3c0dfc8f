//! The tenant's master key and the sub-keys derived from it (spec: "Algorithms").
//!
//! Sub-keys are HKDF-SHA256 (RFC 5869, empty salt) expansions of the 32-byte master key with
//! fixed `info` strings. Key material has no `Debug`/`Display` that shows it and is zeroized
//! on drop; the only printable thing is the [`MasterKey::key_id`].

use std::fmt;
use std::path::Path;

use ring::{digest, hkdf, hmac};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, KeyProblem};

/// HKDF `info` for pseudonym tokens.
pub const INFO_PSEUDONYMIZE: &[u8] = b"importd/v1/pseudonymize";
/// HKDF `info` for the FF1 AES-256 key.
pub const INFO_ENCRYPT: &[u8] = b"importd/v1/encrypt";
/// HKDF `info` for date shift and noise.
pub const INFO_PERTURB: &[u8] = b"importd/v1/perturb";
/// HKDF `info` for the audit log chain.
pub const INFO_AUDIT: &[u8] = b"importd/v1/audit";
/// HKDF `info` for realistic fakes (`fake`, `redact` with `with = "fake"`).
pub const INFO_FAKE: &[u8] = b"importd/v1/fake";

/// The modes a key file may have: owner read/write (0600) or owner read-only (0400).
/// Nothing else: no bits for group or others, and none for executing (0700) or set-id.
pub const KEY_FILE_MODES: [u32; 2] = [0o600, 0o400];

/// A tenant's 32-byte master key.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id={})", self.key_id())
    }
}

impl MasterKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// The fixed key `[[examples]]` run with: 32 zero bytes.
    pub fn test_key() -> Self {
        Self::from_bytes([0; 32])
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, Error> {
        use ring::rand::SecureRandom;
        let mut bytes = Zeroizing::new([0u8; 32]);
        ring::rand::SystemRandom::new().fill(bytes.as_mut()).map_err(|_| Error::new(ErrorKind::Random))?;
        Ok(MasterKey(bytes))
    }

    /// Parses the key file format: 64 hex digits, surrounding whitespace ignored.
    /// The error never echoes the file's content.
    pub fn from_hex(text: &str) -> Result<Self, KeyProblem> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(KeyProblem::Malformed { hex_digits: text.chars().count() });
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or(KeyProblem::NotHex)?;
            let lo = hex_val(pair[1]).ok_or(KeyProblem::NotHex)?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(MasterKey(bytes))
    }

    /// The key as 64 lower-case hex digits, for writing a key file. Handle with care.
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(64));
        for b in self.0.iter() {
            s.push(char::from(HEX[(b >> 4) as usize]));
            s.push(char::from(HEX[(b & 15) as usize]));
        }
        s
    }

    /// Reads a key file: it must exist, be a regular file, hold 64 hex digits, and (on Unix)
    /// have mode exactly 0600 or 0400 ([`KEY_FILE_MODES`]).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let fail = |problem| Error::new(ErrorKind::Key { path: path.to_path_buf(), problem });
        let meta = std::fs::metadata(path).map_err(|e| fail(KeyProblem::Unreadable(e.kind())))?;
        if !meta.is_file() {
            return Err(fail(KeyProblem::NotAFile));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if !KEY_FILE_MODES.contains(&mode) {
                return Err(fail(KeyProblem::WrongMode { mode }));
            }
        }
        if meta.len() > 4096 {
            return Err(fail(KeyProblem::Malformed { hex_digits: meta.len() as usize }));
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => fail(KeyProblem::NotHex),
            kind => fail(KeyProblem::Unreadable(kind)),
        })?);
        MasterKey::from_hex(&text).map_err(fail)
    }

    /// First 16 hex characters of SHA-256(master key): safe to show in reports.
    pub fn key_id(&self) -> String {
        let d = digest::digest(&digest::SHA256, self.0.as_ref());
        d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Derives the sub-key for one purpose (an `INFO_*` constant).
    pub fn derive(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        let infos = [info];
        // Both calls only fail for output lengths above 255 * 32 bytes; 32 is fixed here.
        prk.expand(&infos, hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(out.as_mut()))
            .expect("HKDF-SHA256 expand to 32 bytes cannot fail"); // ok: fixed length
        out
    }

    /// All sub-keys the pipeline needs.
    pub fn key_set(&self) -> KeySet {
        KeySet {
            pseudonymize: self.derive(INFO_PSEUDONYMIZE),
            encrypt: self.derive(INFO_ENCRYPT),
            perturb: hmac::Key::new(hmac::HMAC_SHA256, self.derive(INFO_PERTURB).as_ref()),
            audit: hmac::Key::new(hmac::HMAC_SHA256, self.derive(INFO_AUDIT).as_ref()),
            fake: self.derive(INFO_FAKE),
            key_id: self.key_id(),
        }
    }
}

/// The derived sub-keys. `Debug` shows only the key id.
pub struct KeySet {
    pub(crate) pseudonymize: Zeroizing<[u8; 32]>,
    pub(crate) encrypt: Zeroizing<[u8; 32]>,
    pub(crate) perturb: hmac::Key,
    audit: hmac::Key,
    pub(crate) fake: Zeroizing<[u8; 32]>,
    key_id: String,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeySet(key_id={})", self.key_id)
    }
}

impl KeySet {
    /// The key id of the master key these were derived from.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The audit-chain HMAC key (used by the daemon's audit log).
    pub fn audit_key(&self) -> &hmac::Key {
        &self.audit
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq_key() -> MasterKey {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        MasterKey::from_bytes(b)
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    // Expected values computed independently with Python's hashlib/hmac:
    //   import hashlib,hmac
    //   ikm=bytes(range(32)); prk=hmac.new(b'\0'*32, ikm, 'sha256').digest()
    //   hmac.new(prk, b'importd/v1/pseudonymize\x01', 'sha256').hexdigest()  (and /fake, …)
    #[test]
    fn hkdf_sub_keys_match_python() {
        let k = seq_key();
        assert_eq!(hex(k.derive(INFO_PSEUDONYMIZE).as_ref()), KAT_PSEUDO);
        assert_eq!(hex(k.derive(INFO_ENCRYPT).as_ref()), KAT_ENCRYPT);
        assert_eq!(hex(k.derive(INFO_PERTURB).as_ref()), KAT_PERTURB);
        assert_eq!(hex(k.derive(INFO_AUDIT).as_ref()), KAT_AUDIT);
        assert_eq!(hex(k.derive(INFO_FAKE).as_ref()), KAT_FAKE);
    }

    // python3 -c "import hashlib;print(hashlib.sha256(bytes(range(32))).hexdigest()[:16])"
    #[test]
    fn key_id_matches_python() {
        assert_eq!(seq_key().key_id(), KAT_KEY_ID);
        // python3 -c "import hashlib;print(hashlib.sha256(bytes(32)).hexdigest()[:16])"
        assert_eq!(MasterKey::test_key().key_id(), KAT_ZERO_KEY_ID);
    }

    #[test]
    fn debug_never_shows_key_material() {
        let k = seq_key();
        let shown = format!("{k:?} {:?}", k.key_set());
        assert!(!shown.contains(&hex(&[0, 1, 2, 3])), "{shown}");
        assert!(shown.contains(KAT_KEY_ID));
    }

    #[test]
    fn hex_round_trip_and_errors_hide_content() {
        let k = seq_key();
        let back = MasterKey::from_hex(&format!("  {}\n", k.to_hex().as_str())).unwrap();
        assert_eq!(back.key_id(), k.key_id());
        let err = MasterKey::from_hex("zz".repeat(32).as_str()).unwrap_err();
        assert!(!err.to_string().contains("zz"));
        assert!(matches!(MasterKey::from_hex("abc"), Err(KeyProblem::Malformed { hex_digits: 3 })));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_mode_other_than_0600_or_0400_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenant.key");
        std::fs::write(&path, seq_key().to_hex().as_bytes()).unwrap();
        let load_with = |mode: u32| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            MasterKey::load(&path)
        };
        for mode in [0o600, 0o400] {
            assert_eq!(load_with(mode).unwrap().key_id(), KAT_KEY_ID, "{mode:04o}");
        }
        // 0700 passed the old "no wider than 0600" check (`mode & 0o077 == 0`).
        for mode in [0o700, 0o500, 0o200, 0o000, 0o640, 0o644, 0o604, 0o660, 0o666, 0o4600, 0o1600] {
            let err = load_with(mode).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Key { problem: KeyProblem::WrongMode { mode: m }, .. } if *m == mode)
            );
            let text = err.to_string();
            let shown = format!("mode is {mode:04o}");
            assert!(text.contains(&path.display().to_string()) && text.contains(&shown), "{text}");
            assert!(text.contains("chmod 600"), "{text}");
        }
    }

    const KAT_PSEUDO: &str = "647c4d4a186531786806a9000f401862c5326afe6b5dadcb5e41bcf0ceeec8e3";
    const KAT_ENCRYPT: &str = "ca9a83d7b6ba282474d2ba9d0b7119ad24a5267d008cbde780df63248f7bc6aa";
    const KAT_PERTURB: &str = "209a4b351c1bc0f2818fe4036c5a976f6aa75447ea6d2724680eeabb4cc4ba3c";
    const KAT_AUDIT: &str = "02e00cb4857f7390d5c44e0bb0157eb0ee646a79969584424bc5cc5951f04c55";
    const KAT_FAKE: &str = "dff727b369090fd2e69c8a13614cb34cbdbed5f3d019eb20fdefdc1f71944f99";
    const KAT_KEY_ID: &str = "630dcd2966c43366";
    const KAT_ZERO_KEY_ID: &str = "66687aadf862bd77";
}
