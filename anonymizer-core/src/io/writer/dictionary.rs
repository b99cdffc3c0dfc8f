//! The per-column encoding decisions of the Parquet writer, from the first batch: whether a
//! text column repeats enough for a dictionary, how large its page must be, and whether its
//! min/max statistics can ever let a reader skip a row group.

use arrow_array::{Array, ArrayRef, StringArray};

pub(super) const DICT_SAMPLE: usize = 16 * 1024;
/// Largest dictionary page granted to a column whose estimate asks for more than the
/// parquet default (1 MiB); bounds the writer's memory per column.
pub(super) const DICT_PAGE_MAX: usize = 8 << 20;
/// A column gets a dictionary only where a row group is expected to hold at most this share
/// of its rows as distinct values, each value repeating 8 times on average. Below it,
/// readers gain (small pages, filters on the dictionary); above it, interning every value
/// (a hash and a comparison each) cost 7 % of an anonymization's CPU on the customer
/// profile (card masks, ~24,000 distinct per 131,072 rows; templated notes, ~20,000) for
/// an output 3 % smaller than zstd makes of the same values written plain. Such columns are
/// written plain (DELTA_LENGTH_BYTE_ARRAY).
pub(super) const DICT_MAX_DISTINCT_SHARE: f64 = 1.0 / 8.0;
/// A text column keeps min/max statistics only where neighbouring values are ordered: at
/// most this share of the sample's neighbours step against the column's main direction
/// (rising or falling), so runs of equal values count as ordered too. Everywhere else, a
/// row group holds values from all over the column's range (tokens, names, cities in no
/// order), its min and max span nearly all of it, and no reader skips a group on them,
/// while computing them costs two comparisons per value (4 % of the text profile's CPU
/// with three such dictionary columns). Parquet drops a column's null count and column
/// index with its min/max, so a column mostly null in the sample keeps all of them (readers
/// skip all-null row groups on the null count; its comparisons are few). The first batch
/// sees order only at its own scale: a file ordered more coarsely than that (by month, its
/// first batch all one month with the column in no order within it) loses the column's
/// statistics; it reads the same.
pub(super) const STATS_MAX_DISORDER: f64 = 1.0 / 16.0;
/// How a column's values are encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum DictionaryPlan {
    /// Parquet's defaults (non-text columns, tiny first batches).
    Default,
    /// No dictionary.
    Plain,
    /// A dictionary with a page limit of this many bytes.
    Dictionary { page_bytes: usize },
}

/// Decides a text column's encoding from the first batch: estimates how many distinct
/// values a row group of `group_rows` rows holds, and whether a dictionary of them pays.
pub(super) fn dictionary_plan(array: &ArrayRef, group_rows: usize) -> DictionaryPlan {
    let Some(s) = array.as_any().downcast_ref::<StringArray>() else { return DictionaryPlan::Default };
    if s.len() < 64 {
        return DictionaryPlan::Default;
    }
    let mut counts = std::collections::HashMap::with_capacity(s.len().min(DICT_SAMPLE));
    for v in s.iter().take(DICT_SAMPLE).flatten() {
        *counts.entry(v).or_insert(0u32) += 1;
    }
    if counts.is_empty() {
        return DictionaryPlan::Default;
    }
    let once = counts.values().filter(|&&c| c == 1).count();
    let twice = counts.values().filter(|&&c| c == 2).count();
    let distinct = distinct_in_group(counts.len(), once, twice, group_rows);
    if distinct > group_rows as f64 * DICT_MAX_DISTINCT_SHARE {
        return DictionaryPlan::Plain;
    }
    let mean_len = counts.keys().map(|v| v.len() + 4).sum::<usize>() as f64 / counts.len() as f64;
    let page_bytes = ((2.0 * distinct * mean_len) as usize).clamp(1 << 20, DICT_PAGE_MAX);
    DictionaryPlan::Dictionary { page_bytes }
}

/// Whether min/max statistics of a column can let a reader skip row groups, from the first
/// batch: for text, whether its values are ordered (see [`STATS_MAX_DISORDER`]); other
/// columns and tiny first batches keep Parquet's default (statistics on).
pub(super) fn statistics_pay(array: &ArrayRef) -> bool {
    let Some(s) = array.as_any().downcast_ref::<StringArray>() else { return true };
    if s.len() < 64 {
        return true;
    }
    let sampled = s.len().min(DICT_SAMPLE);
    if 2 * s.slice(0, sampled).null_count() >= sampled {
        return true;
    }
    let (mut rising, mut falling, mut pairs) = (0usize, 0usize, 0usize);
    let mut values = s.iter().take(DICT_SAMPLE).flatten();
    let Some(mut last) = values.next() else { return true };
    for v in values {
        match v.as_bytes().cmp(last.as_bytes()) {
            std::cmp::Ordering::Greater => rising += 1,
            std::cmp::Ordering::Less => falling += 1,
            std::cmp::Ordering::Equal => {}
        }
        pairs += 1;
        last = v;
    }
    rising.min(falling) as f64 <= pairs as f64 * STATS_MAX_DISORDER
}

/// The distinct values expected among `group` rows, from a sample with `distinct` values of
/// which `once` occurred once and `twice` twice: Chao1's estimate of all the values there
/// are (`d + f1² / 2f2`), then the share of them `group` draws are expected to meet.
fn distinct_in_group(distinct: usize, once: usize, twice: usize, group: usize) -> f64 {
    let (d, f1, f2, g) = (distinct as f64, once as f64, twice as f64, group.max(1) as f64);
    let values = if twice > 0 { d + f1 * f1 / (2.0 * f2) } else { d + f1 * (f1 - 1.0).max(0.0) / 2.0 };
    values * (1.0 - (-g / values).exp())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// `rows` values drawn by a fixed linear congruential generator, `value(i)` each.
    fn column(rows: usize, value: impl Fn(u64) -> String) -> ArrayRef {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        Arc::new(StringArray::from_iter_values((0..rows).map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            value(x >> 33)
        })))
    }

    /// The distinct values a row group of 131,072 rows is estimated to hold, from `sample`.
    fn estimate(sample: &ArrayRef) -> f64 {
        let s = sample.as_any().downcast_ref::<StringArray>().unwrap();
        let mut counts = std::collections::HashMap::new();
        for v in s.iter().flatten() {
            *counts.entry(v).or_insert(0usize) += 1;
        }
        let once = counts.values().filter(|&&c| c == 1).count();
        let twice = counts.values().filter(|&&c| c == 2).count();
        distinct_in_group(counts.len(), once, twice, 131_072)
    }

    #[test]
    fn distinct_estimate_finds_a_uniform_population_from_a_small_sample() {
        // 8192 draws from 1400 values; a row group of 131072 draws meets all 1400.
        let est = estimate(&column(8192, |r| format!("street {}", r % 1400)));
        assert!((1300.0..1500.0).contains(&est), "{est}");
        // 8192 draws from 30,000 values: most are seen once, yet the estimate stays near 30,000.
        let est = estimate(&column(8192, |r| format!("card {}", r % 30_000)));
        assert!((24_000.0..36_000.0).contains(&est), "{est}");
    }

    #[test]
    fn unique_columns_are_plain_and_repeating_ones_get_a_dictionary() {
        let group = 131_072;
        let unique = column(8192, |r| format!("tok{r:x}"));
        assert_eq!(dictionary_plan(&unique, group), DictionaryPlan::Plain);
        let cities = column(8192, |r| ["Berlin", "Wien", "Zürich"][(r % 3) as usize].to_string());
        assert_eq!(dictionary_plan(&cities, group), DictionaryPlan::Dictionary { page_bytes: 1 << 20 });
        // 15,000 long values: the dictionary page is raised past the 1 MiB default to hold them.
        let long = column(8192, |r| format!("{:0>60}", r % 15_000));
        match dictionary_plan(&long, group) {
            DictionaryPlan::Dictionary { page_bytes } => assert!(page_bytes > 15_000 * 64, "{page_bytes}"),
            other => panic!("{other:?}"),
        }
        // 24,000 values (masked cards) in a row group of 131,072 rows: each repeats ~5 times,
        // too few for the interning to pay.
        let cards = column(8192, |r| format!("************{:04}", r % 24_000));
        assert_eq!(dictionary_plan(&cards, group), DictionaryPlan::Plain);
        let numbers: ArrayRef = Arc::new(arrow_array::Int64Array::from_iter_values(0..8192));
        assert_eq!(dictionary_plan(&numbers, group), DictionaryPlan::Default);
    }

    #[test]
    fn only_ordered_text_keeps_statistics() {
        // Tokens and cities in no order: every row group spans the whole range.
        assert!(!statistics_pay(&column(8192, |r| format!("{r:016x}"))));
        assert!(!statistics_pay(&column(8192, |r| ["Berlin", "Wien", "Zürich"][(r % 3) as usize].to_string())));
        // Two values in no order: a quarter of the neighbours rise, a quarter fall.
        assert!(!statistics_pay(&column(8192, |r| ["no", "yes"][(r % 2) as usize].to_string())));
        // Timestamps of a log, rising, and a file sorted by name, falling: readers prune.
        let rising: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..8192).map(|i| format!("2024-03-01T{:02}:{:02}:{:02}Z", i / 3600, i / 60 % 60, i % 60)),
        ));
        assert!(statistics_pay(&rising));
        let falling: ArrayRef =
            Arc::new(StringArray::from_iter_values((0..8192).rev().map(|i| format!("name {i:05}"))));
        assert!(statistics_pay(&falling));
        // Mostly rising, one neighbour in 20 out of order (late log lines): still ordered.
        let late: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..8192u32).map(|i| format!("{:06}", if i % 20 == 19 { i - 10 } else { i })),
        ));
        assert!(statistics_pay(&late));
        // A file grouped by city, the groups in no order: runs of equal values are ordered.
        let grouped = column(8192, |r| ["Berlin", "Wien", "Zürich", "Graz"][(r % 4) as usize].to_string());
        let grouped = grouped.as_any().downcast_ref::<StringArray>().unwrap();
        let runs: ArrayRef = Arc::new(StringArray::from_iter_values((0..8192).map(|i| grouped.value(i / 32))));
        assert!(statistics_pay(&runs));
        // Not text, or too few rows to tell: Parquet's default.
        assert!(statistics_pay(&(Arc::new(arrow_array::Int64Array::from_iter_values((0..8192).rev())) as ArrayRef)));
        assert!(statistics_pay(&column(63, |r| format!("{r:016x}"))));
        // Nulls are skipped, not counted as neighbours.
        let sparse: ArrayRef =
            Arc::new(StringArray::from_iter((0..8192).map(|i| (i % 3 != 0).then(|| format!("{i:05}")))));
        assert!(statistics_pay(&sparse));
        // Mostly null, the rest in no order: the null count lets readers skip empty groups.
        let tokens = column(8192, |r| format!("{r:016x}"));
        let tokens = tokens.as_any().downcast_ref::<StringArray>().unwrap();
        let mostly_null: ArrayRef =
            Arc::new(StringArray::from_iter((0..8192).map(|i| (i % 2 == 0).then(|| tokens.value(i)))));
        assert!(statistics_pay(&mostly_null));
        let some_null: ArrayRef =
            Arc::new(StringArray::from_iter((0..8192).map(|i| (i % 3 != 0).then(|| tokens.value(i)))));
        assert!(!statistics_pay(&some_null));
    }
}
