"""Independent reference implementation of the algorithms in spec/rules.md ("Algorithms").

Written from the spec with Python's standard library only (hmac, hashlib, base64), never
from importd's code: tests compare importd's output with what this module computes.
"""
import base64
import hashlib
import hmac

INFO = {
    "pseudonymize": b"importd/v1/pseudonymize",
    "encrypt": b"importd/v1/encrypt",
    "perturb": b"importd/v1/perturb",
    "audit": b"importd/v1/audit",
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
