"""Writes corpus.jsonl: labelled sentences for the detector accuracy harness, made from
generators and validators the detectors were NOT written from: values from Faker (MIT),
kept only when python-stdnum (LGPL, used here as a tool, not shipped) or the Python port of
libphonenumber (`phonenumbers`, Apache-2.0) says they are valid; numbers with no generator
there are drawn at random and kept when stdnum validates them. Decoys (dates, amounts,
order numbers, versions, times, and checksum-broken copies of real identifiers, checked
invalid by stdnum) are written around them.

Identifiers that are a plain run of digits shared by several kinds (9, 10, 11 digits: BSN or
SSN, NHS or Austrian SV-Nr, Steuer-IdNr or PESEL or Belgian NN), and NHS numbers in any form
(3-3-4 is also a North American phone number), are written with a label, as people write
them and as the spec's detectors need them; every other value is unlabelled in one sentence
in five.

Run with the versions named in the header line of the output:
    python make_corpus.py   (Faker 40.63.0, python-stdnum 2.2, phonenumbers 9.0.43)
Each line: {"text", "spans": [[start, end, kind]] in code points, "region", "lang"}."""
import ipaddress
import json
import random
import re

import phonenumbers
from faker import Faker
from stdnum import iban as std_iban, luhn
from stdnum.at import vnr
from stdnum.be import nn
from stdnum.ch import ssn as ahv
from stdnum.de import idnr, vat as de_vat
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn as std_ssn

SEED = 20261202
rng = random.Random(SEED)
LANGS = {  # language -> (Faker locale, phone region)
    "de": ("de_DE", "DE"), "en": ("en_GB", "GB"), "fr": ("fr_FR", "FR"), "es": ("es_ES", "ES"),
    "it": ("it_IT", "IT"), "nl": ("nl_NL", "NL"), "pl": ("pl_PL", "PL"), "us": ("en_US", "US"),
}
fakers = {}


def fk(locale):
    if locale not in fakers:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(rng.randrange(1 << 30))
    return fakers[locale]


def digits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def grouped(s, sep, n=4):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def sample(valid, make, tries=10_000):
    for _ in range(tries):
        v = make()
        if valid(v):
            return v
    raise RuntimeError("no valid value drawn")


# Each kind: (generator of a written value, label words by language).
def email(lang):
    f = fk(LANGS[lang][0])
    return rng.choice([f.email, f.free_email, f.company_email])()


def phone(lang):
    locale, region = LANGS[lang]

    def make():
        return fk(locale).phone_number()

    def valid(v):
        if "x" in v.lower() or "ext" in v.lower():
            return False
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(v, region))
        except phonenumbers.NumberParseException:
            return False

    return sample(valid, make)


def iban(lang):
    v = sample(std_iban.is_valid, fk(LANGS[lang][0]).iban)
    return rng.choice([v, v, grouped(v, " "), grouped(v, " "), grouped(v, "-")])


def credit_card(lang):
    # The spec's cards have 13-19 digits: 12-digit Maestro numbers are left out.
    v = sample(lambda c: luhn.is_valid(c) and len(c) >= 13, lambda: fk("en_US").credit_card_number())
    if len(v) == 16 and rng.random() < 0.5:
        return grouped(v, rng.choice(" -"))
    return v


def ipv4(lang):
    return fk("en_US").ipv4()


def ipv6(lang):
    return str(ipaddress.IPv6Address(fk("en_US").ipv6()))


def url(lang):
    f = fk(LANGS[lang][0])
    return f.url().rstrip("/") + rng.choice(["", "/", "/" + f.uri_path(), "/" + f.uri_path() + "?id=" + digits(4)])


def de_tax_id(lang):
    v = sample(idnr.is_valid, lambda: rng.choice("123456789") + digits(10))
    return rng.choice([v, idnr.format(v)])


def de_vat_id(lang):
    return sample(de_vat.is_valid, fk("de_DE").vat_id)


def at_social_security(lang):
    v = sample(vnr.is_valid, fk("de_AT").ssn)
    return rng.choice([v, v[:4] + " " + v[4:]])


def ch_ahv(lang):
    return sample(ahv.is_valid, fk("de_CH").ssn)


def fr_nir(lang):
    v = sample(nir.is_valid, fk("fr_FR").ssn)
    return rng.choice([v, nir.format(v)])


def uk_nhs(lang):
    v = sample(nhs.is_valid, lambda: digits(10))
    return rng.choice([v, nhs.format(v), nhs.format(v, "-")])


def us_ssn(lang):
    return sample(std_ssn.is_valid, fk("en_US").ssn)


def nl_bsn(lang):
    v = sample(bsn.is_valid, fk("nl_NL").ssn)
    return rng.choice([v, v, bsn.format(v)])


def es_dni(lang):
    return sample(dni.is_valid, fk("es_ES").nif)


def es_nie(lang):
    return sample(nie.is_valid, fk("es_ES").nie)


def it_fiscal_code(lang):
    return sample(codicefiscale.is_valid, fk("it_IT").ssn)


def pl_pesel(lang):
    return sample(pesel.is_valid, fk("pl_PL").pesel)


def be_national_number(lang):
    v = sample(nn.is_valid, fk("nl_BE").ssn)
    return rng.choice([v, nn.format(v)])


KINDS = {
    "email": (email, {"de": ["E-Mail", "Mail"], "en": ["email", "e-mail"], "fr": ["courriel", "e-mail"]}),
    "phone": (phone, {"de": ["Tel.", "Telefon", "Handy"], "en": ["phone", "tel", "mobile"], "fr": ["tél.", "portable"]}),
    "iban": (iban, {"de": ["IBAN", "Konto"], "en": ["IBAN", "account"], "fr": ["IBAN", "compte"]}),
    "credit_card": (credit_card, {"de": ["Karte", "Kreditkarte"], "en": ["card", "credit card"], "fr": ["carte"]}),
    "ipv4": (ipv4, {"de": ["IP"], "en": ["IP", "from"], "fr": ["IP", "adresse"]}),
    "ipv6": (ipv6, {"de": ["IPv6"], "en": ["IPv6 address"], "fr": ["IPv6"]}),
    "url": (url, {"de": ["Link", "Profil"], "en": ["link", "profile"], "fr": ["lien"]}),
    "de_tax_id": (de_tax_id, {"de": ["Steuer-ID", "Steuerliche IdNr.", "Steuer-IdNr", "IdNr."]}),
    "de_vat_id": (de_vat_id, {"de": ["USt-IdNr.", "USt-ID"], "en": ["VAT ID", "VAT number"]}),
    "at_social_security": (at_social_security, {"de": ["SVNR", "Sozialversicherungsnummer", "VSNR"]}),
    "ch_ahv": (ch_ahv, {"de": ["AHV-Nr.", "AHV-Nummer"], "fr": ["n° AVS", "numéro AVS"]}),
    "fr_nir": (fr_nir, {"fr": ["n° de sécurité sociale", "NIR", "numéro de sécu"]}),
    "uk_nhs": (uk_nhs, {"en": ["NHS number", "NHS no."]}),
    "us_ssn": (us_ssn, {"en": ["SSN", "social security number"]}),
    "nl_bsn": (nl_bsn, {"nl": ["BSN", "burgerservicenummer"]}),
    "es_dni": (es_dni, {"es": ["DNI", "NIF"]}),
    "es_nie": (es_nie, {"es": ["NIE"]}),
    "it_fiscal_code": (it_fiscal_code, {"it": ["codice fiscale", "C.F."]}),
    "pl_pesel": (pl_pesel, {"pl": ["PESEL", "nr PESEL"]}),
    "be_national_number": (be_national_number, {"nl": ["rijksregisternummer"], "fr": ["numéro national", "NN"]}),
}
# Kinds that only live in one country's text: the language their sentences are written in.
HOME = {"de_tax_id": "de", "at_social_security": "de", "ch_ahv": "de", "fr_nir": "fr", "uk_nhs": "en", "us_ssn": "us",
        "nl_bsn": "nl", "es_dni": "es", "es_nie": "es", "it_fiscal_code": "it", "pl_pesel": "pl", "de_vat_id": "de"}

# {label} {value} inside sentences, by language; {decoy} is a non-PII look-alike.
TEMPLATES = {
    "de": ["Kunde meldet sich wegen {decoy}, {label} {pii}.", "{label}: {pii} (Vorgang {decoy})",
           "Bitte prüfen: {label} {pii}, Betrag {decoy}.", "Rückfrage am {decoy}; {label} lautet {pii}.",
           "Laut Formular {label} {pii} – Ticket {decoy}"],
    "en": ["Customer called about {decoy}, {label} {pii}.", "{label}: {pii} (case {decoy})",
           "Please verify {label} {pii}, amount {decoy}.", "Follow-up on {decoy}; the {label} is {pii}.",
           "Per the form, {label} {pii} - ticket {decoy}"],
    "us": ["Customer called about {decoy}, {label} {pii}.", "{label}: {pii} (case {decoy})",
           "Please verify {label} {pii}, amount {decoy}.", "Follow-up on {decoy}; the {label} is {pii}."],
    "fr": ["Le client appelle pour {decoy}, {label} {pii}.", "{label} : {pii} (dossier {decoy})",
           "Merci de vérifier {label} {pii}, montant {decoy}.", "Relance du {decoy} ; {label} {pii}."],
    "es": ["El cliente llamó por {decoy}, {label} {pii}.", "{label}: {pii} (expediente {decoy})",
           "Por favor verifique {label} {pii}, importe {decoy}."],
    "it": ["Il cliente ha chiamato per {decoy}, {label} {pii}.", "{label}: {pii} (pratica {decoy})",
           "Si prega di verificare {label} {pii}, importo {decoy}."],
    "nl": ["Klant belde over {decoy}, {label} {pii}.", "{label}: {pii} (dossier {decoy})",
           "Graag controleren: {label} {pii}, bedrag {decoy}."],
    "pl": ["Klient dzwonił w sprawie {decoy}, {label} {pii}.", "{label}: {pii} (sprawa {decoy})",
           "Proszę sprawdzić {label} {pii}, kwota {decoy}."],
}
UNLABELLED = {lang: [re.sub(r"(the )?\{label\}\s*:?\s*", "", t) for t in ts] for lang, ts in TEMPLATES.items()}


def broken(kind, lang):
    """A copy of a real value of `kind` with one digit changed so its checksum fails."""
    make, _ = KINDS[kind]
    validators = {"iban": std_iban.is_valid, "credit_card": luhn.is_valid, "de_tax_id": idnr.is_valid,
                  "nl_bsn": bsn.is_valid, "pl_pesel": pesel.is_valid, "uk_nhs": nhs.is_valid,
                  "fr_nir": nir.is_valid, "be_national_number": nn.is_valid, "at_social_security": vnr.is_valid}
    v = make(lang)
    for _ in range(100):
        pos = [i for i, c in enumerate(v) if c.isdigit()]
        i = rng.choice(pos[2:] or pos)
        w = v[:i] + str((int(v[i]) + rng.randrange(1, 10)) % 10) + v[i + 1:]
        if not validators[kind](w):
            return w
    return digits(9)


def decoy(lang):
    r = rng.random()
    if r < 0.15:
        return fk(LANGS[lang][0]).date(pattern=rng.choice(["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"]))
    if r < 0.3:
        return f"{rng.randrange(1, 99999)},{digits(2)} €" if lang in "de fr es it nl pl" else f"${rng.randrange(1, 9999)}.{digits(2)}"
    if r < 0.5:
        return rng.choice(["#", "A-", "", "ORD-"]) + digits(rng.randrange(5, 13))
    if r < 0.6:
        return f"v{rng.randrange(1, 20)}.{rng.randrange(0, 40)}.{rng.randrange(0, 99)}"
    if r < 0.7:
        return f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d} Uhr" if lang == "de" else f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}"
    return broken(rng.choice(["iban", "credit_card", "de_tax_id", "nl_bsn", "pl_pesel", "uk_nhs", "fr_nir",
                              "be_national_number", "at_social_security"]), lang)


def sentence(kind):
    make, labels = KINDS[kind]
    lang = HOME.get(kind) or rng.choice(list(LANGS))
    label_lang = lang if lang in labels else ("en" if lang == "us" else next(iter(labels)))
    value = make(lang)
    shared_run = value.isdigit() and kind in ("nl_bsn", "us_ssn", "at_social_security", "de_tax_id", "pl_pesel",
                                             "be_national_number")
    use_label = shared_run or kind == "uk_nhs" or rng.random() < 0.8
    t = rng.choice(TEMPLATES[lang] if use_label else UNLABELLED[lang])
    label = rng.choice(labels.get(label_lang) or labels[next(iter(labels))])
    before, after = t.split("{pii}")
    before = before.replace("{label}", label).replace("{decoy}", decoy(lang))
    after = after.replace("{decoy}", decoy(lang))
    text = before + value + after
    return {"text": text, "spans": [[len(before), len(before) + len(value), kind]], "region": LANGS[lang][1], "lang": lang}


def negative():
    lang = rng.choice(list(LANGS))
    t = rng.choice(UNLABELLED[lang])
    before, after = t.split("{pii}")
    text = before.replace("{decoy}", decoy(lang)) + decoy(lang) + after.replace("{decoy}", decoy(lang))
    return {"text": text, "spans": [], "region": LANGS[lang][1], "lang": lang}


lines = []
for kind in KINDS:
    for _ in range(300):
        lines.append(sentence(kind))
for _ in range(1500):
    lines.append(negative())
rng.shuffle(lines)
with open("corpus.jsonl", "w", encoding="utf-8") as f:
    for line in lines:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
print(len(lines), "sentences")
