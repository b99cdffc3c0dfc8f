"""Generates national_ids.tsv: national identifiers in sentences, each valid one with an
invalid twin (one digit changed so that the check fails), for the national_id detectors'
tests. Valid numbers come from python-stdnum's check-digit functions and Faker; stdnum
decides validity wherever it knows the kind. Deterministic (seeded).

    /tmp/pyprobe/bin/python national_ids.py > national_ids.tsv   # python-stdnum 2.2, Faker 40.63

Columns: detector, expected (1 found, 0 not found), the number as written, the sentence.
"""
import random
import sys

from faker import Faker
from stdnum import ean
from stdnum.at import vnr
from stdnum.be import nn
from stdnum.ch import ssn as ahv
from stdnum.de import idnr, vat
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.it import codicefiscale
from stdnum.iso7064 import mod_11_10
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn

SEED = 20240614
N = 60
rng = random.Random(SEED)
fakers = {}


def faker(locale):
    if locale not in fakers:
        f = Faker(locale)
        f.seed_instance(SEED)
        fakers[locale] = f
    return fakers[locale]


def digits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def change_one_digit(number, is_valid):
    """The number with one digit replaced so that is_valid fails (same shape)."""
    positions = [i for i, c in enumerate(number) if c.isdigit()]
    while True:
        i = rng.choice(positions)
        c = rng.choice([d for d in "0123456789" if d != number[i]])
        bad = number[:i] + c + number[i + 1:]
        if not is_valid(bad):
            return bad


# --- valid compact numbers per kind -------------------------------------------------------

def de_tax_id():
    while True:
        body = str(rng.randint(1, 9)) + digits(9)
        number = body + mod_11_10.calc_check_digit(body)
        if idnr.is_valid(number):
            return number


def de_vat_id():
    if rng.random() < 0.5:
        number = faker("de_DE").vat_id()[2:]
        if vat.is_valid(number):
            return number
    body = str(rng.randint(1, 9)) + digits(7)
    return body + mod_11_10.calc_check_digit(body)


def rvnr_check(number):
    """VKVV § 4 (the published algorithm, written independently of the detector)."""
    values = [int(c) for c in number[:8]] + [int(c) for c in "%02d" % (ord(number[8]) - 64)]
    values += [int(c) for c in number[9:11]]
    weights = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1]
    return str(sum(sum(divmod(w * v, 10)) for w, v in zip(weights, values)) % 10)


def rvnr_valid(number):
    day, month = int(number[2:4]), int(number[4:6])
    day = day - 50 if day > 50 else day
    return (len(number) == 12 and number[8].isalpha() and 1 <= day <= 31 and 1 <= month <= 12
            and rvnr_check(number) == number[11])


def de_social_security():
    number = faker("de_DE").rvnr()
    assert rvnr_valid(number), number  # Faker and the published algorithm agree
    return number


ICAO = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def icao_check(s):
    return str(sum(ICAO.index(c) * w for c, w in zip(s, [7, 3, 1] * 3)) % 10)


def de_id_card():
    letters = "CFGHJKLMNPRTVWXYZ"
    body = rng.choice(letters) + "".join(rng.choice(letters + "0123456789") for _ in range(8))
    if not any(c.isdigit() for c in body):
        body = body[:4] + "0" + body[5:]
    return body


def at_social_security():
    if rng.random() < 0.5:
        number = faker("de_AT").ssn()
        if vnr.is_valid(number) and 1 <= int(number[4:6]) <= 31 and 1 <= int(number[6:8]) <= 12:
            return number
    while True:
        serial = str(rng.randint(1, 9)) + digits(2)
        date = "%02d%02d%s" % (rng.randint(1, 28), rng.randint(1, 12), digits(2))
        check = vnr.calc_check_digit(serial + "0" + date)
        if check != "10":
            return serial + check + date


def ch_ahv():
    if rng.random() < 0.5:
        return ahv.compact(faker("de_CH").ssn())
    body = "756" + digits(9)
    return body + ean.calc_check_digit(body)


def fr_nir():
    if rng.random() < 0.5:
        number = faker("fr_FR").ssn()
        if nir.is_valid(number):
            return number
    dept = rng.choice(["2A", "2B", "75", "13", "69", "%02d" % rng.randint(1, 95)])
    body = rng.choice("12") + digits(2) + "%02d" % rng.randint(1, 12) + dept + digits(6)
    return body + nir.calc_check_digits(body + "00")


def nino_valid(s):
    bad_prefix = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    return (s[0] not in "DFIQUV" and s[1] not in "DFIOQUV" and s[:2] not in bad_prefix
            and s[-1] in "ABCD")


def uk_nino():
    """HMRC's published allocation rules (stdnum has no NINO)."""
    while True:
        s = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(2)) + digits(6) + rng.choice("ABCD")
        if nino_valid(s):
            return s


def uk_nhs():
    while True:
        number = rng.choice("467") + digits(9)
        if nhs.is_valid(number):
            return number


def us_ssn():
    number = faker("en_US").ssn().replace("-", "")
    assert ssn.is_valid(number), number
    return number


def nl_bsn():
    while True:
        number = faker("nl_NL").ssn() if rng.random() < 0.5 else digits(9)
        if bsn.is_valid(number) and number[0] != "0":
            return number


def es_dni():
    number = faker("es_ES").nif() if rng.random() < 0.5 else digits(8)
    number = number[:8]
    return number + dni.calc_check_digit(number)


def es_nie():
    number = rng.choice("XYZ") + digits(7)
    return number + nie.calc_check_digit(number)


def it_fiscal_code():
    number = faker("it_IT").ssn()
    assert codicefiscale.is_valid(number), number
    return number


def pl_pesel():
    number = faker("pl_PL").pesel()
    assert pesel.is_valid(number), number
    return number


def be_national_number():
    while True:
        number = faker("nl_BE").ssn() if rng.random() < 0.5 else "%02d%02d%02d%s" % (
            rng.randint(0, 99), rng.randint(1, 12), rng.randint(1, 28), digits(5))
        if int(number[2:4]) > 12:
            continue
        if not nn.is_valid(number):
            body = number[:9]
            century = 2 if rng.random() < 0.3 and int(number[:2]) <= 24 else 0
            check = 97 - int(("2" if century else "") + body) % 97
            number = body + "%02d" % check
        if nn.is_valid(number):
            return number


# --- written forms, context labels, validity ---------------------------------------------

def g(s, *sizes, sep=" "):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    return sep.join(out)


KINDS = {
    # detector: (generator, is_valid, forms (written, needs context), labels)
    "de_tax_id": (de_tax_id, idnr.is_valid,
                  [(lambda s: s, True), (lambda s: g(s, 2, 3, 3, 3), False)],
                  ["Steuer-ID:", "Steuerliche Identifikationsnummer", "IdNr."]),
    "de_vat_id": (de_vat_id, lambda s: vat.is_valid(s),
                  [(lambda s: "DE" + s, False), (lambda s: "DE " + g(s, 3, 3, 3), False),
                   (lambda s: "DE " + s, False), (lambda s: "DE-" + g(s, 3, 3, 3, sep="-"), False)],
                  ["USt-IdNr.", "VAT ID", "Umsatzsteuer-ID:"]),
    "de_social_security": (de_social_security, rvnr_valid,
                           [(lambda s: s, False), (lambda s: g(s, 2, 6, 1, 3), False)],
                           ["Rentenversicherungsnummer", "SV-Nummer:", "Versicherungsnummer"]),
    "de_id_card": (de_id_card, lambda s: len(s) == 9 or icao_check(s[:9]) == s[9],
                   [(lambda s: s, True), (lambda s: s + icao_check(s), True),
                    (lambda s: s + icao_check(s) + "D", True)],
                   ["Personalausweis Nr.", "Ausweisnummer:", "ID card"]),
    "at_social_security": (at_social_security, vnr.is_valid,
                           [(lambda s: g(s, 4, 6), False), (lambda s: s, True)],
                           ["SVNR", "Sozialversicherungsnummer:", "SV-Nr."]),
    "ch_ahv": (ch_ahv, ahv.is_valid,
               [(lambda s: g(s, 3, 4, 4, 2, sep="."), False), (lambda s: s, False)],
               ["AHV-Nr.", "AVS", "Sozialversicherungsnummer"]),
    "fr_nir": (fr_nir, nir.is_valid,
               [(lambda s: s, False), (lambda s: g(s, 1, 2, 2, 2, 3, 3, 2), False)],
               ["NIR", "numéro de sécurité sociale", "n° INSEE"]),
    "uk_nino": (uk_nino, nino_valid,
                [(lambda s: s, False), (lambda s: g(s, 2, 2, 2, 2, 1), False)],
                ["NI number", "National Insurance No.", "NINO:"]),
    "uk_nhs": (uk_nhs, nhs.is_valid,
               [(lambda s: g(s, 3, 3, 4), True), (lambda s: g(s, 3, 3, 4, sep="-"), True),
                (lambda s: s, True)],
               ["NHS number", "NHS No.", "NHS:"]),
    "us_ssn": (us_ssn, ssn.is_valid,
               [(lambda s: g(s, 3, 2, 4, sep="-"), False), (lambda s: s, True)],
               ["SSN", "Social Security number", "SSN:"]),
    "nl_bsn": (nl_bsn, bsn.is_valid,
               [(lambda s: g(s, 4, 2, 3, sep="."), False), (lambda s: s, True)],
               ["BSN", "burgerservicenummer", "BSN:"]),
    "es_dni": (es_dni, dni.is_valid,
               [(lambda s: s, False), (lambda s: s[:8] + "-" + s[8:], False)],
               ["DNI", "NIF:", "DNI número"]),
    "es_nie": (es_nie, nie.is_valid,
               [(lambda s: s, False), (lambda s: s[:8] + "-" + s[8:], False)],
               ["NIE", "NIE:", "número de extranjero"]),
    "it_fiscal_code": (it_fiscal_code, codicefiscale.is_valid, [(lambda s: s, False)],
                       ["codice fiscale", "C.F.", "CF:"]),
    "pl_pesel": (pl_pesel, pesel.is_valid, [(lambda s: s, True)], ["PESEL", "PESEL:", "nr PESEL"]),
    "be_national_number": (be_national_number, nn.is_valid,
                           [(lambda s: "%s.%s.%s-%s.%s" % (s[:2], s[2:4], s[4:6], s[6:9], s[9:]), False),
                            (lambda s: s, True)],
                           ["Rijksregisternummer", "numéro national", "INSZ"]),
}

PLAIN = ["Bitte {n} im Feld eintragen.", "Kunde schickte {n} gestern.", "see {n} attached",
         "{n}", "Angaben: {n}, danke"]
LABELLED = ["{l} {n}", "Mein {l} {n}, bitte.", "{l} {n} (laut Formular)", "Re: {l} {n}"]


def invalid(kind, compact, is_valid):
    if kind == "us_ssn":
        i = rng.choice([0, 3, 5])
        return compact[:i] + {0: rng.choice(["000", "666", "9" + digits(2)]), 3: "00", 5: "0000"}[i] \
            + compact[i + {0: 3, 3: 2, 5: 4}[i]:]
    if kind == "uk_nino":
        return rng.choice("DFIQUV") + compact[1:] if rng.random() < 0.5 else compact[:-1] + rng.choice("EFGH")
    if kind == "de_id_card":
        return compact  # invalid only through its check digit: see the writer below
    return change_one_digit(compact, is_valid)


def main():
    out = sys.stdout
    out.write("# generated by national_ids.py (seed %d): detector, expected, number, sentence\n" % SEED)
    for kind, (gen, is_valid, forms, labels) in KINDS.items():
        for _ in range(N):
            compact = gen()
            form, needs_context = rng.choice(forms)
            written = form(compact)
            labelled = needs_context or rng.random() < 0.6
            template = rng.choice(LABELLED if labelled else PLAIN)
            sentence = template.format(l=rng.choice(labels), n=written)
            out.write("%s\t1\t%s\t%s\n" % (kind, written, sentence))
            bad = invalid(kind, compact, is_valid)
            if kind == "de_id_card":
                if len(written) == 9:
                    continue
                check = icao_check(compact)
                wrong = rng.choice([d for d in "0123456789" if d != check])
                bad_written = written[:9] + wrong + written[10:]
            else:
                bad_written = form(bad)
            out.write("%s\t0\t%s\t%s\n" % (kind, bad_written, template.format(l=rng.choice(labels), n=bad_written)))


if __name__ == "__main__":
    main()
