//! `gen-data ROWS SEED [OUT] [PROFILE]`: writes the seeded CSV of a benchmark profile to OUT
//! (or stdout, with OUT `-`): `customers` (default) or `text` (multi-script, text-heavy).

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rows), Some(seed)) = (args.get(1).and_then(|s| s.parse().ok()), args.get(2).and_then(|s| s.parse().ok()))
    else {
        eprintln!("usage: gen-data ROWS SEED [OUT|-] [customers|text]");
        std::process::exit(2);
    };
    let write: fn(&mut dyn Write, u64, u64) -> std::io::Result<()> = match args.get(4).map(String::as_str) {
        None | Some("customers") => |w, rows, seed| importd_bench::write_csv(w, rows, seed),
        Some("text") => |w, rows, seed| importd_bench::text::write_text_csv(w, rows, seed),
        Some(other) => {
            eprintln!("gen-data: unknown profile `{other}` (customers or text)");
            std::process::exit(2);
        }
    };
    let result = match args.get(3).map(String::as_str) {
        Some(path) if path != "-" => std::fs::File::create(path).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            write(&mut w, rows, seed)?;
            w.flush()
        }),
        _ => write(&mut BufWriter::new(std::io::stdout().lock()), rows, seed),
    };
    if let Err(e) = result {
        eprintln!("gen-data: {e}");
        std::process::exit(1);
    }
}
