//! The second benchmark profile: a text-heavy, multi-script customer file. Names and companies
//! in Latin, CJK and kana scripts, about two thirds of the rows with a quoted field (a name or
//! note holding a comma or a quote), empty fields, IPv6 addresses, free-text notes passed
//! through; five columns pseudonymized, two dropped (`benches/peer/bench-rules-text.toml`).
//! Seeded like the first profile, so a run is reproducible byte for byte.

use std::io::Write;

use crate::Rng;

/// The columns, in order.
pub const TEXT_COLUMNS: [&str; 12] = [
    "member_ref",
    "display_name",
    "company",
    "email",
    "mobile",
    "ipv6",
    "password_hint",
    "agent_comment",
    "city",
    "joined_at",
    "balance",
    "notes",
];

const GIVEN: &[&str] = &[
    "Anna",
    "Jürgen",
    "Zoë",
    "Mateo",
    "Chloé",
    "Søren",
    "Ines",
    "Oliver",
    "Łukasz",
    "Amélie",
    "翔太",
    "美咲",
    "陽菜",
    "蓮",
    "伟",
    "芳",
    "秀英",
    "민준",
    "서연",
    "さくら",
    "ゆうと",
    "あおい",
    "ハルト",
    "ユイ",
];
const FAMILY: &[&str] = &[
    "Müller",
    "García",
    "O'Brien",
    "Nguyễn",
    "Kowalski",
    "Dubois",
    "Rossi",
    "Smith",
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "王",
    "李",
    "张",
    "김",
    "이",
    "やまだ",
    "タナカ",
    "スズキ",
];
const COMPANY: &[&str] = &[
    "Acme GmbH",
    "Müller & Söhne KG",
    "Rossi, Bianchi e Figli S.p.A.",
    "株式会社サンプル",
    "有限会社テスト商事",
    "北京示例科技有限公司",
    "ソフトウェア開発株式会社",
    "Nordlicht AB",
    "\"Blue Sky\" Ltd.",
    "삼성예시",
];
const CITY: &[&str] = &["Berlin", "München", "東京", "大阪", "北京", "上海", "서울", "Paris", "São Paulo", "Kraków"];
const WORDS: &[&str] = &[
    "delivery",
    "invoice",
    "called back",
    "prefers e-mail",
    "VIP",
    "お届け",
    "請求書",
    "確認済み",
    "联系",
    "发票",
    "배송",
    "complaint resolved",
    "moved",
    "new address",
    "Rückruf erbeten",
    "remise",
    "follow-up",
    "支払い",
];

/// One row for index `i`.
pub fn text_row(rng: &mut Rng, i: u64) -> [String; 12] {
    let given = *rng.pick(GIVEN);
    let family = *rng.pick(FAMILY);
    // Western order with a comma for a third of the Latin names ("Müller, Anna": quoted).
    let name =
        if given.is_ascii() && rng.chance(35) { format!("{family}, {given}") } else { format!("{given} {family}") };
    let company = if rng.chance(12) { String::new() } else { rng.pick(COMPANY).to_string() };
    let email = format!("user{}.{}@example.{}", i, rng.digits(3), rng.pick(&["com", "org", "jp", "de", "cn"]));
    let mobile = if rng.chance(15) {
        String::new()
    } else {
        format!("+{} {} {}", rng.pick(&["49", "81", "86", "33", "1"]), rng.digits(3), rng.digits(7))
    };
    let ipv6 = (0..8).map(|_| format!("{:x}", rng.below(0x10000))).collect::<Vec<_>>().join(":");
    let hint = if rng.chance(30) { String::new() } else { format!("first pet {}", rng.pick(WORDS)) };
    let comment = if rng.chance(50) { String::new() } else { format!("{} / {}", rng.pick(WORDS), rng.pick(WORDS)) };
    let city = rng.pick(CITY).to_string();
    let joined = format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        10 + rng.below(15),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    let balance = format!("{}.{:02}", rng.below(100_000), rng.below(100));
    // Free text, passed through: several phrases, with commas in about half of the rows and a
    // quoted word in some (so the field is quoted), in the scripts above.
    let phrases = 2 + rng.below(5);
    let commas = rng.chance(55);
    let mut notes = String::new();
    for p in 0..phrases {
        if p > 0 {
            notes.push_str(if commas { ", " } else { " " });
        }
        if rng.chance(3) {
            notes.push('"');
            let word = *rng.pick(WORDS);
            notes.push_str(word);
            notes.push('"');
        } else {
            let word = *rng.pick(WORDS);
            notes.push_str(word);
        }
    }
    [format!("M{:09}", i), name, company, email, mobile, ipv6, hint, comment, city, joined, balance, notes]
}

/// Writes `rows` rows (plus a header) of the text profile's CSV for `seed`.
pub fn write_text_csv<W: Write>(out: W, rows: u64, seed: u64) -> std::io::Result<()> {
    crate::write_profile(out, &TEXT_COLUMNS, rows, seed, text_row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_profile_is_seeded_multi_script_and_mostly_quoted() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_text_csv(&mut a, 3000, 7).unwrap();
        write_text_csv(&mut b, 3000, 7).unwrap();
        assert_eq!(a, b, "same seed, same bytes");
        let text = String::from_utf8(a.clone()).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        let quoted = rows.iter().filter(|r| r.contains('"')).count();
        assert!((1800..=2400).contains(&quoted), "about two thirds quoted: {quoted} of 3000");
        for script in ['佐', 'サ', '김', 'ü'] {
            assert!(text.contains(script), "{script}");
        }
        assert!(text.contains(",,"), "empty fields");
        // Every row parses back into 12 fields.
        let mut r = csv::Reader::from_reader(&a[..]);
        assert!(r.records().all(|rec| rec.is_ok_and(|rec| rec.len() == 12)));
    }
}
