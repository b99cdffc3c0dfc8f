#!/usr/bin/env python3
"""Builds the name lists of the `person_name` detector from mimesis' data sets.

Run with a Python that has mimesis installed (see SOURCES.md for the version):

    python anonymizer-core/data/names/build.py

Writes, next to this script, gzip'd UTF-8 text files with one entry per line, sorted:
- first.txt.gz: first names of every locale below (female and male);
- last.txt.gz: surnames;
- cities.txt.gz: city names of the address locales (DE, AT, CH, US, UK, FR, NL, BE), whole
  (several words kept: "Bad Ischl"), for `street_address` (a postal code before a known city);
- places.txt.gz: country names (every locale's spelling) and the cities of every name locale,
  whole, for `person_name`: a name that is part of a place's name ("Hong Kong", "Saudi
  Arabia", "San Costantino Calabro") is a place.
The hand-written `tr_common.txt` (the most common Turkish names, see SOURCES.md) is added to
the first names and surnames.

Normalization: Unicode NFC; entries of several words are split into their words; a kept word
starts with an upper-case letter, continues in letters (with inner `-` or `'`), has at least
two letters, and no upper-case letter after the first except after `-`, `'` or in `Mc`/`Mac`.
The gzip header carries no time stamp, so a rebuild from the same data is byte-identical.
"""

import gzip
import io
import json
import os
import re
import unicodedata

import mimesis

CITY_LOCALES = ["de", "de-at", "de-ch", "en", "en-gb", "fr", "nl", "nl-be"]
LOCALES = ["de", "de-at", "de-ch", "en", "en-gb", "en-au", "en-ca", "fr", "es", "es-mx", "it", "nl", "nl-be", "pl", "tr"]
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(mimesis.__file__), "datasets")
WORD = re.compile(r"^[^\W\d_][^\W\d_]+(?:[-'][^\W\d_]+)*$")


def flat(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from flat(x)
    elif isinstance(v, list):
        for x in v:
            yield from flat(x)
    elif isinstance(v, str):
        yield v


def words(entry):
    for w in unicodedata.normalize("NFC", entry).replace("\u2019", "'").split():
        if not WORD.match(w) or not w[0].isupper():
            continue
        rest = re.sub(r"^(Mc|Mac)", "", w)[1:]
        if any(c.isupper() and rest[i - 1] not in "-'" for i, c in enumerate(rest) if i > 0) or rest[:1].isupper():
            continue
        yield w


def write(name, items):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write("".join(x + "\n" for x in sorted(items)).encode("utf-8"))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(buf.getvalue())
    print(f"{name}: {len(items)} entries, {len(buf.getvalue())} bytes")


def main():
    first, last, cities = set(), set(), set()
    for loc in LOCALES:
        with open(os.path.join(DATA, loc, "person.json"), encoding="utf-8") as f:
            person = json.load(f)
        for e in flat(person.get("names", [])):
            first.update(words(e))
        for e in flat(person.get("surnames", [])):
            last.update(words(e))
    for loc in CITY_LOCALES:
        with open(os.path.join(DATA, loc, "address.json"), encoding="utf-8") as f:
            for c in flat(json.load(f).get("city", [])):
                c = " ".join(unicodedata.normalize("NFC", c).split())
                if c and c[0].isupper() and not any(ch.isdigit() for ch in c):
                    cities.add(c)
    places = set(cities)
    for loc in LOCALES:
        with open(os.path.join(DATA, loc, "address.json"), encoding="utf-8") as f:
            address = json.load(f)
        for c in flat(address.get("city", [])) if loc not in CITY_LOCALES else []:
            places.add(" ".join(unicodedata.normalize("NFC", c).split()))
        for c in flat(address.get("country", {}).get("name", [])):
            places.add(" ".join(unicodedata.normalize("NFC", c.replace("&", "and")).split()))
    places = {p for p in places if p and p[0].isupper() and not any(ch.isdigit() for ch in p)}
    section = None
    with open(os.path.join(HERE, "tr_common.txt"), encoding="utf-8") as f:
        for line in f:
            line = unicodedata.normalize("NFC", line.strip())
            if not line or line.startswith("#"):
                continue
            if line in ("[first]", "[last]"):
                section = line
                continue
            (first if section == "[first]" else last).add(line)
    write("first.txt.gz", first)
    write("last.txt.gz", last)
    write("cities.txt.gz", cities)
    write("places.txt.gz", places)
    print("mimesis", mimesis.__version__)


if __name__ == "__main__":
    main()
