//! The language's column types and Arrow's, both ways: the Arrow type a declared type is
//! built as, and the declared type a typed file's (Parquet, Arrow) column counts as, so the
//! plan can check actions against it.

use arrow_schema::{DataType, TimeUnit};

use super::model::ColumnType;

/// The Arrow type a declared column type is stored as (decimals past 38 digits, which only
/// a typed file can declare, as `Decimal256`).
pub(crate) fn arrow_type(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::String => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Decimal { precision, scale } if *precision > 38 => DataType::Decimal256(*precision, *scale),
        ColumnType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale),
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Date(_) => DataType::Date32,
        ColumnType::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// The declared type a file column of Arrow type `t` counts as: numbers, decimals, booleans,
/// dates and timestamps by kind (every width, unit and zone); anything else (text, binary,
/// times of day) is text, which actions see in its canonical form.
pub(crate) fn language_type(t: &DataType) -> ColumnType {
    use DataType::*;
    match t {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => ColumnType::Int,
        Float16 | Float32 | Float64 => ColumnType::Float,
        Decimal32(p, s) | Decimal64(p, s) | Decimal128(p, s) | Decimal256(p, s) => {
            ColumnType::Decimal { precision: *p, scale: *s }
        }
        Boolean => ColumnType::Bool,
        Date32 | Date64 => ColumnType::Date(None),
        Timestamp(..) => ColumnType::Timestamp(None),
        Dictionary(_, values) => language_type(values),
        _ => ColumnType::String,
    }
}

/// A decimal whose values an `i128` at scale ≥ 0 cannot hold (more than 38 digits, or a
/// negative scale): only a typed file declares one, and number actions refuse it.
pub(crate) fn is_wide_decimal(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Decimal { precision, scale } if *precision > 38 || *scale < 0)
}
