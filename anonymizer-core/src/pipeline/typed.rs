//! Text ↔ typed values for `[types]`: parsing a CSV cell into its declared type, and the
//! Arrow builders typed results are collected in.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, TimestampMicrosecondBuilder,
};
use arrow_array::ArrayRef;
use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::rule::ColumnType;

/// A parsed cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Typed {
    Int(i64),
    Float(f64),
    Dec(i128),
    Bool(bool),
    Date(NaiveDate),
    Ts(NaiveDateTime),
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

const DATETIME_FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];

/// Parses `text` as `ty`. `None`: the cell is invalid for its declared type.
pub(crate) fn parse(ty: &ColumnType, text: &str) -> Option<Typed> {
    let t = text.trim();
    match ty {
        ColumnType::String => None,
        ColumnType::Int => t.parse().ok().map(Typed::Int),
        ColumnType::Float => parse_f64(t).map(Typed::Float),
        ColumnType::Decimal { precision, scale } => parse_decimal(t, *precision, *scale).map(Typed::Dec),
        ColumnType::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Some(Typed::Bool(true)),
            "false" | "f" | "no" | "n" | "0" => Some(Typed::Bool(false)),
            _ => None,
        },
        ColumnType::Date(None) => parse_iso_date(t).map(Typed::Date),
        ColumnType::Date(Some(fmt)) => NaiveDate::parse_from_str(t, fmt).ok().map(Typed::Date),
        ColumnType::Timestamp(Some(fmt)) => NaiveDateTime::parse_from_str(t, fmt).ok().map(Typed::Ts),
        ColumnType::Timestamp(None) => parse_iso_datetime(t).map(|(ts, _)| Typed::Ts(ts)),
    }
}

/// A finite number.
pub(crate) fn parse_f64(t: &str) -> Option<f64> {
    t.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// ISO 8601 date-time (with `T` or space, optional fraction, optional offset → UTC), and
/// the format that matched so text output can keep the input's shape.
pub(crate) fn parse_iso_datetime(t: &str) -> Option<(NaiveDateTime, &'static str)> {
    for f in DATETIME_FORMATS {
        if let Ok(ts) = NaiveDateTime::parse_from_str(t, f) {
            return Some((ts, f));
        }
    }
    DateTime::parse_from_rfc3339(t).ok().map(|d| (d.naive_utc(), "%Y-%m-%dT%H:%M:%S%.fZ"))
}

/// Parses a date or date-time text the way `generalize`/`shift_date` do on string columns.
pub(crate) enum DateText {
    Date(NaiveDate),
    DateTime(NaiveDateTime, &'static str),
}

/// `YYYY-MM-DD` without chrono's format interpreter (the hot path of date columns).
pub(crate) fn parse_iso_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

pub(crate) fn parse_date_text(t: &str) -> Option<DateText> {
    let t = t.trim();
    if let Some(d) = parse_iso_date(t) {
        return Some(DateText::Date(d));
    }
    parse_iso_datetime(t).map(|(ts, f)| DateText::DateTime(ts, f))
}

fn parse_decimal(t: &str, precision: u8, scale: i8) -> Option<i128> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let scale = scale.max(0) as usize;
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > scale {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() + scale > precision as usize {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes().chain(frac.bytes()).chain(std::iter::repeat_n(b'0', scale - frac.len())) {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

/// Number of digits after the decimal point in a number's text.
pub(crate) fn decimals_of(t: &str) -> usize {
    let t = t.trim();
    if t.contains(['e', 'E']) {
        return 6;
    }
    t.split_once('.').map_or(0, |(_, f)| f.len())
}

/// Collects typed values into the Arrow array of a declared type.
pub(crate) enum TypedBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Dec(Decimal128Builder, u8, i8),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder),
}

impl TypedBuilder {
    pub(crate) fn new(ty: &ColumnType, cap: usize) -> TypedBuilder {
        match ty {
            ColumnType::Int | ColumnType::String => TypedBuilder::Int(Int64Builder::with_capacity(cap)),
            ColumnType::Float => TypedBuilder::Float(Float64Builder::with_capacity(cap)),
            ColumnType::Decimal { precision, scale } => {
                TypedBuilder::Dec(Decimal128Builder::with_capacity(cap), *precision, *scale)
            }
            ColumnType::Bool => TypedBuilder::Bool(BooleanBuilder::with_capacity(cap)),
            ColumnType::Date(_) => TypedBuilder::Date(Date32Builder::with_capacity(cap)),
            ColumnType::Timestamp(_) => TypedBuilder::Ts(TimestampMicrosecondBuilder::with_capacity(cap)),
        }
    }

    /// Appends a value, or a null for `None`. Returns `false` (and appends a null) when the
    /// value does not fit the type, e.g. a decimal that overflows its precision.
    pub(crate) fn append(&mut self, v: Option<Typed>) -> bool {
        let Some(v) = v else {
            self.append_null();
            return true;
        };
        let ok = match (&mut *self, v) {
            (TypedBuilder::Int(b), Typed::Int(x)) => {
                b.append_value(x);
                true
            }
            (TypedBuilder::Float(b), Typed::Float(x)) => {
                b.append_value(x);
                true
            }
            (TypedBuilder::Dec(b, p, _), Typed::Dec(x))
                if 10u128.checked_pow(u32::from(*p)).is_none_or(|limit| x.unsigned_abs() < limit) =>
            {
                b.append_value(x);
                true
            }
            (TypedBuilder::Bool(b), Typed::Bool(x)) => {
                b.append_value(x);
                true
            }
            (TypedBuilder::Date(b), Typed::Date(d)) => match i32::try_from((d - EPOCH).num_days()) {
                Ok(days) => {
                    b.append_value(days);
                    true
                }
                Err(_) => false,
            },
            (TypedBuilder::Ts(b), Typed::Ts(t)) => {
                b.append_value(t.and_utc().timestamp_micros());
                true
            }
            _ => false,
        };
        if !ok {
            self.append_null();
        }
        ok
    }

    pub(crate) fn append_null(&mut self) {
        match self {
            TypedBuilder::Int(b) => b.append_null(),
            TypedBuilder::Float(b) => b.append_null(),
            TypedBuilder::Dec(b, _, _) => b.append_null(),
            TypedBuilder::Bool(b) => b.append_null(),
            TypedBuilder::Date(b) => b.append_null(),
            TypedBuilder::Ts(b) => b.append_null(),
        }
    }

    pub(crate) fn finish(self) -> ArrayRef {
        match self {
            TypedBuilder::Int(mut b) => Arc::new(b.finish()),
            TypedBuilder::Float(mut b) => Arc::new(b.finish()),
            TypedBuilder::Dec(mut b, p, s) => {
                // Declared types are validated (p ≤ 38) and the plan refuses number actions on
                // a file's wider decimals; were one to get here anyway, the mismatched column
                // fails building the output batch, as an error, not a panic.
                let array = b.finish();
                match array.clone().with_precision_and_scale(p, s) {
                    Ok(a) => Arc::new(a),
                    Err(_) => Arc::new(array),
                }
            }
            TypedBuilder::Bool(mut b) => Arc::new(b.finish()),
            TypedBuilder::Date(mut b) => Arc::new(b.finish()),
            TypedBuilder::Ts(mut b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_strictly() {
        assert_eq!(parse_decimal("12.5", 6, 2), Some(1250));
        assert_eq!(parse_decimal("-0.01", 6, 2), Some(-1));
        assert_eq!(parse_decimal("12.345", 6, 2), None);
        assert_eq!(parse_decimal("12345", 6, 2), None);
        assert_eq!(parse_decimal("1e3", 6, 2), None);
        assert_eq!(parse_decimal("", 6, 2), None);
    }

    #[test]
    fn declared_types_parse() {
        assert_eq!(parse(&ColumnType::Int, " 42 "), Some(Typed::Int(42)));
        assert_eq!(parse(&ColumnType::Int, "4.2"), None);
        assert_eq!(parse(&ColumnType::Bool, "Yes"), Some(Typed::Bool(true)));
        let de = ColumnType::Date(Some("%d.%m.%Y".into()));
        assert_eq!(parse(&de, "14.03.1987"), Some(Typed::Date(NaiveDate::from_ymd_opt(1987, 3, 14).unwrap())));
        assert_eq!(parse(&de, "1987-03-14"), None);
        assert!(parse(&ColumnType::Timestamp(None), "2024-01-02T03:04:05+01:00").is_some());
        assert_eq!(parse(&ColumnType::Float, "NaN"), None);
        assert_eq!(
            parse(&ColumnType::Date(None), "2024-02-29"),
            Some(Typed::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()))
        );
        assert_eq!(parse(&ColumnType::Date(None), "2023-02-29"), None);
        assert_eq!(parse(&ColumnType::Date(None), "2023-2-28"), None);
        assert_eq!(parse(&ColumnType::Date(None), "+023-02-28"), None);
    }
}
