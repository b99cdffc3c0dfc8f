//! A seeded generator of realistic customer data: 20 columns with ids, names with
//! non-ASCII letters, e-mails, international phone numbers, valid IBANs, Luhn-valid cards,
//! dates, zips, amounts, statuses and free text with quotes, commas and newlines.
//!
//! The same seed always gives the same bytes (the PRNG is SplitMix64, defined here so the
//! data never changes with a dependency's version).

pub mod text;

use std::io::Write;

pub mod corpus;
pub mod labelled;

/// The 20 columns, in file order.
pub const COLUMNS: [&str; 20] = [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "iban",
    "credit_card",
    "birth_date",
    "street",
    "zip",
    "city",
    "country",
    "signup_ts",
    "amount",
    "status",
    "account_id",
    "loyalty_number",
    "ip_address",
    "notes",
    "segment",
];

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST: &[&str] = &[
    "Anna",
    "Jürgen",
    "Zoë",
    "José",
    "Łukasz",
    "Søren",
    "François",
    "Ömer",
    "Chloé",
    "Björn",
    "Mehmet",
    "Ana",
    "Håkon",
    "Renée",
    "Stefan",
    "Ines",
    "Matthias",
    "Åsa",
    "Marie",
    "Noël",
    "Dmitri",
    "Žaneta",
    "Luca",
    "Sophie",
];
const LAST: &[&str] = &[
    "Müller",
    "Ødegaard",
    "García",
    "Nowak",
    "Dubois",
    "Öztürk",
    "Schmidt",
    "Rossi",
    "Johansson",
    "Müller-Lüdenscheidt",
    "O'Brien",
    "Smith",
    "Weiß",
    "Łukaszewicz",
    "Fernández",
    "Lefèvre",
    "Kovačević",
    "Meier",
    "Bauer",
    "Nguyen",
];
const DOMAINS: &[&str] =
    &["example.com", "mail.example.de", "example.fr", "post.example.ch", "example.co.uk", "example.at"];
const STREETS: &[&str] = &[
    "Hauptstraße",
    "Rue de la Paix",
    "Bahnhofstrasse",
    "Kärntner Straße",
    "High Street",
    "Calle Mayor",
    "Schloßallee",
];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "DE"),
    ("München", "DE"),
    ("Köln", "DE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Wien", "AT"),
    ("Graz", "AT"),
    ("Zürich", "CH"),
    ("Genève", "CH"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("New York", "US"),
];
const STATUSES: &[&str] = &["active", "active", "active", "active", "inactive", "inactive", "test", "demo"];
const SEGMENTS: &[&str] = &["gold", "silver", "bronze", "none"];
const NOTES: &[&str] = &[
    "Called about the invoice, said \"please send it again\", will follow up",
    "Prefers e-mail; do not call before 10:00",
    "Kunde wünscht Rückruf, Ansprechpartnerin ist Frau {last}",
    "Adresse geändert,\nneue Lieferung an {street} {n}",
    "Reclamation: colis reçu abîmé, remboursement de 332,89 € accordé",
    "VIP since 2019, discount 5%, contact {email}",
    "Asked to update phone to {phone}, verified via SMS",
    "",
    "Delivery failed twice; \"nobody home\"; parcel returned",
    "Paid by card ending {card4}, receipt sent",
];

/// Valid IBAN for a country with a random BBAN of the right length (ISO 13616 mod-97).
pub fn iban(rng: &mut Rng) -> String {
    let (cc, len) = *rng.pick(&[
        ("DE", 18usize),
        ("FR", 23),
        ("AT", 16),
        ("CH", 17),
        ("GB", 18),
        ("NL", 14),
        ("ES", 20),
        ("IT", 23),
    ]);
    let bban: String = match cc {
        "GB" => format!("{}{}", ["NWBK", "BARC", "LOYD"][rng.below(3) as usize], rng.digits(14)),
        "NL" => format!("{}{}", ["ABNA", "INGB", "RABO"][rng.below(3) as usize], rng.digits(10)),
        "IT" => format!("{}{}", char::from(b'A' + rng.below(26) as u8), rng.digits(22)),
        _ => rng.digits(len),
    };
    let check = 98 - mod97(&format!("{bban}{cc}00"));
    format!("{cc}{check:02}{bban}")
}

/// The ISO 7064 mod-97 of an IBAN-ordered string (letters as 10..35).
pub fn mod97(s: &str) -> u32 {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    r
}

/// A Luhn-valid card number with a real-looking prefix.
pub fn card(rng: &mut Rng) -> String {
    let prefix = *rng.pick(&["4", "51", "55", "37", "6011"]);
    let len = if prefix == "37" { 15 } else { 16 };
    let mut digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    while digits.len() < len - 1 {
        digits.push(rng.below(10) as u32);
    }
    // With a 0 appended the check digit's place is not doubled, so it adds itself to the sum.
    digits.push(0);
    let check = (10 - luhn_sum(&digits) % 10) % 10;
    digits[len - 1] = check;
    digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect()
}

/// The Luhn sum: from the right, every second digit doubled (minus 9 when above 9).
fn luhn_sum(digits: &[u32]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { (d * 2) - if d * 2 > 9 { 9 } else { 0 } } else { d })
        .sum()
}

/// True when the number passes the Luhn check.
pub fn luhn_ok(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    !digits.is_empty() && luhn_sum(&digits).is_multiple_of(10)
}

fn phone(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("+49 17{} {}", rng.below(10), rng.digits(7)),
        1 => format!("+33 6 {} {} {} {}", rng.digits(2), rng.digits(2), rng.digits(2), rng.digits(2)),
        2 => format!("+44 7700 {}", rng.digits(6)),
        3 => format!("({}) 555-{}", 200 + rng.below(799), rng.digits(4)),
        4 => format!("+41 79 {} {} {}", rng.digits(3), rng.digits(2), rng.digits(2)),
        _ => format!("0043 664 {}", rng.digits(7)),
    }
}

/// One row of the 20 columns.
pub fn row(rng: &mut Rng, i: u64) -> [String; 20] {
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let email = format!("{}.{}{}@{}", ascii_fold(first), ascii_fold(last), rng.below(100), rng.pick(DOMAINS));
    let phone = phone(rng);
    let card = card(rng);
    let grouped_card = if rng.chance(30) {
        card.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join(" ")
    } else {
        card.clone()
    };
    let (city, country) = *rng.pick(CITIES);
    let street = format!("{} {}", rng.pick(STREETS), 1 + rng.below(200));
    let note_template = *rng.pick(NOTES);
    let note_street = *rng.pick(STREETS);
    let notes = note_template
        .replace("{last}", last)
        .replace("{street}", note_street)
        .replace("{n}", &(1 + rng.below(99)).to_string())
        .replace("{email}", &email)
        .replace("{phone}", &phone)
        .replace("{card4}", &card[card.len() - 4..]);
    let birth = format!("{}-{:02}-{:02}", 1940 + rng.below(66), 1 + rng.below(12), 1 + rng.below(28));
    let signup = format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}",
        15 + rng.below(11),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    [
        format!("C-{:07}", i + 1),
        first.to_string(),
        last.to_string(),
        email,
        phone,
        iban(rng),
        grouped_card,
        birth,
        street,
        format!("{:05}", rng.below(100_000)),
        city.to_string(),
        country.to_string(),
        signup,
        format!("{}.{:02}", rng.below(5000), rng.below(100)),
        rng.pick(STATUSES).to_string(),
        format!("A-{}", rng.digits(9)),
        if rng.chance(20) { String::new() } else { rng.digits(10) },
        format!("{}.{}.{}.{}", 1 + rng.below(223), rng.below(256), rng.below(256), 1 + rng.below(254)),
        notes,
        rng.pick(SEGMENTS).to_string(),
    ]
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ä' | 'å' | 'á' => Some('a'),
            'ö' | 'ø' | 'ó' => Some('o'),
            'ü' | 'ú' => Some('u'),
            'é' | 'è' | 'ë' => Some('e'),
            'ç' => Some('c'),
            'ł' | 'Ł' => Some('l'),
            'ß' => Some('s'),
            'ž' | 'Ž' => Some('z'),
            'ć' | 'č' => Some('c'),
            'Å' | 'Ä' => Some('a'),
            'Ö' | 'Ø' => Some('o'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Writes `rows` rows (plus a header) of CSV for `seed`.
pub fn write_csv<W: Write>(out: W, rows: u64, seed: u64) -> std::io::Result<()> {
    write_profile(out, &COLUMNS, rows, seed, row)
}

/// Writes a profile's CSV: its `header`, then `rows` rows made by `row` from one generator
/// seeded with `seed`.
pub fn write_profile<W: Write, const N: usize>(
    out: W,
    header: &[&str],
    rows: u64,
    seed: u64,
    row: fn(&mut Rng, u64) -> [String; N],
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(header)?;
    let mut rng = Rng::new(seed);
    for i in 0..rows {
        w.write_record(row(&mut rng, i))?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_csv(&mut a, 200, 7).unwrap();
        write_csv(&mut b, 200, 7).unwrap();
        assert_eq!(a, b);
        let mut c = Vec::new();
        write_csv(&mut c, 200, 8).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn ibans_and_cards_are_valid() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let i = iban(&mut rng);
            let rearranged = format!("{}{}", &i[4..], &i[..4]);
            assert_eq!(mod97(&rearranged), 1, "{i}");
            assert!(luhn_ok(&card(&mut rng)));
        }
        // Published example IBAN (ISO 13616 / ECBS): GB82 WEST 1234 5698 7654 32.
        assert_eq!(mod97("WEST12345698765432GB82"), 1);
        // Published Luhn example: 79927398713 is valid.
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
    }
}
