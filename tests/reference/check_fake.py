"""Recomputes the `fake` columns of an importd output with the independent reference.

Every input column is named `<kind>__<locale>` (a `fake` of that kind and locale, domain =
the column's name) or `notes__<locale>` (`redact` of `email` with `with = "fake"` on cells
"Mail an <address>."). Empty cells are nulls and must stay empty.

usage: check_fake.py INPUT.csv OUTPUT.csv HEXKEY
"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import importd_ref as ref  # noqa: E402


def expected(column, value, key):
    if value == "":
        return ""
    kind, locale = column.split("__")
    if kind == "notes":
        address = value[len("Mail an "):-1]
        return "Mail an " + ref.fake(key, "email", locale, "email", address) + "."
    return ref.fake(key, kind, locale, column, value)


def main():
    src, dst, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    with open(src, newline="", encoding="utf-8") as f:
        rows_in = list(csv.DictReader(f))
    with open(dst, newline="", encoding="utf-8") as f:
        rows_out = list(csv.DictReader(f))
    assert len(rows_in) == len(rows_out), (len(rows_in), len(rows_out))
    cells = 0
    for n, (a, b) in enumerate(zip(rows_in, rows_out)):
        for column, value in a.items():
            want = expected(column, value, key)
            if b[column] != want:
                sys.exit(f"row {n + 1}, column {column}: importd wrote {b[column]!r}, the reference {want!r}")
            cells += 1
    print(f"cells compared: {cells}")


if __name__ == "__main__":
    main()
