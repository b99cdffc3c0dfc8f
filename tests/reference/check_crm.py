"""Recomputes rules/examples/crm-customers.toml on an input CSV with the independent
reference implementation and compares importd's CSV output cell by cell.

usage: check_crm.py INPUT.csv OUTPUT.csv HEXKEY
"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import importd_ref as ref  # noqa: E402


def mask(v, keep_first=0, keep_last=0, ch="*", preserve=""):
    counted = sum(1 for c in v if c not in preserve)
    out, i = [], 0
    for c in v:
        if c in preserve:
            out.append(c)
            continue
        out.append(c if i < keep_first or i + keep_last >= counted else ch)
        i += 1
    return "".join(out)


def expected_row(r, key):
    n = lambda v: v if v != "" else None  # noqa: E731  (empty = null)
    p = lambda col, v, **kw: None if n(v) is None else ref.pseudonymize(key, kw.get("domain", col), v, kw.get("prefix", ""), kw.get("length", 20))  # noqa: E731
    return {
        "customer_id": p("customer_id", r["customer_id"], prefix="cus_", length=16),
        "email": p("email", r["email"]),
        "phone": n(r["phone"]) and mask(r["phone"], keep_last=2, preserve=" +-()"),
        "iban": p("iban", r["iban"], prefix="iban_"),
        "credit_card": n(r["credit_card"]) and mask(r["credit_card"], keep_last=4, preserve=" -"),
        "birth_date": n(r["birth_date"]) and r["birth_date"][:4] + "-01-01",
        "zip": n(r["zip"]) and r["zip"][:2],
        "city": n(r["city"]),
        "country": n(r["country"]),
        "signup_ts": n(r["signup_ts"]) and r["signup_ts"][:7] + "-01T00:00:00",
        "amount": n(r["amount"]),
        "status": n(r["status"]),
        "account_id": p("account_id", r["account_id"], prefix="acc_"),
        "loyalty_number": n(r["loyalty_number"]) and "member",
        "ip_address": p("ip_address", r["ip_address"], prefix="ip_", length=12),
        "segment": n(r["segment"]),
    }


def main():
    src, dst, hexkey = sys.argv[1], sys.argv[2], sys.argv[3]
    key = bytes.fromhex(hexkey)
    with open(src, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] not in ("test", "demo")]
    with open(dst, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        got = list(reader)
        header = reader.fieldnames
    want_header = ["customer_id", "email", "phone", "iban", "credit_card", "birth_date", "zip", "city", "country",
                   "signup_ts", "amount", "status", "account_id", "loyalty_number", "ip_address", "segment"]
    assert header == want_header, f"header {header} != {want_header}"
    assert len(got) == len(rows), f"{len(got)} rows out, expected {len(rows)}"
    for i, (r, g) in enumerate(zip(rows, got)):
        e = expected_row(r, key)
        for col in want_header:
            want = e[col] if e[col] is not None else ""
            if col == "amount" and want:
                want = f"{float(want):.2f}"
            assert g[col] == want, f"row {i + 1}, column {col}: importd {g[col]!r} != reference {want!r}"
    print(f"rows compared: {len(got)}, columns: {len(want_header)}")


if __name__ == "__main__":
    main()
