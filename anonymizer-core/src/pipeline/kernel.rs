//! Column kernels: one [`Op`] over one input column of text, producing the output array
//! and the indices of cells that were invalid (already nulled in the output).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{new_null_array, Array, ArrayRef, StringArray};
use chrono::Days;

use super::redact::{redact_cell, Cancelled, Interrupt};
use super::typed::{decimals_of, parse, parse_date_text, parse_f64, DateText, Typed, TypedBuilder};
use crate::rule::{arrow_type, ColumnPlan, ColumnType, DateUnit, Op};
use crate::transform::{band_label, mask, round_significant, step_floor, truncate, truncate_date, truncate_datetime};

/// A computed output column.
pub(crate) struct ColumnOutput {
    pub(crate) array: ArrayRef,
    pub(crate) invalid: Vec<usize>,
    /// `redact` only: findings per detector.
    pub(crate) findings: Vec<u64>,
}

/// Runs one column plan over the (already filtered) input columns. Stops early when `cancel`
/// is set (long `redact` cells look at it every 64 KiB searched).
pub(crate) fn run_column(
    c: &ColumnPlan,
    inputs: &[&StringArray],
    cancel: Option<&AtomicBool>,
) -> Result<ColumnOutput, Cancelled> {
    let src = inputs[c.input];
    let mut invalid = Vec::new();
    let mut findings = Vec::new();
    let typed = c.ty != ColumnType::String;
    let array: ArrayRef = match &c.op {
        Op::Null => new_null_array(&arrow_type(&c.ty), src.len()),
        Op::Keep if !typed => Arc::new(src.clone()),
        Op::Keep => typed_map(c, src, &mut invalid, Some),
        Op::Replace(v) => text_map(c, src, &mut invalid, |_, _, out| {
            out.push_str(v);
            true
        }),
        Op::Pseudonymize(p) if !typed => pseudonym_column(p, src).unwrap_or_else(|| {
            text_map(c, src, &mut invalid, |_, s, out| {
                p.token_into(s.as_bytes(), out);
                true
            })
        }),
        Op::Pseudonymize(p) => text_map(c, src, &mut invalid, |_, s, out| {
            p.token_into(s.as_bytes(), out);
            true
        }),
        Op::Fake(f) => text_map(c, src, &mut invalid, |_, s, out| {
            f.fake_into(s.as_bytes(), out);
            true
        }),
        Op::Mask { keep_first, keep_last, ch, preserve } => text_map(c, src, &mut invalid, |_, s, out| {
            mask(s, *keep_first, *keep_last, *ch, preserve, out);
            true
        }),
        Op::Encrypt(e) => text_map(c, src, &mut invalid, |_, s, out| match e.encrypt(s) {
            Some(ct) => {
                out.push_str(&ct);
                true
            }
            None => false,
        }),
        Op::Redact { scanner, with } => {
            findings = vec![0; scanner.names().len()];
            let mut interrupt = Interrupt::new(cancel);
            let mut cancelled = false;
            let array = text_map(c, src, &mut invalid, |_, s, out| {
                // To a fixpoint: the output holds nothing any detector still finds.
                cancelled = cancelled || redact_cell(scanner, with, s, out, &mut findings, &mut interrupt).is_err();
                true
            });
            if cancelled {
                return Err(Cancelled);
            }
            array
        }
        Op::Truncate(n) => text_map(c, src, &mut invalid, |_, s, out| {
            out.push_str(truncate(s, *n));
            true
        }),
        Op::GeneralizeDate(unit) if typed => typed_map(c, src, &mut invalid, |v| match v {
            Typed::Date(d) => Some(Typed::Date(truncate_date(d, *unit))),
            Typed::Ts(t) => Some(Typed::Ts(truncate_datetime(t, *unit))),
            _ => None,
        }),
        Op::GeneralizeDate(unit) => text_map(c, src, &mut invalid, |_, s, out| match parse_date_text(s) {
            Some(DateText::Date(d)) if *unit != DateUnit::Hour => {
                out.push_str(&truncate_date(d, *unit).format("%Y-%m-%d").to_string());
                true
            }
            Some(DateText::DateTime(t, f)) => {
                out.push_str(&truncate_datetime(t, *unit).format(f).to_string());
                true
            }
            _ => false,
        }),
        Op::Step(step) => number_op(c, src, &mut invalid, |x| step_floor(x, *step), decimals_of(&step.to_string())),
        Op::Round(digits) => number_op(c, src, &mut invalid, |x| round_significant(x, *digits), 0),
        Op::Bands(bands) => text_map(c, src, &mut invalid, |_, s, out| {
            let x = if typed { parse(&c.ty, s).and_then(|v| as_f64(&c.ty, v)) } else { parse_f64(s) };
            match x {
                Some(x) => {
                    out.push_str(&band_label(x, bands));
                    true
                }
                None => false,
            }
        }),
        Op::ShiftDate { shifter, by } => {
            let subject_of = |row: usize, own: &str| -> Option<i64> {
                match by {
                    None => Some(shifter.offset_days(own.as_bytes())),
                    Some(b) => {
                        let col = inputs[*b];
                        (!col.is_null(row)).then(|| shifter.offset_days(col.value(row).as_bytes()))
                    }
                }
            };
            let shift_date = |d: chrono::NaiveDate, off: i64| {
                if off >= 0 {
                    d.checked_add_days(Days::new(off as u64))
                } else {
                    d.checked_sub_days(Days::new(off.unsigned_abs()))
                }
            };
            let shift_ts = |t: chrono::NaiveDateTime, off: i64| t.checked_add_signed(chrono::TimeDelta::days(off));
            if typed {
                typed_map_rows(c, src, &mut invalid, |v, row, s| {
                    let off = subject_of(row, s)?;
                    match v {
                        Typed::Date(d) => shift_date(d, off).map(Typed::Date),
                        Typed::Ts(t) => shift_ts(t, off).map(Typed::Ts),
                        _ => None,
                    }
                })
            } else {
                text_map(c, src, &mut invalid, |row, s, out| {
                    let Some(off) = subject_of(row, s) else {
                        return false;
                    };
                    match parse_date_text(s) {
                        Some(DateText::Date(d)) => {
                            shift_date(d, off).map(|d| out.push_str(&d.format("%Y-%m-%d").to_string())).is_some()
                        }
                        Some(DateText::DateTime(t, f)) => {
                            shift_ts(t, off).map(|t| out.push_str(&t.format(f).to_string())).is_some()
                        }
                        None => false,
                    }
                })
            }
        }
        Op::Noise(n) => {
            if typed {
                let scale = match c.ty {
                    ColumnType::Int => Some(0),
                    ColumnType::Decimal { scale, .. } => Some(i32::from(scale)),
                    _ => None,
                };
                // Keyed on the cell's exact input text (spec: `utf8(value)`), spaces included:
                // the number is parsed leniently, the key is not.
                typed_map_rows(c, src, &mut invalid, |v, _, s| {
                    from_f64(&c.ty, n.apply(as_f64(&c.ty, v)?, s.as_bytes(), scale))
                })
            } else {
                text_map(c, src, &mut invalid, |_, s, out| match parse_f64(s) {
                    Some(x) => {
                        let d = decimals_of(s);
                        let y = n.apply(x, s.as_bytes(), Some(d as i32));
                        out.push_str(&format!("{y:.d$}"));
                        true
                    }
                    None => false,
                })
            }
        }
    };
    Ok(ColumnOutput { array, invalid, findings })
}

/// The tokens of a text column, sixteen cells at a time (AVX-512 registers take sixteen
/// tokens side by side, see `transform::sha_x16`; the SHA unit two): every token has the
/// same length, so the values are the non-null cells' tokens back to back and the nulls
/// stay where they were. `None` (the caller goes cell by cell) when the tokens would not
/// fit 32-bit offsets.
fn pseudonym_column(p: &crate::transform::Pseudonymizer, src: &StringArray) -> Option<ArrayRef> {
    let len = p.token_len();
    let present = src.len() - src.null_count();
    i32::try_from(present.checked_mul(len)?).ok()?;
    // Bytes, validated once below rather than token by token.
    // 32 bytes spare: a sink may store a whole 32-byte token before keeping its length.
    let mut values: Vec<u8> = Vec::with_capacity(present * len + 32);
    // The present cells' values, a register's worth at a time.
    let mut chunk: [&[u8]; 16] = [&[]; 16];
    let mut filled = 0;
    for row in 0..src.len() {
        if src.is_null(row) {
            continue;
        }
        chunk[filled] = src.value(row).as_bytes();
        filled += 1;
        if filled == chunk.len() {
            p.tokens_into(&chunk, &mut values);
            filled = 0;
        }
    }
    p.tokens_into(&chunk[..filled], &mut values);
    let mut offsets = Vec::with_capacity(src.len() + 1);
    let mut end = 0i32;
    offsets.push(end);
    for row in 0..src.len() {
        if !src.is_null(row) {
            end += len as i32;
        }
        offsets.push(end);
    }
    let offsets = arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(offsets));
    let array = StringArray::try_new(offsets, values.into(), src.nulls().cloned()).ok()?;
    Some(Arc::new(array))
}

/// Maps every non-null cell's text to output text; `f` returns `false` for an invalid cell.
/// For a typed column the text must first parse as its declared type.
fn text_map(
    c: &ColumnPlan,
    src: &StringArray,
    invalid: &mut Vec<usize>,
    mut f: impl FnMut(usize, &str, &mut String) -> bool,
) -> ArrayRef {
    let typed =
        c.ty != ColumnType::String && !matches!(c.op, Op::Bands(_) | Op::GeneralizeDate(_) | Op::ShiftDate { .. });
    let mut b = StringBuilder::with_capacity(src.len(), src.value_data().len() + src.len() * 4);
    let mut buf = String::new();
    for row in 0..src.len() {
        if src.is_null(row) {
            b.append_null();
            continue;
        }
        let s = src.value(row);
        buf.clear();
        if (!typed || parse(&c.ty, s).is_some()) && f(row, s, &mut buf) {
            b.append_value(&buf);
        } else {
            invalid.push(row);
            b.append_null();
        }
    }
    Arc::new(b.finish())
}

/// Parses each cell as the declared type and maps it; `None` from `f` marks the cell invalid.
fn typed_map(
    c: &ColumnPlan,
    src: &StringArray,
    invalid: &mut Vec<usize>,
    mut f: impl FnMut(Typed) -> Option<Typed>,
) -> ArrayRef {
    typed_map_rows(c, src, invalid, |v, _, _| f(v))
}

/// Like `typed_map`, with the row and the cell's input text (keyed actions key on the text).
fn typed_map_rows(
    c: &ColumnPlan,
    src: &StringArray,
    invalid: &mut Vec<usize>,
    mut f: impl FnMut(Typed, usize, &str) -> Option<Typed>,
) -> ArrayRef {
    let mut b = TypedBuilder::new(&c.ty, src.len());
    for row in 0..src.len() {
        if src.is_null(row) {
            b.append_null();
            continue;
        }
        let s = src.value(row);
        let v = parse(&c.ty, s).and_then(|v| f(v, row, s));
        if !b.append(v) || v.is_none() {
            invalid.push(row);
        }
    }
    b.finish()
}

/// A numeric operation on a typed number column (same type out) or on text (text out,
/// keeping at least the input's number of decimals).
fn number_op(
    c: &ColumnPlan,
    src: &StringArray,
    invalid: &mut Vec<usize>,
    op: impl Fn(f64) -> f64,
    min_decimals: usize,
) -> ArrayRef {
    if c.ty != ColumnType::String {
        return typed_map(c, src, invalid, |v| from_f64(&c.ty, op(as_f64(&c.ty, v)?)));
    }
    text_map(c, src, invalid, |_, s, out| match parse_f64(s) {
        Some(x) => {
            let d = decimals_of(s).max(min_decimals);
            out.push_str(&format!("{:.d$}", op(x)));
            true
        }
        None => false,
    })
}

fn scale_of(ty: &ColumnType) -> i32 {
    match ty {
        ColumnType::Decimal { scale, .. } => i32::from(*scale),
        _ => 0,
    }
}

/// A typed number as f64 (decimals in value units, not unscaled).
fn as_f64(ty: &ColumnType, v: Typed) -> Option<f64> {
    match v {
        Typed::Int(x) => Some(x as f64),
        Typed::Float(x) => Some(x),
        Typed::Dec(x) => Some(x as f64 / 10f64.powi(scale_of(ty))),
        _ => None,
    }
}

/// Back from f64 to a declared numeric type, rounding half away from zero.
fn from_f64(ty: &ColumnType, y: f64) -> Option<Typed> {
    if !y.is_finite() {
        return None;
    }
    match ty {
        ColumnType::Int => Some(Typed::Int(y.round() as i64)),
        ColumnType::Float => Some(Typed::Float(y)),
        ColumnType::Decimal { scale, .. } => Some(Typed::Dec((y * 10f64.powi(i32::from(*scale))).round() as i128)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, ArrayRef, Decimal128Array, RecordBatch, StringArray};

    use super::pseudonym_column;
    use crate::key::MasterKey;
    use crate::rule::parse_rules;
    use crate::RulePlan;

    // `noise` was keyed on the trimmed text, so `" 1234.5"` got the noise of `"1234.5"`.
    // The spec keys it on `utf8(value)`, the exact input text. Expected values computed
    // independently in Python (standard library; HKDF written out from RFC 5869 and checked
    // against `cryptography`'s HKDF), with the test master key of 32 zero bytes:
    //
    // ```python
    // import hashlib, hmac, math
    // def hkdf_sha256(ikm, info, length=32, salt=b""):
    //     prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()  # empty salt = 32 zeros
    //     okm, t, i = b"", b"", 1
    //     while len(okm) < length:
    //         t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
    //         okm, i = okm + t, i + 1
    //     return okm[:length]
    // k = hkdf_sha256(bytes(32), b"importd/v1/perturb")
    // def u(domain, text):
    //     tag = hmac.new(k, b"noise" + b"\0" + domain.encode() + b"\0" + text.encode(), hashlib.sha256).digest()
    //     return int.from_bytes(tag[:8], "big") / 2**64
    // def half_away(v):
    //     return math.copysign(math.floor(abs(v) + 0.5), v)
    // def noised(domain, text, rel, scale):
    //     x = float(text.strip())
    //     y = x + (2 * u(domain, text) - 1) * rel * abs(x)
    //     return half_away(y * 10**scale) / 10**scale
    // for t in ["1234.5", " 1234.5", "1234.5 "]: print(repr(t), f"{noised('amount', t, 0.05, 1):.1f}")
    // for t in ["52000.00", " 52000.00"]: print(repr(t), int(half_away(noised('price', t, 0.05, 2) * 100)))
    // # '1234.5' 1204.5, ' 1234.5' 1176.3, '1234.5 ' 1281.1; '52000.00' 5204452, ' 52000.00' 5240583
    // ```
    #[test]
    fn a_pseudonym_column_in_pairs_keeps_nulls_in_place_on_sliced_and_odd_inputs() {
        use crate::transform::Pseudonymizer;
        let p = Pseudonymizer::new(&[7; 32], "email", "e_", 20);
        let cells = [Some("a"), None, Some("b"), Some("c"), None, None, Some("d"), Some(""), Some("e")];
        let whole = StringArray::from(cells.to_vec());
        // Odd and even counts of present cells, nulls between pairs, a slice not at offset 0.
        for (offset, len) in [(0, 9), (1, 8), (2, 5), (3, 1), (4, 2), (0, 0)] {
            let src = whole.slice(offset, len);
            let out = pseudonym_column(&p, &src).expect("fits 32-bit offsets");
            let out = out.as_any().downcast_ref::<StringArray>().expect("text");
            let expected: Vec<Option<String>> =
                cells[offset..offset + len].iter().map(|c| c.map(|v| p.token(v.as_bytes()))).collect();
            let got: Vec<Option<String>> = out.iter().map(|v| v.map(str::to_string)).collect();
            assert_eq!(got, expected, "slice {offset}..{}", offset + len);
        }
    }

    #[test]
    fn noise_is_keyed_on_the_exact_input_text_not_the_trimmed_text() {
        let rules = parse_rules(
            "version = 1\n[columns]\namount = { action = \"noise\", relative = 0.05 }\n\
             price = { action = \"noise\", relative = 0.05 }\n[types]\nprice = \"decimal(10,2)\"\n",
            "r.toml",
        )
        .unwrap();
        let header = ["amount".to_string(), "price".to_string()];
        let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &header).unwrap();
        let text = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
        let batch = RecordBatch::try_from_iter([
            ("amount", text(vec!["1234.5", " 1234.5", "1234.5 "])),
            ("price", text(vec!["52000.00", " 52000.00", "52000.00"])),
        ])
        .unwrap();
        let out = plan.apply(&batch).unwrap().batch;
        let amount = out.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let amounts: Vec<&str> = (0..amount.len()).map(|i| amount.value(i)).collect();
        assert_eq!(amounts, ["1204.5", "1176.3", "1281.1"]);
        let price = out.column(1).as_any().downcast_ref::<Decimal128Array>().unwrap();
        let prices: Vec<i128> = (0..price.len()).map(|i| price.value(i)).collect();
        assert_eq!(prices, [5204452, 5240583, 5204452]);
    }
}
