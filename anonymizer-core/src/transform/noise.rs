//! `noise`: `u = u64_be(HMAC(K_perturb, "noise" || 0x00 || domain || 0x00 || value)[..8]) / 2^64`,
//! new value `x + (2u − 1)·relative·|x|` or `x + (2u − 1)·absolute`, rounded to the column's scale.
//! `value` is the cell's exact input text (not trimmed), as the caller passes it.

use ring::hmac;

use crate::rule::Noise;

/// Adds keyed noise for one domain.
#[derive(Clone)]
pub struct Noiser {
    ctx: hmac::Context,
    noise: Noise,
}

impl std::fmt::Debug for Noiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Noiser({:?})", self.noise)
    }
}

impl Noiser {
    pub fn new(perturb_key: &hmac::Key, domain: &str, noise: Noise) -> Self {
        let mut ctx = hmac::Context::with_key(perturb_key);
        ctx.update(b"noise\0");
        ctx.update(domain.as_bytes());
        ctx.update(&[0]);
        Noiser { ctx, noise }
    }

    /// `u` in [0, 1) for a value's text.
    pub fn unit(&self, value_text: &[u8]) -> f64 {
        let mut ctx = self.ctx.clone();
        ctx.update(value_text);
        let tag = ctx.sign();
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0
    }

    /// The noisy value of `x` (whose text is `value_text`), rounded to `scale` decimals
    /// (`None`: not rounded, for floats).
    pub fn apply(&self, x: f64, value_text: &[u8], scale: Option<i32>) -> f64 {
        let u = self.unit(value_text);
        let y = match self.noise {
            Noise::Relative(r) => x + (2.0 * u - 1.0) * r * x.abs(),
            Noise::Absolute(a) => x + (2.0 * u - 1.0) * a,
        };
        match scale {
            Some(s) => {
                let f = 10f64.powi(s);
                (y * f).round() / f
            }
            None => y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{MasterKey, INFO_PERTURB};

    // Expected values from Python:
    //   import hmac; ikm=bytes(range(32)); prk=hmac.new(b'\0'*32,ikm,'sha256').digest()
    //   kp=hmac.new(prk,b'importd/v1/perturb\x01','sha256').digest()
    //   u=lambda d,v: int.from_bytes(hmac.new(kp,b'noise\0'+d+b'\0'+v,'sha256').digest()[:8],'big')/2**64
    //   round(1234.5+(2*u(b'salary',b'1234.5')-1)*0.05*1234.5, 2); round(40+(2*u(b'age',b'40')-1)*3)
    #[test]
    fn noise_matches_python() {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        let k = hmac::Key::new(hmac::HMAC_SHA256, MasterKey::from_bytes(b).derive(INFO_PERTURB).as_ref());
        let n = Noiser::new(&k, "salary", Noise::Relative(0.05));
        assert_eq!(n.apply(1234.5, b"1234.5", Some(2)), 1264.66);
        let a = Noiser::new(&k, "age", Noise::Absolute(3.0));
        assert_eq!(a.apply(40.0, b"40", Some(0)), 40.0);
        assert!((n.unit(b"1234.5") - 0.7442927925355338).abs() < 1e-15);
    }
}
