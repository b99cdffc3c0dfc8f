//! The column types a typed input (Parquet, Arrow) may have: read as they are, unpacked
//! first (dictionaries, view types: into the plain type of their values), or refused when the
//! file is opened, naming the column and the type.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::detect::column_label;
use crate::error::InputProblem;

/// How a column of a type is read.
#[derive(Debug, PartialEq)]
enum Reading {
    AsIs,
    /// Unpacked into this type when each batch is read.
    As(DataType),
    Refused,
}

fn reading(t: &DataType) -> Reading {
    use DataType::*;
    let decimal = |p: u8, s: i8, max: u8| {
        if (1..=max).contains(&p) && (s <= 0 || s.unsigned_abs() <= p) {
            Reading::AsIs
        } else {
            Reading::Refused // a schema no valid writer produces
        }
    };
    match t {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64
        | Date32 | Date64 | Timestamp(..) | Utf8 | LargeUtf8 | Binary | LargeBinary => Reading::AsIs,
        FixedSizeBinary(n) if *n >= 0 => Reading::AsIs,
        Time32(TimeUnit::Second | TimeUnit::Millisecond) | Time64(TimeUnit::Microsecond | TimeUnit::Nanosecond) => {
            Reading::AsIs
        }
        Decimal32(p, s) => decimal(*p, *s, 9),
        Decimal64(p, s) => decimal(*p, *s, 18),
        Decimal128(p, s) => decimal(*p, *s, 38),
        Decimal256(p, s) => decimal(*p, *s, 76),
        Utf8View => Reading::As(Utf8),
        BinaryView => Reading::As(Binary),
        Dictionary(_, values) => match reading(values) {
            Reading::AsIs => Reading::As(values.as_ref().clone()),
            other => other,
        },
        // Float16, Duration, Interval, Union, RunEndEncoded, invalid time units; lists, maps
        // and structs never get here (refused or flattened before).
        _ => Reading::Refused,
    }
}

/// How messages name a type: its kind, never a field name (nested types hold those) or a
/// time zone (which comes from the file).
fn type_name(t: &DataType) -> String {
    use DataType::*;
    match t {
        Dictionary(keys, values) => format!("Dictionary({}, {})", type_name(keys), type_name(values)),
        RunEndEncoded(_, values) => format!("RunEndEncoded({})", type_name(values.data_type())),
        Timestamp(unit, _) => format!("Timestamp({unit:?})"),
        Struct(_) => "Struct".into(),
        Union(..) => "Union".into(),
        List(_) | LargeList(_) | FixedSizeList(..) | ListView(_) | LargeListView(_) => "List".into(),
        Map(..) => "Map".into(),
        Decimal32(p, s) | Decimal64(p, s) | Decimal128(p, s) | Decimal256(p, s) => {
            let bits = match t {
                Decimal32(..) => 32,
                Decimal64(..) => 64,
                Decimal128(..) => 128,
                _ => 256,
            };
            format!("Decimal{bits}({p}, {s})")
        }
        Interval(unit) => format!("Interval({unit:?})"),
        Duration(unit) => format!("Duration({unit:?})"),
        Time32(unit) => format!("Time32({unit:?})"),
        Time64(unit) => format!("Time64({unit:?})"),
        FixedSizeBinary(n) => format!("FixedSizeBinary({n})"),
        other => format!("{other:?}"),
    }
}

/// The schema batches are read as: `flat`'s columns with dictionaries and view types
/// unpacked, or the first column of a type that cannot be read.
pub(super) fn read_schema(flat: &SchemaRef) -> Result<SchemaRef, InputProblem> {
    let mut fields = Vec::with_capacity(flat.fields().len());
    for (i, f) in flat.fields().iter().enumerate() {
        let t = f.data_type();
        let read = match reading(t) {
            Reading::AsIs => t.clone(),
            Reading::As(u) => u,
            Reading::Refused => {
                return Err(InputProblem::UnsupportedType {
                    column: column_label(f.name(), i).into_owned(),
                    type_name: type_name(t),
                })
            }
        };
        fields.push(Field::new(f.name(), read, true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// `batch` (flattened) as `schema` says: columns whose type differs are unpacked. `None`
/// when a column cannot be (its values are damaged).
pub(super) fn read_as(batch: &RecordBatch, schema: &SchemaRef) -> Option<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(
            |(a, f)| {
                if a.data_type() == f.data_type() {
                    Some(a.clone())
                } else {
                    arrow_cast::cast(a, f.data_type()).ok()
                }
            },
        )
        .collect::<Option<Vec<ArrayRef>>>()?;
    if columns.len() != schema.fields().len() {
        return None;
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options).ok()
}

/// The bytes the columns of `batch` that `schema` unpacks (dictionaries, views) will take
/// once unpacked, counted from their keys and views without unpacking anything.
pub(super) fn unpacked_bytes(batch: &RecordBatch, schema: &SchemaRef) -> u64 {
    use arrow_array::cast::AsArray;
    let value_len = |values: &ArrayRef, i: usize| -> u64 {
        match values.data_type() {
            DataType::Utf8 => values.as_string::<i32>().value_length(i) as u64,
            DataType::LargeUtf8 => values.as_string::<i64>().value_length(i) as u64,
            DataType::Binary => values.as_binary::<i32>().value_length(i) as u64,
            DataType::LargeBinary => values.as_binary::<i64>().value_length(i) as u64,
            t => t.primitive_width().unwrap_or(16) as u64,
        }
    };
    let mut total = 0u64;
    for (a, f) in batch.columns().iter().zip(schema.fields()) {
        if a.data_type() == f.data_type() {
            continue;
        }
        let column: u64 = if let Some(d) = a.as_any_dictionary_opt() {
            let values = d.values();
            d.normalized_keys().iter().map(|&k| if k < values.len() { value_len(values, k) + 8 } else { 8 }).sum()
        } else if let Some(v) = a.as_string_view_opt() {
            v.views().iter().map(|view| u64::from(*view as u32) + 8).sum()
        } else if let Some(v) = a.as_binary_view_opt() {
            v.views().iter().map(|view| u64::from(*view as u32) + 8).sum()
        } else {
            a.get_array_memory_size() as u64
        };
        total = total.saturating_add(column);
    }
    total
}

/// The bytes a batch's values take once decoded: each column's own slice of its buffers
/// (arrays read from one Arrow IPC message share its body, which counting every column's
/// whole buffers would multiply by the number of columns).
pub(super) fn decoded_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        // At least four bytes a row: turned into text, even a column of nulls takes its offsets.
        .map(|a| {
            let own = a.to_data().get_slice_memory_size().unwrap_or_else(|_| a.get_array_memory_size()) as u64;
            own.max(4 * a.len() as u64)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_read_or_refused_by_name() {
        use DataType::*;
        let read = [
            Null,
            Boolean,
            UInt64,
            Float32,
            Decimal256(76, 10),
            Decimal128(5, -2),
            Date64,
            Timestamp(TimeUnit::Second, Some("Europe/Berlin".into())),
            Time32(TimeUnit::Millisecond),
            Time64(TimeUnit::Nanosecond),
            LargeUtf8,
            FixedSizeBinary(16),
        ];
        for t in read {
            assert_eq!(reading(&t), Reading::AsIs, "{t}");
        }
        assert_eq!(reading(&Utf8View), Reading::As(Utf8));
        assert_eq!(reading(&BinaryView), Reading::As(Binary));
        assert_eq!(reading(&Dictionary(Box::new(Int32), Box::new(Utf8View))), Reading::As(Utf8));
        assert_eq!(reading(&Dictionary(Box::new(Int8), Box::new(Date32))), Reading::As(Date32));
        let refused = [
            (Float16, "Float16"),
            (Duration(TimeUnit::Second), "Duration(Second)"),
            (Interval(arrow_schema::IntervalUnit::MonthDayNano), "Interval(MonthDayNano)"),
            (Time32(TimeUnit::Nanosecond), "Time32(Nanosecond)"),
            (Decimal128(39, 0), "Decimal128(39, 0)"),
            (Decimal256(77, 0), "Decimal256(77, 0)"),
            (Decimal128(10, 11), "Decimal128(10, 11)"),
            (Dictionary(Box::new(Int32), Box::new(Float16)), "Dictionary(Int32, Float16)"),
            (
                RunEndEncoded(
                    Arc::new(Field::new("run_ends", Int32, false)),
                    Arc::new(Field::new("anna@example.com", Utf8, true)),
                ),
                "RunEndEncoded(Utf8)",
            ),
            (
                Union(
                    arrow_schema::UnionFields::try_new(vec![0], vec![Field::new("anna@example.com", Int32, true)])
                        .unwrap(),
                    arrow_schema::UnionMode::Dense,
                ),
                "Union",
            ),
        ];
        for (t, name) in refused {
            assert_eq!(reading(&t), Reading::Refused, "{t}");
            assert_eq!(type_name(&t), name);
        }
    }
}
