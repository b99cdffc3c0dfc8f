//! `importd rules preview R.toml INPUT [-n 10]`: what the rules do to the first rows, before
//! and after, column by column, with deleted rows and invalid cells marked. This runs on the
//! author's own machine on the author's own file, so showing values is the point. A throwaway
//! key is used unless `--key-file` is given.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::{ErrorKind, MasterKey, RulePlan};
use arrow_array::{Array, RecordBatch, StringArray};

use crate::cli::args::PreviewArgs;
use crate::exit::Failure;

pub fn run(args: &PreviewArgs) -> Result<(), Failure> {
    let rules = crate::exit::rules(&args.rules)?;
    let key = match &args.key_file {
        Some(k) => crate::exit::key(k)?,
        None => MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?,
    };
    let input_err = |e: anonymizer_core::Error| Failure::runtime(format!("error: {}", e.with_input_path(&args.input)));
    let file = std::fs::File::open(&args.input)
        .map_err(|e| Failure::runtime(format!("error: {}: cannot open it ({})", args.input.display(), e.kind())))?;
    let name = args.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let so = SourceOptions { batch_size: args.rows.max(1), ..SourceOptions::default() };
    let mut source = open_source(Input::File(file), &name, &rules.input, &so).map_err(input_err)?;
    let rules = rules.with_file_types(&source.types);
    let plan = RulePlan::new(Arc::new(rules), &key.key_set(), &source.header)
        .map_err(|e| Failure::runtime(format!("error: {}: {e}", args.input.display())))?;
    let Some(batch) = source.reader.next_batch().map_err(input_err)? else {
        return Err(Failure::runtime(format!("error: {}: the file has no rows", args.input.display())));
    };
    let (first_row, lines) = (batch.first_row, batch.lines.clone());
    let before = batch.decode().map_err(input_err)?;
    print!("{}", render(&plan, &before, first_row, &lines, &args.input, args.key_file.is_none())?);
    Ok(())
}

/// The table: each row applied on its own, so deletions and invalid cells show per row.
fn render(
    plan: &RulePlan,
    before: &RecordBatch,
    first_row: u64,
    lines: &[u64],
    input: &Path,
    throwaway: bool,
) -> Result<String, Failure> {
    let texts: Vec<StringArray> = before
        .columns()
        .iter()
        .map(|c| {
            arrow_cast::cast(c, &arrow_schema::DataType::Utf8)
                .ok()
                .and_then(|a| a.as_any().downcast_ref::<StringArray>().cloned())
                .ok_or_else(|| Failure::runtime("error: a column cannot be shown as text"))
        })
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = before.schema().fields().iter().map(|f| f.name().clone()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).min(28);
    let mut out = format!(
        "preview of {} ({} rows){}\n",
        input.display(),
        before.num_rows(),
        if throwaway { "; tokens use a throwaway key, pass --key-file for the real ones" } else { "" }
    );
    // The rule file's `name` and `description`: one line each, capped by the core.
    let about: Vec<String> =
        [plan.rules().shown_name(), plan.rules().shown_description()].into_iter().flatten().collect();
    if !about.is_empty() {
        let _ = writeln!(out, "rules: {}", about.join("\n       "));
    }
    for row in 0..before.num_rows() {
        let line = lines.get(row).map(|l| format!(", line {l}")).unwrap_or_default();
        let _ = write!(out, "\nrow {}{line}", first_row + row as u64 + 1);
        let applied = match plan.apply(&before.slice(row, 1)) {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::InvalidCell { .. }) => {
                let _ = writeln!(out, "  — this row would fail the import: {e}");
                continue;
            }
            Err(e) => return Err(Failure::runtime(format!("error: {e}"))),
        };
        let after = &applied.batch;
        if applied.stats.rows_deleted > 0 {
            out.push_str("  — deleted by [[delete_rows]]\n");
        } else if applied.stats.rows_dropped_invalid > 0 {
            out.push_str("  — dropped: an invalid cell's rule says on_invalid = \"drop_row\"\n");
        } else {
            out.push('\n');
        }
        for (i, name) in names.iter().enumerate() {
            let was = cell(&texts[i], row);
            let now =
                match after.schema().index_of(name) {
                    Err(_) => "(dropped)".to_string(),
                    Ok(_) if after.num_rows() == 0 => "—".to_string(),
                    Ok(j) => {
                        let text =
                            arrow_cast::display::ArrayFormatter::try_new(after.column(j).as_ref(), &Default::default())
                                .map(|f| {
                                    if after.column(j).is_null(0) {
                                        "null".to_string()
                                    } else {
                                        f.value(0).to_string()
                                    }
                                })
                                .unwrap_or_default();
                        let invalid = applied.stats.invalid_cells.get(j).copied().unwrap_or(0) > 0;
                        if invalid {
                            format!("{text}   (invalid)")
                        } else {
                            text
                        }
                    }
                };
            let _ = writeln!(out, "  {:<width$}  {:<32}  →  {now}", clip(name, width), clip(&was, 32));
        }
    }
    Ok(out)
}

fn cell(a: &StringArray, row: usize) -> String {
    if a.is_null(row) {
        "null".into()
    } else {
        a.value(row).to_string()
    }
}

/// At most `n` characters, with `…` when cut; newlines shown as `⏎`.
fn clip(s: &str, n: usize) -> String {
    let s = s.replace('\n', "⏎");
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
