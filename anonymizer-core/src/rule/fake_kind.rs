//! The kinds and locales of `fake` (rule files name them; `transform::fake` makes them).

/// What `fake` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeKind {
    FirstName,
    LastName,
    FullName,
    Email,
    Phone,
    Street,
    City,
    PostalCode,
    Iban,
    Company,
}

impl FakeKind {
    /// The fake kind `redact` with `with = "fake"` puts in place of a built-in detector's
    /// finding; `None`: the detector has no fake, its findings become `<{kind}>`.
    pub fn for_detector(detector: &str) -> Option<FakeKind> {
        Some(match detector {
            "person_name" => FakeKind::FullName,
            "email" => FakeKind::Email,
            "phone" => FakeKind::Phone,
            "iban" => FakeKind::Iban,
            "street_address" => FakeKind::Street,
            _ => return None,
        })
    }

    /// Every kind with its name in rule files.
    pub const ALL: [(&'static str, FakeKind); 10] = [
        ("first_name", FakeKind::FirstName),
        ("last_name", FakeKind::LastName),
        ("full_name", FakeKind::FullName),
        ("email", FakeKind::Email),
        ("phone", FakeKind::Phone),
        ("street", FakeKind::Street),
        ("city", FakeKind::City),
        ("postal_code", FakeKind::PostalCode),
        ("iban", FakeKind::Iban),
        ("company", FakeKind::Company),
    ];

    /// The kind's name in rule files (and the `kind` string of the `fake` algorithm).
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, k)| *k == self).map_or("", |(n, _)| n)
    }
}

/// The locales `fake` has lists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeLocale {
    De,
    En,
    Fr,
    Es,
    It,
    Nl,
    Pl,
    Tr,
}

impl FakeLocale {
    /// Every locale with its name in rule files.
    pub const ALL: [(&'static str, FakeLocale); 8] = [
        ("de", FakeLocale::De),
        ("en", FakeLocale::En),
        ("fr", FakeLocale::Fr),
        ("es", FakeLocale::Es),
        ("it", FakeLocale::It),
        ("nl", FakeLocale::Nl),
        ("pl", FakeLocale::Pl),
        ("tr", FakeLocale::Tr),
    ];

    /// The locale's name in rule files (and the `locale` string of the `fake` algorithm).
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, l)| *l == self).map_or("", |(n, _)| n)
    }
}
