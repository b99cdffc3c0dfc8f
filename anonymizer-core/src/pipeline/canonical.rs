//! The canonical text of a typed cell: what every action that works on text (`pseudonymize`,
//! `mask`, `encrypt`, `redact`, …) and every `[[delete_rows]]` filter sees of a Parquet or
//! Arrow value. One text per Arrow type, written here rather than taken from arrow's display
//! code (which has changed between arrow versions), so a pseudonym of a typed value stays the
//! same across releases and a customer can recompute it; `rules/README.md` documents the table.
//!
//! Every value of a supported type has a text, including those Arrow itself refuses to
//! display (dates past chrono's range, times outside a day): dates are computed on the
//! proleptic Gregorian calendar over the whole `i64` range.

use std::fmt::Write;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, StringArray};
use arrow_schema::{DataType, TimeUnit};

/// The canonical text of every cell of `a` (nulls stay null); `None` for a type without one
/// (typed inputs refuse those when they are opened).
pub(crate) fn canonical_text(a: &ArrayRef) -> Option<StringArray> {
    use DataType::*;
    Some(match a.data_type() {
        Utf8 => a.as_string::<i32>().clone(),
        LargeUtf8 => each(a, |i, out| out.push_str(a.as_string::<i64>().value(i))),
        Utf8View => each(a, |i, out| out.push_str(a.as_string_view().value(i))),
        Null => StringArray::new_null(a.len()),
        Boolean => each(a, |i, out| out.push_str(if a.as_boolean().value(i) { "true" } else { "false" })),
        Int8 => display::<Int8Type>(a),
        Int16 => display::<Int16Type>(a),
        Int32 => display::<Int32Type>(a),
        Int64 => display::<Int64Type>(a),
        UInt8 => display::<UInt8Type>(a),
        UInt16 => display::<UInt16Type>(a),
        UInt32 => display::<UInt32Type>(a),
        UInt64 => display::<UInt64Type>(a),
        // Rust's `Display` of the value in its own width: the shortest digits that read back
        // as the same value, never an exponent.
        Float32 => display::<Float32Type>(a),
        Float64 => display::<Float64Type>(a),
        Decimal32(_, s) => decimal::<Decimal32Type>(a, *s),
        Decimal64(_, s) => decimal::<Decimal64Type>(a, *s),
        Decimal128(_, s) => decimal::<Decimal128Type>(a, *s),
        Decimal256(_, s) => decimal::<Decimal256Type>(a, *s),
        Date32 => {
            let d = a.as_primitive::<Date32Type>();
            each(a, |i, out| push_date(i64::from(d.value(i)), out))
        }
        Date64 => {
            let d = a.as_primitive::<Date64Type>();
            each(a, |i, out| push_date(d.value(i).div_euclid(MS_PER_DAY), out))
        }
        Timestamp(unit, zone) => {
            let zoned = zone.is_some();
            match unit {
                TimeUnit::Second => timestamp::<TimestampSecondType>(a, 0, zoned),
                TimeUnit::Millisecond => timestamp::<TimestampMillisecondType>(a, 3, zoned),
                TimeUnit::Microsecond => timestamp::<TimestampMicrosecondType>(a, 6, zoned),
                TimeUnit::Nanosecond => timestamp::<TimestampNanosecondType>(a, 9, zoned),
            }
        }
        Time32(TimeUnit::Second) => time::<Time32SecondType>(a, 0),
        Time32(TimeUnit::Millisecond) => time::<Time32MillisecondType>(a, 3),
        Time64(TimeUnit::Microsecond) => time::<Time64MicrosecondType>(a, 6),
        Time64(TimeUnit::Nanosecond) => time::<Time64NanosecondType>(a, 9),
        Binary => each(a, |i, out| push_hex(a.as_binary::<i32>().value(i), out)),
        LargeBinary => each(a, |i, out| push_hex(a.as_binary::<i64>().value(i), out)),
        BinaryView => each(a, |i, out| push_hex(a.as_binary_view().value(i), out)),
        FixedSizeBinary(_) => each(a, |i, out| push_hex(a.as_fixed_size_binary().value(i), out)),
        Dictionary(_, values) => {
            let unpacked = arrow_cast::cast(a, values).ok()?;
            return canonical_text(&unpacked);
        }
        _ => return None,
    })
}

const MS_PER_DAY: i64 = 86_400_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Builds a text column from `a`'s non-null cells.
fn each(a: &ArrayRef, mut f: impl FnMut(usize, &mut String)) -> StringArray {
    let mut b = StringBuilder::with_capacity(a.len(), a.len() * 8);
    let mut buf = String::new();
    for i in 0..a.len() {
        if a.is_null(i) {
            b.append_null();
            continue;
        }
        buf.clear();
        f(i, &mut buf);
        b.append_value(&buf);
    }
    b.finish()
}

fn display<T: ArrowPrimitiveType>(a: &ArrayRef) -> StringArray
where
    T::Native: std::fmt::Display,
{
    let p = a.as_primitive::<T>();
    each(a, |i, out| {
        let _ = write!(out, "{}", p.value(i));
    })
}

/// The unscaled integer with the point `scale` digits from the right and every fraction
/// digit written (`1250` at scale 2 is `12.50`, `-5` is `-0.05`); a negative scale appends
/// zeros (`123` at scale −2 is `12300`; zero stays `0`).
fn decimal<T: ArrowPrimitiveType>(a: &ArrayRef, scale: i8) -> StringArray
where
    T::Native: std::fmt::Display,
{
    let p = a.as_primitive::<T>();
    let mut digits = String::new();
    each(a, |i, out| {
        digits.clear();
        let _ = write!(digits, "{}", p.value(i));
        push_decimal(&digits, scale, out);
    })
}

fn push_decimal(unscaled: &str, scale: i8, out: &mut String) {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    out.push_str(sign);
    if scale <= 0 {
        out.push_str(digits);
        if digits != "0" {
            out.extend(std::iter::repeat_n('0', usize::from(scale.unsigned_abs())));
        }
        return;
    }
    let scale = scale as usize;
    if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(digits);
    }
}

/// RFC 3339: `YYYY-MM-DDTHH:MM:SS`, then `digits` fraction digits (the unit's full precision:
/// none for seconds, 3, 6 or 9), then `Z` when the type has a zone (the instant in UTC).
fn timestamp<T: ArrowPrimitiveType<Native = i64>>(a: &ArrayRef, digits: u32, zoned: bool) -> StringArray {
    let p = a.as_primitive::<T>();
    let per_second = 10i64.pow(digits);
    each(a, |i, out| {
        let v = p.value(i);
        let (seconds, fraction) = (v.div_euclid(per_second), v.rem_euclid(per_second));
        push_date(seconds.div_euclid(SECONDS_PER_DAY), out);
        out.push('T');
        push_clock(seconds.rem_euclid(SECONDS_PER_DAY), fraction, digits, out);
        if zoned {
            out.push('Z');
        }
    })
}

/// `HH:MM:SS` and the unit's fraction digits. A value outside the day (which Arrow does not
/// allow) keeps its count of hours and its sign, so distinct values keep distinct texts.
fn time<T: ArrowPrimitiveType>(a: &ArrayRef, digits: u32) -> StringArray
where
    T::Native: Into<i64>,
{
    let p: &PrimitiveArray<T> = a.as_primitive::<T>();
    let per_second = 10i64.pow(digits);
    each(a, |i, out| {
        let v: i64 = p.value(i).into();
        if v < 0 {
            out.push('-');
        }
        let v = v.unsigned_abs();
        let per_second = per_second.unsigned_abs();
        push_clock_u64(v / per_second, v % per_second, digits, out);
    })
}

fn push_clock(seconds_of_day: i64, fraction: i64, digits: u32, out: &mut String) {
    push_clock_u64(seconds_of_day.unsigned_abs(), fraction.unsigned_abs(), digits, out);
}

fn push_clock_u64(seconds: u64, fraction: u64, digits: u32, out: &mut String) {
    let _ = write!(out, "{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    if digits > 0 {
        let _ = write!(out, ".{fraction:0width$}", width = digits as usize);
    }
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian). Years outside
/// 0000–9999 carry a sign and at least four digits (`+10000-01-01`, `-0001-12-31`), as
/// ISO 8601's expanded form and chrono write them.
fn push_date(days: i64, out: &mut String) {
    let (y, m, d) = civil_from_days(days);
    let _ = match y {
        0..=9999 => write!(out, "{y:04}-{m:02}-{d:02}"),
        10000.. => write!(out, "+{y}-{m:02}-{d:02}"),
        _ => write!(out, "-{:04}-{m:02}-{d:02}", y.unsigned_abs()),
    };
}

/// Year, month and day of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`),
/// total over every count a 64-bit timestamp of seconds can hold.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn push_hex(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::*;
    use arrow_buffer::i256;

    use super::*;

    fn texts(a: ArrayRef) -> Vec<Option<String>> {
        let s = canonical_text(&a).expect("a supported type");
        (0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_string())).collect()
    }

    fn one(a: ArrayRef) -> String {
        texts(a).remove(0).expect("not null")
    }

    #[test]
    fn the_canonical_text_table() {
        let cases: Vec<(ArrayRef, &str)> = vec![
            (Arc::new(Int8Array::from(vec![-128])), "-128"),
            (Arc::new(UInt64Array::from(vec![u64::MAX])), "18446744073709551615"),
            (Arc::new(Int64Array::from(vec![i64::MIN])), "-9223372036854775808"),
            (Arc::new(Float64Array::from(vec![0.1])), "0.1"),
            (Arc::new(Float64Array::from(vec![1.0])), "1"),
            (Arc::new(Float64Array::from(vec![-0.0])), "-0"),
            (Arc::new(Float64Array::from(vec![1e21])), "1000000000000000000000"),
            (Arc::new(Float64Array::from(vec![1.5e-7])), "0.00000015"),
            (Arc::new(Float64Array::from(vec![f64::NAN])), "NaN"),
            (Arc::new(Float64Array::from(vec![f64::NEG_INFINITY])), "-inf"),
            (Arc::new(Float32Array::from(vec![0.1f32])), "0.1"),
            (Arc::new(Float32Array::from(vec![16_777_217.0f32])), "16777216"),
            (Arc::new(Decimal128Array::from(vec![1250]).with_precision_and_scale(10, 2).unwrap()), "12.50"),
            (Arc::new(Decimal128Array::from(vec![-5]).with_precision_and_scale(10, 2).unwrap()), "-0.05"),
            (Arc::new(Decimal128Array::from(vec![0]).with_precision_and_scale(10, 3).unwrap()), "0.000"),
            (Arc::new(Decimal128Array::from(vec![123]).with_precision_and_scale(10, -2).unwrap()), "12300"),
            (Arc::new(Decimal128Array::from(vec![0]).with_precision_and_scale(10, -2).unwrap()), "0"),
            (Arc::new(Decimal32Array::from(vec![7]).with_precision_and_scale(9, 0).unwrap()), "7"),
            (Arc::new(Decimal64Array::from(vec![-70]).with_precision_and_scale(18, 1).unwrap()), "-7.0"),
            (Arc::new(Date32Array::from(vec![0])), "1970-01-01"),
            (Arc::new(Date32Array::from(vec![-1])), "1969-12-31"),
            (Arc::new(Date32Array::from(vec![19_782])), "2024-02-29"),
            (Arc::new(Date32Array::from(vec![2_932_897])), "+10000-01-01"),
            (Arc::new(Date32Array::from(vec![-719_529])), "-0001-12-31"),
            (Arc::new(Date64Array::from(vec![86_400_000 + 3_600_000])), "1970-01-02"),
            (Arc::new(Date64Array::from(vec![-1])), "1969-12-31"),
            (Arc::new(TimestampSecondArray::from(vec![0])), "1970-01-01T00:00:00"),
            (Arc::new(TimestampMillisecondArray::from(vec![1_500])), "1970-01-01T00:00:01.500"),
            (Arc::new(TimestampMicrosecondArray::from(vec![-1])), "1969-12-31T23:59:59.999999"),
            (
                Arc::new(TimestampNanosecondArray::from(vec![1_709_164_800_123_456_789])),
                "2024-02-29T00:00:00.123456789",
            ),
            (
                Arc::new(
                    TimestampNanosecondArray::from(vec![1_709_164_800_000_000_001]).with_timezone("Europe/Berlin"),
                ),
                "2024-02-29T00:00:00.000000001Z",
            ),
            (Arc::new(TimestampSecondArray::from(vec![0]).with_timezone("+01:00")), "1970-01-01T00:00:00Z"),
            (Arc::new(TimestampSecondArray::from(vec![i64::MIN])), "-292277022657-01-27T08:29:52"),
            (Arc::new(TimestampSecondArray::from(vec![i64::MAX])), "+292277026596-12-04T15:30:07"),
            (Arc::new(Time32SecondArray::from(vec![49_530])), "13:45:30"),
            (Arc::new(Time32MillisecondArray::from(vec![49_530_007])), "13:45:30.007"),
            (Arc::new(Time64MicrosecondArray::from(vec![1])), "00:00:00.000001"),
            (Arc::new(Time64NanosecondArray::from(vec![86_399_999_999_999])), "23:59:59.999999999"),
            (Arc::new(Time32SecondArray::from(vec![-1])), "-00:00:01"),
            (Arc::new(Time32SecondArray::from(vec![90_000])), "25:00:00"),
            (Arc::new(BooleanArray::from(vec![true])), "true"),
            (Arc::new(BooleanArray::from(vec![false])), "false"),
            (Arc::new(LargeStringArray::from(vec!["Straße"])), "Straße"),
            (Arc::new(BinaryArray::from(vec![&[0x00u8, 0xAB, 0xFF][..]])), "00abff"),
            (Arc::new(LargeBinaryArray::from(vec![&b"A"[..]])), "41"),
            (Arc::new(FixedSizeBinaryArray::try_from_iter(vec![vec![0xDEu8, 0xAD]].into_iter()).unwrap()), "dead"),
            (Arc::new(BinaryArray::from(vec![&b""[..]])), ""),
        ];
        for (array, want) in cases {
            let t = array.data_type().clone();
            assert_eq!(one(array), want, "{t}");
        }
        let wide = Decimal256Array::from(vec![i256::from_string(&"9".repeat(76)).unwrap()])
            .with_precision_and_scale(76, 10)
            .unwrap();
        assert_eq!(one(Arc::new(wide)), format!("{}.{}", "9".repeat(66), "9".repeat(10)));
    }

    #[test]
    fn dates_agree_with_chrono_wherever_chrono_has_them() {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-800_000i64..3_000_000).step_by(997).chain([-719_528, -719_162, 0, 2_932_896]) {
            let mut out = String::new();
            push_date(days, &mut out);
            let want = (epoch + chrono::Duration::days(days)).format("%Y-%m-%d").to_string();
            assert_eq!(out, want, "{days}");
        }
    }

    #[test]
    fn nulls_stay_null_and_unsupported_types_have_no_text() {
        let a: ArrayRef = Arc::new(UInt64Array::from(vec![Some(1), None]));
        assert_eq!(texts(a), vec![Some("1".to_string()), None]);
        let a: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(texts(a), vec![None, None]);
        let a: ArrayRef = Arc::new(DurationSecondArray::from(vec![1]));
        assert!(canonical_text(&a).is_none());
        let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::from_iter([Some("a"), None, Some("a")]));
        assert_eq!(texts(dict), vec![Some("a".to_string()), None, Some("a".to_string())]);
    }
}
