//! Nested columns (Parquet, Arrow, JSON Lines objects): structs are flattened to `a.b`
//! columns; lists and maps are refused.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::detect::column_label;
use crate::error::InputProblem;

/// Flattens struct columns into `parent.child` columns; a list or map column is refused as
/// [`InputProblem::Nested`], named by its label (`column N` when the name looks like data:
/// JSON keys may be values).
pub(crate) fn flatten(batch: &RecordBatch) -> Result<RecordBatch, InputProblem> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
        push_flat(f.name(), f, a, &mut fields, &mut arrays)
            .map_err(|name| InputProblem::Nested { column: column_label(&name, fields.len()).into_owned() })?;
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|_| InputProblem::Corrupt { what: "nested columns (their fields do not line up)" })
}

/// Appends the leaf columns of `f` (named `name`) to `fields`/`arrays`; `Err(name)` of the
/// first list or map column, which is then the next column the flattened header would have.
fn push_flat(
    name: &str,
    f: &Field,
    a: &ArrayRef,
    fields: &mut Vec<Field>,
    arrays: &mut Vec<ArrayRef>,
) -> Result<(), String> {
    match f.data_type() {
        DataType::Struct(children) => {
            let s = a.as_any().downcast_ref::<StructArray>().ok_or_else(|| name.to_string())?;
            for (i, child) in children.iter().enumerate() {
                let mut col = s.column(i).clone();
                if let Some(nulls) = s.nulls() {
                    // A null parent makes its fields null.
                    let merged = arrow_buffer::NullBuffer::union(Some(nulls), col.nulls());
                    col = arrow_array::make_array(
                        col.to_data().into_builder().nulls(merged).build().map_err(|_| name.to_string())?,
                    );
                }
                push_flat(&format!("{name}.{}", child.name()), child, &col, fields, arrays)?;
            }
            Ok(())
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(..)
        | DataType::Map(..)
        | DataType::ListView(_)
        | DataType::LargeListView(_) => Err(name.to_string()),
        t => {
            fields.push(Field::new(name, t.clone(), true));
            arrays.push(a.clone());
            Ok(())
        }
    }
}

/// The flattened schema of `schema`, or the first list or map column as `Nested`.
pub(crate) fn flat_schema(schema: &SchemaRef) -> Result<SchemaRef, InputProblem> {
    let empty = RecordBatch::new_empty(schema.clone());
    flatten(&empty).map(|b| b.schema())
}
