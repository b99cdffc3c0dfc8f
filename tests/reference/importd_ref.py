"""Independent reference implementation of the algorithms in spec/rules.md ("Algorithms").

Written from the spec with Python's standard library only (hmac, hashlib, base64), never
from importd's code: tests compare importd's output with what this module computes.
"""
import base64
import gzip
import hashlib
import hmac
import os

INFO = {
    "pseudonymize": b"importd/v1/pseudonymize",
    "encrypt": b"importd/v1/encrypt",
    "perturb": b"importd/v1/perturb",
    "audit": b"importd/v1/audit",
    "fake": b"importd/v1/fake",
}


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 with an empty salt (= HashLen zero bytes)."""
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def sub_key(master: bytes, purpose: str) -> bytes:
    return hkdf_sha256(master, INFO[purpose])


def key_id(master: bytes) -> str:
    return hashlib.sha256(master).hexdigest()[:16]


def pseudonymize(master: bytes, domain: str, value: str, prefix: str = "", length: int = 20) -> str:
    tag = hmac.new(sub_key(master, "pseudonymize"), domain.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()
    return prefix + base64.b32encode(tag).decode().lower().rstrip("=")[:length]


def shift_offset(master: bytes, domain: str, subject: str, max_days: int) -> int:
    tag = hmac.new(sub_key(master, "perturb"), b"shift\x00" + domain.encode() + b"\x00" + subject.encode(), hashlib.sha256).digest()
    return int.from_bytes(tag[:8], "big") % (2 * max_days + 1) - max_days


def noise_unit(master: bytes, domain: str, value: str) -> float:
    tag = hmac.new(sub_key(master, "perturb"), b"noise\x00" + domain.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()
    return int.from_bytes(tag[:8], "big") / 2**64


# --- fake (rules/README.md, "fake"): list version fake-v1 --------------------------------

FAKE_LISTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "anonymizer-core", "data", "fake", "v1")
_lists = {}


def fake_list(locale: str, name: str) -> list:
    key = (locale, name)
    if key not in _lists:
        path = os.path.join(FAKE_LISTS, locale, name + ".txt.gz")
        _lists[key] = gzip.decompress(open(path, "rb").read()).decode("utf-8").splitlines() if os.path.exists(path) else []
    return _lists[key]


def fake_index(master: bytes, kind: str, locale: str, domain: str, value: str) -> int:
    msg = b"\x00".join([kind.encode(), locale.encode(), domain.encode(), value.encode()])
    return int.from_bytes(hmac.new(sub_key(master, "fake"), msg, hashlib.sha256).digest()[:8], "big")


def ascii_fold(name: str) -> str:
    table = {}
    with open(os.path.join(FAKE_LISTS, "ascii_fold.txt"), encoding="utf-8") as f:
        for line in f.read().splitlines():
            c, a = line.split("\t")
            table[c] = a
    s = "".join(c if ord(c) < 128 else table.get(c, "") for c in name).lower()
    return "".join(c for c in s if c in "abcdefghijklmnopqrstuvwxyz0123456789")


def _iso_mod97(s: str) -> int:
    return int("".join(str(int(c, 36)) for c in s)) % 97


def _fake_iban(locale: str, i: int) -> str:
    acc = lambda n: str(i % 10**n).zfill(n)
    if locale == "fr":
        a = acc(11)
        key = 97 - (89 * 0 + 15 * 0 + 3 * int(a)) % 97
        country, bban = "FR", "0000000000" + a + "%02d" % key
    elif locale == "es":
        w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]

        def dc(ten):
            d = 11 - sum(int(x) * y for x, y in zip(ten, w)) % 11
            return {11: 0, 10: 1}.get(d, d)

        a = acc(10)
        country, bban = "ES", "00000000" + str(dc("0000000000")) + str(dc(a)) + a
    elif locale == "it":
        odd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]
        rest = "0000000000" + acc(12)
        total = sum(odd[int(c)] if k % 2 == 0 else int(c) for k, c in enumerate(rest))
        country, bban = "IT", chr(ord("A") + total % 26) + rest
    else:
        country, bban = {
            "de": ("DE", "00000000" + acc(10)),
            "en": ("GB", "XXXX000000" + acc(8)),
            "nl": ("NL", "XXXX" + acc(10)),
            "pl": ("PL", "00000000" + acc(16)),
            "tr": ("TR", "000000" + acc(16)),
        }[locale]
    return country + "%02d" % (98 - _iso_mod97(bban + country + "00")) + bban


def _fake_phone(locale: str, i: int) -> str:
    if locale == "en":
        n = i % 1000
        return "+1 %d 555 %04d" % ([201, 202, 212, 213, 305, 312, 404, 415, 617, 702][n // 100], 100 + n % 100)
    if locale == "de":
        n = i % 5000
        area, block = [("30", "23125"), ("69", "90009"), ("40", "66969"), ("221", "4710"), ("89", "99998")][n // 1000]
        return "+49 %s %s%03d" % (area, block, n % 1000)
    if locale == "fr":
        n = i % 60000
        block = ["1 99 00", "2 61 91", "3 53 01", "4 65 71", "5 36 49", "6 39 98"][n // 10000]
        return "+33 %s %02d %02d" % (block, n % 10000 // 100, n % 100)
    return "+44 7700 900%03d" % (i % 1000)


def _fake_postal_code(locale: str, i: int) -> str:
    ranges = {"de": (1001, 99998), "en": (501, 99950), "fr": (1000, 95999), "es": (1001, 52999), "it": (10, 98168), "tr": (1000, 81999)}
    if locale in ranges:
        lo, hi = ranges[locale]
        return "%05d" % (lo + i % (hi - lo + 1))
    if locale == "pl":
        n = i % 99999 + 1
        return "%02d-%03d" % (n // 1000, n % 1000)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pairs = [a + b for a in letters for b in letters if a + b not in ("SA", "SD", "SS")]
    return "%d %s" % (1000 + i % 9000, pairs[(i // 9000) % len(pairs)])


def fake(master: bytes, kind: str, locale: str, domain: str, value: str) -> str:
    idx = lambda part: fake_index(master, part, locale, domain, value)
    pick = lambda name, part: (lambda l: l[idx(part) % len(l)])(fake_list(locale, name))
    if kind in ("first_name", "last_name", "city"):
        return pick(kind, kind)
    if kind == "full_name":
        return pick("first_name", "full_name.first") + " " + pick("last_name", "full_name.last")
    if kind == "email":
        domains = ["example.com", "example.org", "example.net"]
        return "%s.%s@%s" % (
            ascii_fold(pick("first_name", "email.first")),
            ascii_fold(pick("last_name", "email.last")),
            domains[idx("email.domain") % 3],
        )
    if kind == "company":
        return pick("last_name", "company.name") + " " + pick("company_type", "company.type")
    if kind == "street":
        name, number = pick("street", "street"), 1 + idx("street.number") % 200
        ty = pick("street_type", "street.type") if fake_list(locale, "street_type") else ""
        return {
            "de": "{n} {num}", "nl": "{n} {num}", "en": "{num} {n} {t}", "fr": "{num} {t} {n}",
            "es": "{t} {n}, {num}", "it": "{t} {n} {num}", "pl": "{t} {n} {num}", "tr": "{n} {t} {num}",
        }[locale].format(n=name, t=ty, num=number)
    if kind == "phone":
        return _fake_phone(locale, idx("phone"))
    if kind == "postal_code":
        return _fake_postal_code(locale, idx("postal_code"))
    if kind == "iban":
        return _fake_iban(locale, idx("iban"))
    raise ValueError("unknown fake kind " + kind)


if __name__ == "__main__":
    import sys

    # Usage: importd_ref.py pseudonymize HEXKEY DOMAIN VALUE [PREFIX [LENGTH]]
    cmd, key = sys.argv[1], bytes.fromhex(sys.argv[2])
    if cmd == "pseudonymize":
        args = sys.argv[3:]
        print(pseudonymize(key, args[0], args[1], args[2] if len(args) > 2 else "", int(args[3]) if len(args) > 3 else 20))
    elif cmd == "shift":
        print(shift_offset(key, sys.argv[3], sys.argv[4], int(sys.argv[5])))
    elif cmd == "key_id":
        print(key_id(key))
    elif cmd == "fake":
        # importd_ref.py fake HEXKEY KIND LOCALE DOMAIN VALUE
        print(fake(key, *sys.argv[3:7]))
