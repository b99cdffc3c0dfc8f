//! `generalize`: dates to a unit, numbers to a bucket or significant digits, ages to bands.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::rule::DateUnit;

/// Truncates a date to the start of its year, quarter, month, ISO week or day.
/// `Hour` leaves a date unchanged (dates have no hours; the plan refuses that combination).
pub fn truncate_date(d: NaiveDate, unit: DateUnit) -> NaiveDate {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d);
    match unit {
        DateUnit::Year => first_of(1),
        DateUnit::Quarter => first_of((d.month0() / 3) * 3 + 1),
        DateUnit::Month => first_of(d.month()),
        DateUnit::Week => d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday())),
        DateUnit::Day | DateUnit::Hour => d,
    }
}

/// Truncates a timestamp; units coarser than a day also zero the time.
pub fn truncate_datetime(t: NaiveDateTime, unit: DateUnit) -> NaiveDateTime {
    match unit {
        DateUnit::Hour => t.date().and_time(NaiveTime::from_hms_opt(t.hour(), 0, 0).unwrap_or(NaiveTime::MIN)),
        other => truncate_date(t.date(), other).and_time(NaiveTime::MIN),
    }
}

/// The lower bound of the bucket of width `step` that holds `x`.
pub fn step_floor(x: f64, step: f64) -> f64 {
    (x / step).floor() * step
}

/// `x` rounded to `digits` significant digits.
pub fn round_significant(x: f64, digits: u32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits as i32 - 1 - magnitude);
    (x * scale).round() / scale
}

/// The band label of `x` for ascending limits: `<18`, `18-29`, …, `65+`.
pub fn band_label(x: f64, bands: &[i64]) -> String {
    let first = bands[0];
    if x < first as f64 {
        return format!("<{first}");
    }
    for w in bands.windows(2) {
        if x < w[1] as f64 {
            return format!("{}-{}", w[0], w[1] - 1);
        }
    }
    format!("{}+", bands[bands.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_truncate_to_unit_start() {
        assert_eq!(truncate_date(d("1987-08-14"), DateUnit::Year), d("1987-01-01"));
        assert_eq!(truncate_date(d("1987-08-14"), DateUnit::Quarter), d("1987-07-01"));
        assert_eq!(truncate_date(d("1987-08-14"), DateUnit::Month), d("1987-08-01"));
        // 2024-01-03 is a Wednesday; its ISO week starts Monday 2024-01-01.
        assert_eq!(truncate_date(d("2024-01-03"), DateUnit::Week), d("2024-01-01"));
        let t = NaiveDateTime::parse_from_str("2024-05-06 13:45:10", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(truncate_datetime(t, DateUnit::Hour).to_string(), "2024-05-06 13:00:00");
        assert_eq!(truncate_datetime(t, DateUnit::Month).to_string(), "2024-05-01 00:00:00");
    }

    #[test]
    fn numbers_bucket_and_round() {
        assert_eq!(step_floor(37.0, 10.0), 30.0);
        assert_eq!(step_floor(-3.0, 10.0), -10.0);
        assert_eq!(round_significant(123456.0, 2), 120000.0);
        assert_eq!(round_significant(0.012345, 3), 0.0123);
    }

    #[test]
    fn bands_follow_spec_labels() {
        let b = [18, 30, 45, 65];
        let labels: Vec<_> =
            [5.0, 18.0, 29.0, 30.0, 44.0, 64.0, 65.0, 99.0].iter().map(|x| band_label(*x, &b)).collect();
        assert_eq!(labels, ["<18", "18-29", "18-29", "30-44", "30-44", "45-64", "65+", "65+"]);
    }
}
