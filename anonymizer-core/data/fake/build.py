"""Builds the `fake` action's lists (list version fake-v1) from the Python package mimesis.

    python3 -m pip install mimesis==22.2.0
    python3 anonymizer-core/data/fake/build.py

writes anonymizer-core/data/fake/v1/<locale>/<list>.txt.gz (UTF-8, one entry a line,
sorted by code point, de-duplicated; gzip with mtime 0) and v1/ascii_fold.txt (how e-mail
parts are folded to ASCII). The output depends only on mimesis' data files: running it
again with the same mimesis version writes the same lists. A changed list is a new list
version (v2, `fake-v2`), never an edit of v1: fakes must stay recomputable.
"""
import gzip
import json
import os
import sys
import unicodedata

import mimesis

VERSION = "v1"
LOCALES = ["de", "en", "fr", "es", "it", "nl", "pl", "tr"]
# Street types that read oddly in front of an arbitrary name ("Saint", "Via degli").
DROP_SUFFIX = {"fr": {"Saint", "Grand Rue", "Prom."}, "it": {"Via degli"}}
# Locales whose street names already end in their type ("Aachener Straße", "Aakstraat").
NAMES_HAVE_SUFFIX = {"de", "nl"}

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(mimesis.__file__), "datasets")


def load(locale, name):
    with open(os.path.join(DATA, locale, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def flat(v):
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in flat(v[k])]
    return list(v)


def clean(entries, allowed_extra=" -'."):
    out = set()
    for e in entries:
        e = unicodedata.normalize("NFC", " ".join(str(e).split()))
        if not e or any(not (c.isalpha() or c.isdigit() or c in allowed_extra) for c in e):
            continue
        out.add(e)
    return sorted(out)


def name_clean(entries):
    # Person names: letters, spaces, hyphens, apostrophes; something left after ASCII folding.
    return [e for e in clean(entries, " -'") if not any(c.isdigit() for c in e) and fold(e)]


SPECIAL = {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
           "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D"}


def fold_char(c):
    if c.isascii():
        return c
    if c in SPECIAL:
        return SPECIAL[c]
    return "".join(x for x in unicodedata.normalize("NFKD", c) if x.isascii())


def fold(s):
    return "".join(c for c in "".join(fold_char(c) for c in s).lower() if c.isascii() and c.isalnum())


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = "".join(l + "\n" for l in lines).encode("utf-8")
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))


def main():
    if mimesis.__version__ != "22.2.0":
        sys.exit(f"fake-v1 is built from mimesis 22.2.0, found {mimesis.__version__}")
    folded = set()
    for loc in LOCALES:
        person, address, finance = load(loc, "person"), load(loc, "address"), load(loc, "finance")
        lists = {
            "first_name": name_clean(flat(person["names"])),
            "last_name": name_clean(flat(person["surnames"])),
            "street": clean(address["street"]["name"]),
            "city": clean(address["city"]),
            "company_type": clean(finance["company"]["type"]["abbr"], " -'.&"),
        }
        if loc not in NAMES_HAVE_SUFFIX:
            lists["street_type"] = [s for s in clean(address["street"]["suffix"]) if s not in DROP_SUFFIX.get(loc, ())]
        for kind, entries in lists.items():
            assert entries, (loc, kind)
            write(os.path.join(HERE, VERSION, loc, kind + ".txt.gz"), entries)
            print(f"{loc}/{kind}: {len(entries)}")
        for kind in ("first_name", "last_name"):
            folded.update(c for e in lists[kind] for c in e if not c.isascii())
    rows = [f"{c}\t{fold_char(c)}" for c in sorted(folded)]
    with open(os.path.join(HERE, VERSION, "ascii_fold.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(r + "\n" for r in rows))
    print(f"ascii_fold: {len(rows)} characters")


if __name__ == "__main__":
    main()
