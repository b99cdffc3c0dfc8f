//! `shift_date`: a keyed per-subject offset,
//! `u64_be(HMAC(K_perturb, "shift" || 0x00 || domain || 0x00 || subject)[..8]) mod (2·max+1) − max`.

use ring::hmac;

/// Computes offsets for one domain and `max_days`.
#[derive(Clone)]
pub struct DateShifter {
    ctx: hmac::Context,
    max_days: u32,
}

impl std::fmt::Debug for DateShifter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DateShifter(max_days={})", self.max_days)
    }
}

impl DateShifter {
    pub fn new(perturb_key: &hmac::Key, domain: &str, max_days: u32) -> Self {
        let mut ctx = hmac::Context::with_key(perturb_key);
        ctx.update(b"shift\0");
        ctx.update(domain.as_bytes());
        ctx.update(&[0]);
        DateShifter { ctx, max_days }
    }

    /// The offset in days, in `-max_days..=max_days`, for a subject's text.
    pub fn offset_days(&self, subject: &[u8]) -> i64 {
        let mut ctx = self.ctx.clone();
        ctx.update(subject);
        let tag = ctx.sign();
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        let m = 2 * u64::from(self.max_days) + 1;
        (u64::from_be_bytes(first) % m) as i64 - i64::from(self.max_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{MasterKey, INFO_PERTURB};

    // Expected offsets from Python:
    //   import hmac; ikm=bytes(range(32)); prk=hmac.new(b'\0'*32,ikm,'sha256').digest()
    //   kp=hmac.new(prk,b'importd/v1/perturb\x01','sha256').digest()
    //   off=lambda d,s,m: int.from_bytes(hmac.new(kp,b'shift\0'+d+b'\0'+s,'sha256').digest()[:8],'big')%(2*m+1)-m
    #[test]
    fn offsets_match_python() {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        let k = hmac::Key::new(hmac::HMAC_SHA256, MasterKey::from_bytes(b).derive(INFO_PERTURB).as_ref());
        assert_eq!(DateShifter::new(&k, "admission_date", 30).offset_days(b"P-1001"), -28);
        assert_eq!(DateShifter::new(&k, "admission_date", 30).offset_days(b"P-1002"), -24);
        assert_eq!(DateShifter::new(&k, "birth", 365).offset_days("Zoë".as_bytes()), -271);
    }
}
