//! One action per file: the per-value algorithms, free of Arrow. `pipeline::apply` maps
//! them over columns. Every function here is deterministic in (key, options, value).

pub mod encrypt;
pub mod fake;
pub mod generalize;
mod hmac_sha256;
pub mod mask;
pub mod noise;
pub mod pseudonymize;
mod sha_ni;
mod sha_x16;
pub mod shift_date;
pub mod truncate;

pub use encrypt::Encryptor;
pub use fake::{Faker, FAKE_LISTS_VERSION};
pub use generalize::{band_label, round_significant, step_floor, truncate_date, truncate_datetime};
pub use mask::mask;
pub use noise::Noiser;
pub use pseudonymize::Pseudonymizer;
pub use shift_date::DateShifter;
pub use truncate::truncate;
