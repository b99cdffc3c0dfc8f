//! `gen-data ROWS SEED [OUT]`: writes the seeded customer CSV to OUT (or stdout).

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rows), Some(seed)) = (args.get(1).and_then(|s| s.parse().ok()), args.get(2).and_then(|s| s.parse().ok()))
    else {
        eprintln!("usage: gen-data ROWS SEED [OUT]");
        std::process::exit(2);
    };
    let result = match args.get(3) {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            importd_bench::write_csv(&mut w, rows, seed)?;
            w.flush()
        }),
        None => importd_bench::write_csv(BufWriter::new(std::io::stdout().lock()), rows, seed),
    };
    if let Err(e) = result {
        eprintln!("gen-data: {e}");
        std::process::exit(1);
    }
}
