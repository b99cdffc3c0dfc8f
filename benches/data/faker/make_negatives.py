"""Writes negatives.jsonl: sentences without personal data that are full of what person,
address and number detectors could mistake for it: capitalized nouns (German capitalizes
every noun), cities, countries, job titles, months and weekdays, product names, amounts,
article and version numbers. Values from Faker (MIT), in the languages of corpus.jsonl.
Every finding in them is a false positive.

    python make_negatives.py   (Faker 40.63.0)"""
import json
import random

from faker import Faker

SEED = 20261203
rng = random.Random(SEED)
LOCALES = {"de": "de_DE", "en": "en_GB", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL", "pl": "pl_PL",
           "us": "en_US"}
REGION = {"de": "DE", "en": "GB", "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pl": "PL", "us": "US"}
TEMPLATES = {
    "de": ["Die Lieferung nach {city} ist am {day} angekommen, Betrag {amount}.",
           "Unser {job} prüft die Rechnung aus {country} bis {month}.",
           "Kunde fragt nach dem Artikel {word} in {city}, Art.-Nr. {num}.",
           "Sehr geehrte Damen und Herren, die Ware {word} ist im {month} wieder verfügbar.",
           "Rückfrage zur Bestellung: {word} und {word2} fehlen, Version {version}.",
           "Frühling in {city}: Sonne, Rose und Wolf im Garten, Termin am {day}."],
    "en": ["The delivery to {city} arrived on {day}, amount {amount}.",
           "Our {job} is reviewing the invoice from {country} until {month}.",
           "Customer asks about item {word} in {city}, article {num}.",
           "Dear Sir or Madam, the product {word} is back in stock in {month}.",
           "Will Frank Bill the Paris office in May? Ask the {job}."],
    "us": ["The delivery to {city} arrived on {day}, amount {amount}.",
           "Our {job} is reviewing the invoice from {country} until {month}."],
    "fr": ["La livraison à {city} est arrivée le {day}, montant {amount}.",
           "Notre {job} vérifie la facture de {country} jusqu'en {month}.",
           "Madame, Monsieur, l'article {word} est de nouveau disponible en {month}."],
    "es": ["La entrega a {city} llegó el {day}, importe {amount}.",
           "Nuestro {job} revisa la factura de {country} hasta {month}."],
    "it": ["La consegna a {city} è arrivata il {day}, importo {amount}.",
           "Il nostro {job} controlla la fattura da {country} fino a {month}."],
    "nl": ["De levering naar {city} is op {day} aangekomen, bedrag {amount}.",
           "Onze {job} controleert de factuur uit {country} tot {month}."],
    "pl": ["Dostawa do {city} dotarła {day}, kwota {amount}.",
           "Nasz {job} sprawdza fakturę z {country} do {month}."],
}


def sentence(lang):
    f = Faker(LOCALES[lang])
    f.seed_instance(rng.randrange(1 << 30))
    t = rng.choice(TEMPLATES[lang])
    text = t.format(city=f.city(), day=f.day_of_week(), amount=f"{rng.randrange(1, 9999)},{rng.randrange(10, 99)} €",
                    job=f.job(), country=f.country(), month=f.month_name(), word=f.word().capitalize(),
                    word2=f.word().capitalize(), num=f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
                    version=f"{rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 50)}")
    return {"text": text, "spans": [], "region": REGION[lang], "lang": lang}


lines = [sentence(rng.choice(list(TEMPLATES))) for _ in range(2000)]
with open("negatives.jsonl", "w", encoding="utf-8") as out:
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
print(len(lines), "sentences")
