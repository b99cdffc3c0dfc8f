//! A seeded, labelled corpus of free text in German, English and French with personal data
//! embedded in sentences, next to decoys that look like it (order numbers failing Luhn,
//! IBAN-shaped strings with a bad check, versions, dates, amounts, times, zip codes).
//! Every inserted value's byte span and kind is recorded, so detectors can be measured.

use crate::{card, iban, Rng};

/// One sentence and the spans of the personal data in it: (start, end, detector name).
#[derive(Debug, Clone)]
pub struct Labelled {
    pub text: String,
    pub spans: Vec<(usize, usize, &'static str)>,
}

/// The detectors the corpus labels.
pub const KINDS: [&str; 7] = ["email", "phone", "iban", "credit_card", "ipv4", "ipv6", "url"];

const TEMPLATES: &[&str] = &[
    // two values, punctuation around them
    "{pii}; {pii2} (siehe {decoy})",
    "Tel.-Nr. {pii}, Rückfrage zu {decoy}",
    "Telefonnummer: {pii} (Kd.-Nr. {decoy})",
    "Contact: {pii}, alt: {pii2}. Ref. {decoy}",
    "« {pii} » et « {pii2} », dossier {decoy}.",
    // German
    "Bitte kontaktieren Sie {pii} bis zum {decoy}.",
    "Kunde hat am {decoy} angerufen, Rückruf unter {pii} erbeten.",
    "Erstattung von {decoy} veranlasst, Konto: {pii}.",
    "Neue Adresse gemeldet; Kontakt {pii}, Auftrag {decoy}.",
    "Laut Kundin ({pii}) kam die Lieferung {decoy} nicht an.",
    "{pii} – bitte nur vormittags, Referenz {decoy}",
    // English
    "Please call me back at {pii} regarding order {decoy}.",
    "Customer wrote from {pii} on {decoy}, asking for a refund.",
    "Payment with {pii} failed; retried with reference {decoy}.",
    "Escalated: see {pii} and ticket {decoy} for details.",
    "Login from {pii} at {decoy}, flagged by the system.",
    "\"{pii}\" was given as contact, invoice {decoy}.",
    // French
    "Merci d'écrire à {pii} avant le {decoy}.",
    "Le client a appelé le {decoy}, rappeler au {pii} svp.",
    "Remboursement de {decoy} sur le compte {pii}.",
    "Connexion depuis {pii}, version de l'app {decoy}.",
    "Voir {pii} pour le suivi (dossier {decoy}).",
    "Coordonnées : {pii}; montant {decoy}.",
];

const LOCALS: &[&str] =
    &["anna", "j.mueller", "zoe+news", "f.dubois", "max_mustermann", "o.brien", "k.nowak22", "info", "s-lefevre"];
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.de",
    "example.fr",
    "post.example.ch",
    "example.co.uk",
    "firma-example.at",
    "example.org",
];

fn email(r: &mut Rng) -> String {
    let e = format!("{}@{}", r.pick(LOCALS), r.pick(DOMAINS));
    if r.chance(15) {
        e.to_uppercase()
    } else {
        e
    }
}

fn phone(r: &mut Rng) -> String {
    let d = |r: &mut Rng, n| r.digits(n);
    match r.below(25) {
        24 => format!("01{}{}", 5 + r.below(3), d(r, 8)),
        16 => format!("+49-17{}-{}", r.below(10), d(r, 7)),
        17 => format!("+49 17{} {} {} {}", r.below(10), d(r, 3), d(r, 2), d(r, 2)),
        18 => format!("0170 {} {} {}", d(r, 3), d(r, 2), d(r, 2)),
        19 => format!("+33 (0)6 {} {} {} {}", d(r, 2), d(r, 2), d(r, 2), d(r, 2)),
        20 => format!("+1 ({}) 555-{}", 200 + r.below(799), d(r, 4)),
        21 => format!("01 {} {} {} {}", d(r, 2), d(r, 2), d(r, 2), d(r, 2)),
        22 => format!("+44 (0)20 7946 {}", d(r, 4)),
        23 => format!("+41 (0)79 {} {} {}", d(r, 3), d(r, 2), d(r, 2)),
        0 => format!("+49 17{} {}", r.below(10), d(r, 7)),
        1 => format!("+49 (0)30 {}", d(r, 7)),
        2 => format!("030 {}", d(r, 8)),
        3 => format!("0171/{}", d(r, 7)),
        4 => format!("(089) {}", d(r, 6)),
        5 => format!("+43 664 {}", d(r, 7)),
        6 => format!("0664 {}", d(r, 7)),
        7 => format!("+41 79 {} {} {}", d(r, 3), d(r, 2), d(r, 2)),
        8 => format!("079 {} {} {}", d(r, 3), d(r, 2), d(r, 2)),
        9 => format!("+33 6 {} {} {} {}", d(r, 2), d(r, 2), d(r, 2), d(r, 2)),
        10 => format!("06.{}.{}.{}.{}", d(r, 2), d(r, 2), d(r, 2), d(r, 2)),
        11 => format!("+44 7700 {}", d(r, 6)),
        12 => format!("020 7946 {}", d(r, 4)),
        13 => format!("({}) 555-{}", 200 + r.below(799), d(r, 4)),
        14 => format!("{}-555-{}", 200 + r.below(799), d(r, 4)),
        _ => format!("0043 664 {}", d(r, 7)),
    }
}

fn grouped(s: &str, sep: &str) -> String {
    s.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join(sep)
}

fn iban_text(r: &mut Rng) -> String {
    let i = iban(r);
    if r.chance(50) {
        grouped(&i, " ")
    } else {
        i
    }
}

fn card_text(r: &mut Rng) -> String {
    let c = card(r);
    if c.len() == 15 {
        return if r.chance(50) { format!("{} {} {}", &c[..4], &c[4..10], &c[10..]) } else { c };
    }
    match r.below(3) {
        0 => grouped(&c, " "),
        1 => grouped(&c, "-"),
        _ => c,
    }
}

fn ipv4(r: &mut Rng) -> String {
    format!("{}.{}.{}.{}", 1 + r.below(223), r.below(256), r.below(256), 1 + r.below(254))
}

fn ipv6(r: &mut Rng) -> String {
    let h = |r: &mut Rng| format!("{:x}", r.below(0x10000));
    match r.below(6) {
        5 => format!("2001:DB8::{:X}", r.below(0x10000)),
        0 => (0..8).map(|_| h(r)).collect::<Vec<_>>().join(":"),
        1 => format!("2001:db8::{}:{}", h(r), h(r)),
        2 => format!("fe80::{}:{}%eth0", h(r), h(r)),
        3 => format!("::ffff:192.0.2.{}", r.below(255)),
        _ => format!("2001:db8:{}::{}", h(r), h(r)),
    }
}

fn url(r: &mut Rng) -> String {
    let path = ["track", "orders/4711", "help?topic=refund&id=42", "de/konto", "a/b/c.html"];
    match r.below(4) {
        3 => format!("https://example.com:8443/{}#top", r.pick(&path)),
        0 => format!("https://shop.example.com/{}", r.pick(&path)),
        1 => format!("http://example.org/{}", r.pick(&path)),
        _ => format!("www.example.de/{}", r.pick(&path)),
    }
}

/// A value that looks like personal data but is not.
fn decoy(r: &mut Rng) -> String {
    match r.below(18) {
        12 => format!("{:02}:{:02}:{:02}", r.below(24), r.below(60), r.below(60)),
        13 => format!("v{}.{}.{}", r.below(5), r.below(20), r.below(30)),
        14 => format!("Art.-Nr. {}-{}", r.digits(3), r.digits(4)),
        15 => format!("{} Stück à {},{:02} €", 1 + r.below(20), r.below(100), r.below(100)),
        16 => format!("Kd.-Nr. 00{}", r.digits(8)),
        17 => format!("order no. 0{}", r.digits(9)),
        0 => {
            // a 16-digit order number that fails Luhn
            let mut c = card(r).into_bytes();
            let last = c.len() - 1;
            c[last] = b'0' + (c[last] - b'0' + 1) % 10;
            String::from_utf8(c).unwrap_or_default()
        }
        1 => {
            // IBAN-shaped with a bad check
            let mut i = iban(r).into_bytes();
            i[3] = b'0' + (i[3] - b'0' + 1) % 10;
            String::from_utf8(i).unwrap_or_default()
        }
        2 => format!("{}.{}", 1 + r.below(9), r.below(10)),
        3 => format!("{}.{}.20{:02}", 1 + r.below(28), 1 + r.below(12), r.below(30)),
        4 => format!("{},{:02} €", r.below(5000), r.below(100)),
        5 => format!("20{:02}-{:02}-{:02}", r.below(30), 1 + r.below(12), 1 + r.below(28)),
        6 => format!("{:02}:{:02}", r.below(24), r.below(60)),
        7 => format!("{:05}", r.below(100_000)),
        8 => format!("INV-20{:02}-{:06}", r.below(30), r.below(1_000_000)),
        9 => format!("{}.{}.{}", r.below(10), r.below(20), r.below(50)),
        10 => format!("{:02}/{:02}/20{:02}", 1 + r.below(28), 1 + r.below(12), r.below(30)),
        _ => format!("{}:{}", 1 + r.below(9), 1 + r.below(9)),
    }
}

fn value(r: &mut Rng, kind: &str) -> String {
    match kind {
        "email" => email(r),
        "phone" => phone(r),
        "iban" => iban_text(r),
        "credit_card" => card_text(r),
        "ipv4" => ipv4(r),
        "ipv6" => ipv6(r),
        _ => url(r),
    }
}

/// `n` labelled sentences for `seed`; sentence i holds a value of kind i mod 7 (and, in the
/// two-value templates, one of a random kind).
pub fn corpus(n: usize, seed: u64) -> Vec<Labelled> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|i| {
            let kind = KINDS[i % KINDS.len()];
            let first = value(&mut r, kind);
            let kind2 = *r.pick(&KINDS);
            let second = value(&mut r, kind2);
            let template = *r.pick(TEMPLATES);
            let decoy = decoy(&mut r);
            let mut text = String::new();
            let mut spans = Vec::new();
            let mut rest = template;
            while let Some(open) = rest.find('{') {
                text.push_str(&rest[..open]);
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                match &rest[open..close] {
                    "{pii}" => {
                        spans.push((text.len(), text.len() + first.len(), kind));
                        text.push_str(&first);
                    }
                    "{pii2}" => {
                        spans.push((text.len(), text.len() + second.len(), kind2));
                        text.push_str(&second);
                    }
                    _ => text.push_str(&decoy),
                }
                rest = &rest[close..];
            }
            text.push_str(rest);
            Labelled { text, spans }
        })
        .collect()
}
