#!/usr/bin/env python3
"""Labelled corpus of the `person` detectors: names (person_name), addresses (street_address)
and birth dates (date_of_birth) in sentences of eight languages, plus sentences full of
capitalized nouns, months, places and name-like words that hold none.

The values come from Python's Faker, a different source than the detectors' name lists
(mimesis). Seeded: run with the same Faker version to get the same file.

    /path/to/python benches/data/person_corpus.py > benches/data/person_corpus.jsonl

Each line: {"locale", "text", "spans": [[start, end, kind], ...]}, offsets in UTF-8 bytes.
Streets and postal codes with cities are labelled as two findings.
"""

import json
import random
import sys

import faker
from faker import Faker

SEED = 20240614
N_PER_LOCALE = 160

LOCALES = {"de": "de_DE", "en": "en_GB", "us": "en_US", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL", "pl": "pl_PL", "tr": "tr_TR"}

# Name templates: {F} first name, {L} last name, {N} full name, {S} salutation (not labelled).
NAMES = {
    "de": [
        "Bitte Rückruf an {S} {N} wegen der Rechnung.", "{S} {L} hat heute zweimal angerufen.",
        "Sehr geehrte{r} {S} {L},\nvielen Dank für Ihre Nachricht.", "Hallo {F},\nder Termin passt.",
        "Viele Grüße\n{N}", "Mit freundlichen Grüßen\n{N}", "{N} hat die Lieferung reklamiert.",
        "Kundin {N} möchte ihr Passwort ändern.", "Laut {N} fehlt ein Paket.", "Ansprechpartner: {N}",
        "Liebe {F}, danke für die schnelle Antwort!", "Der Vertrag wurde von {N} unterschrieben.",
        "Rückfrage von {S} Dr. {L} zum Angebot.", "Beste Grüße, {F}",
    ],
    "en": [
        "Please call {S} {L} back about the invoice.", "Dear {S} {L},\nthank you for your letter.",
        "Hi {F}, the parcel arrived today.", "Best regards,\n{N}", "Kind regards\n{N}",
        "{N} called twice this morning.", "The contract was signed by {N} yesterday.",
        "According to {N}, the order is incomplete.", "Name: {N}", "Dear {N},", "Thanks, {F}",
        "Spoke to {S} {N} about the refund.",
    ],
    "fr": [
        "Merci de rappeler {S} {L} au sujet de la facture.", "Bonjour {F},\nle colis est arrivé.",
        "Cordialement,\n{N}", "{N} a appelé deux fois ce matin.", "Le contrat a été signé par {N}.",
        "Selon {N}, la commande est incomplète.", "Chère {F}, merci pour votre réponse.",
        "Rendez-vous avec {S} {N} demain.", "Nom : {N}", "Bien à vous,\n{N}",
    ],
    "es": [
        "Por favor, llame a {S} {L} por la factura.", "Hola {F},\nel paquete ha llegado.",
        "Saludos,\n{N}", "{N} llamó dos veces esta mañana.", "El contrato fue firmado por {N}.",
        "Según {N}, el pedido está incompleto.", "Estimado {S} {L}:", "Atentamente,\n{N}", "Nombre: {N}",
    ],
    "it": [
        "Richiamare {S} {L} per la fattura.", "Ciao {F},\nil pacco è arrivato.", "Cordiali saluti,\n{N}",
        "{N} ha chiamato due volte stamattina.", "Il contratto è stato firmato da {N}.",
        "Secondo {N}, l'ordine è incompleto.", "Gentile {S} {L},", "Nome: {N}", "Distinti saluti\n{N}",
    ],
    "nl": [
        "Graag {S} {L} terugbellen over de factuur.", "Hoi {F},\nhet pakket is aangekomen.",
        "Met vriendelijke groet,\n{N}", "{N} heeft vanochtend twee keer gebeld.",
        "Het contract is getekend door {N}.", "Volgens {N} is de bestelling onvolledig.",
        "Beste {F}, bedankt voor je antwoord.", "Geachte {S} {L},", "Naam: {N}",
    ],
    "pl": [
        "Proszę oddzwonić do {S} {L} w sprawie faktury.", "Cześć {F},\npaczka dotarła.",
        "Pozdrawiam,\n{N}", "{N} dzwonił dwa razy dziś rano.", "Umowę podpisał {N}.",
        "Według {N} zamówienie jest niekompletne.", "Dzień dobry {S} {L},", "Z poważaniem\n{N}", "Imię i nazwisko: {N}",
    ],
    "tr": [
        "Lütfen fatura için {S} {L} ile görüşün.", "Merhaba {F},\npaket geldi.", "Saygılarımla,\n{N}",
        "{N} bu sabah iki kez aradı.", "Sözleşme {N} tarafından imzalandı.", "{N} siparişin eksik olduğunu söyledi.",
        "Sayın {N},", "Ad Soyad: {N}", "İyi çalışmalar,\n{N}",
    ],
}
SALUTATIONS = {
    "de": (["Herr"], ["Frau"]), "en": (["Mr", "Mr."], ["Mrs", "Ms", "Mrs."]), "fr": (["M.", "Monsieur"], ["Mme", "Madame"]),
    "es": (["Sr.", "señor"], ["Sra.", "señora"]), "it": (["Sig.", "signor"], ["Sig.ra", "signora"]),
    "nl": (["Dhr.", "meneer"], ["Mevr.", "mevrouw"]), "pl": (["Pan", "pana"], ["Pani", "pani"]), "tr": (["Bay"], ["Bayan"]),
}
# Sentences without names: capitalized nouns, months, places, brands, name-like words.
NEGATIVES = {
    "de": [
        "Im Mai haben wir die Rechnung an die Buchhaltung geschickt.", "Die Rose im Garten blüht, der Wolf heult im Wald.",
        "Frank und frei: Die Sonne scheint über Paris und Berlin.", "Mark und Pfennig sind lange vorbei.",
        "Die Lieferung kam am Montag, die Mahnung am Freitag.", "Sehr geehrte Damen und Herren,\nanbei die Unterlagen.",
        "Viele Grüße aus Hamburg und bis bald!", "Mit freundlichen Grüßen\nIhr Kundenservice",
        "Hallo zusammen, die Besprechung beginnt um 10 Uhr.", "Der Kunde wünscht eine Gutschrift für die Bestellung.",
        "Die Versicherung zahlt den Schaden nach Prüfung.", "Bitte die Anlage an die Geschäftsführung weiterleiten.",
        "Am Ende des Monats kommt die Abrechnung.", "Der Paketdienst DHL Express stellt morgen zu.",
        "Laut Vertrag endet die Frist im August.", "Die Mitarbeiter der Filiale Köln Süd sind informiert.",
        "Bitte Rückruf wegen Kündigung, Vertragsnummer und Zählerstand.", "Der Techniker Wagner kommt am Dienstag.",
        "Die Deutsche Bahn und die Deutsche Post haben Verspätung.", "Neue Kunden erhalten im Juni einen Rabatt.",
        "Herzlichen Glückwunsch zum Geburtstag und alles Gute!", "Sehr geehrte Kundin, sehr geehrter Kunde,",
        "Das Rote Kreuz sammelt Spenden für die Flutopfer.", "Grüße an Mark und Paula aus dem Büro.",
        "Die Bäckerei Schmidt liefert Brot und Brötchen.", "Ende Mai kommt die neue Version der Software.",
        "Max. Gewicht 20 kg, Min. Bestellwert 10 Euro.", "Frau und Herr sind Anreden, Dr. ist ein Titel.",
    ],
    "en": [
        "Will Power is the title of the new book.", "Mark the calendar: Bill Payment is due in May.",
        "The Grand Hotel in Paris has a Rose Garden.", "Best practice is to send the Invoice by Friday.",
        "Dear Sir or Madam,\nplease find the documents attached.", "Hi all, the Meeting starts at Noon.",
        "Kind regards from the Support Team", "The Customer Service desk in London opens on Monday.",
        "Apple and Amazon reported results in April.", "Our Sales Manager visited New York and Boston.",
        "The Royal Mail parcel arrived at the Post Office.", "Payment Terms: Net 30 Days.",
        "Happy Birthday from the Finance Department!", "Thanks for the Quick Reply.", "Dear Valued Customer,",
        "The Chief Executive Officer signed the Annual Report.", "Grace period ends in March.",
        "Hope to see you at the Summer Party in June.", "Will you call Customer Care on Monday?",
    ],
    "fr": [
        "La Poste livre le colis lundi à Paris.", "Bonjour à tous, la Réunion commence à midi.",
        "Cordialement, le Service Client", "La Banque de France publie son rapport en Mars.",
        "Le Grand Palais accueille une exposition en Juin.", "Madame, Monsieur,\nveuillez trouver ci-joint la facture.",
        "Merci pour votre Commande du Printemps.", "Le Conseil Municipal de Lyon se réunit jeudi.",
    ],
    "es": [
        "El Banco de España publica su informe en Mayo.", "Hola a todos, la Reunión empieza a las diez.",
        "Saludos desde Madrid y Barcelona.", "La Oficina de Correos abre el Lunes.",
        "Estimados Señores:\nadjuntamos la factura.", "El Servicio de Atención al Cliente responde pronto.",
        "La Rosa del jardín y la Luz de la mañana.", "El Corte Inglés abre en Valencia.",
    ],
    "it": [
        "La Banca d'Italia pubblica il rapporto a Maggio.", "Ciao a tutti, la Riunione inizia alle dieci.",
        "Saluti da Roma e Milano.", "Gentili Signori,\nin allegato la fattura.", "Il Servizio Clienti risponde presto.",
        "La Posta Italiana consegna il pacco Lunedì.", "Il Consiglio Comunale di Torino si riunisce giovedì.",
    ],
    "nl": [
        "De Nederlandsche Bank publiceert het rapport in Mei.", "Hoi allemaal, de Vergadering begint om tien uur.",
        "Groeten uit Amsterdam en Utrecht.", "Geachte heer, mevrouw,\nbijgaand de factuur.",
        "De Klantenservice reageert snel.", "PostNL bezorgt het pakket op Maandag.", "De Gemeente Rotterdam vergadert donderdag.",
    ],
    "pl": [
        "Narodowy Bank Polski publikuje raport w Maju.", "Cześć wszystkim, Spotkanie zaczyna się o dziesiątej.",
        "Pozdrowienia z Warszawy i Krakowa.", "Szanowni Państwo,\nw załączniku faktura.", "Biuro Obsługi Klienta odpowiada szybko.",
        "Poczta Polska dostarczy paczkę w Poniedziałek.", "Rada Miasta Gdańska obraduje w czwartek.",
    ],
    "tr": [
        "Merkez Bankası raporu Mayıs ayında yayımlıyor.", "Herkese merhaba, Toplantı saat onda başlıyor.",
        "İstanbul ve Ankara'dan selamlar.", "Sayın Yetkili,\nfatura ektedir.", "Müşteri Hizmetleri hızlı yanıt veriyor.",
        "Türkiye Büyük Millet Meclisi Salı günü toplanıyor.", "Kargo Pazartesi teslim edilecek.",
    ],
}
ADDRESS = {
    "de": ("de_DE", ["Die Kundin wohnt in der {STREET}, {PLACE}.", "Lieferadresse: {STREET}\n{PLACE}", "Neue Anschrift: {STREET}, {PLACE}", "Er ist in die {STREET} gezogen."]),
    "at": ("de_AT", ["Anschrift: {STREET}, {PLACE}", "Wohnhaft {STREET}\n{PLACE}"]),
    "ch": ("de_CH", ["Adresse: {STREET}, {PLACE}", "Die Rechnung geht an {STREET}, {PLACE}."]),
    "fr": ("fr_FR", ["Adresse : {STREET}, {PLACE}", "Le client habite {STREET}\n{PLACE}"]),
    "uk": ("en_GB", ["Address: {STREET}, {PLACE}", "She moved to {STREET}."]),
    "us": ("en_US", ["Ship to {STREET}, {PLACE}", "Mailing address: {STREET}\n{PLACE}"]),
    "nl": ("nl_NL", ["Adres: {STREET}, {PLACE}", "De klant woont op {STREET}\n{PLACE}"]),
}
ADDRESS_NEGATIVES = [
    "Siehe Seite 12 und Artikel 5 der AGB.", "Version 2.3 ist seit 12.03.2024 verfügbar.", "Betrag: 1200 Euro, 50000 Mitarbeiter.",
    "Bestellung 12345 wurde versandt.", "Am Montag 12 Uhr beginnt die Schulung.", "Im Jahr 2020 kamen 10000 Kunden.",
    "Order 48213 shipped in 3 boxes.", "Chapter 12 Section 4 covers refunds.", "Kundennummer 55012 Berlin-Mitte.",
    "La facture 2024 comporte 12 pages.", "Rechnung Nr. 45012 vom 3. Mai.", "Ticket 10001 closed after 2 days.",
]
BIRTH = {
    "de": ["{N}, geb. {D}, wohnt seit Jahren hier.", "Geburtsdatum: {D}", "geboren am {D} in Köln"],
    "en": ["{N}, born on {D}, called today.", "Date of birth: {D}", "DOB {D}"],
    "fr": ["{N}, né le {D}, a appelé.", "Date de naissance : {D}"],
    "es": ["{N}, nacido el {D}, llamó hoy.", "Fecha de nacimiento: {D}"],
    "it": ["{N}, nato il {D}, ha chiamato.", "Data di nascita: {D}"],
    "nl": ["{N}, geboren op {D}, belde vandaag.", "Geboortedatum: {D}"],
    "pl": ["{N}, urodzony {D}, dzwonił dziś.", "Data urodzenia: {D}"],
    "tr": ["{N}, doğum tarihi {D}, bugün aradı.", "Doğum tarihi: {D}"],
}
MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
}
DATE_NEGATIVES = [
    "Termin am 12.03.2024 um 10 Uhr.", "Invoice dated 2024-03-12, due 2024-04-12.", "Livraison le 12 mars 2024.",
    "Entrega el 12 de marzo de 2024.", "Consegna il 12/03/2024.", "Levering op 12-03-2024.", "Dostawa 12 marca 2024.",
    "Teslimat 12.03.2024 tarihinde.", "Born in the USA was released on June 4, 1984.",
]


class Sentence:
    def __init__(self, locale):
        self.locale, self.text, self.spans = locale, "", []

    def add(self, s, kind=None):
        start = len(self.text.encode())
        self.text += s
        if kind:
            self.spans.append([start, len(self.text.encode()), kind])

    def fill(self, template, values):
        # values: key -> (text, kind or None)
        i = 0
        while i < len(template):
            j = template.find("{", i)
            if j < 0:
                self.add(template[i:])
                break
            self.add(template[i:j])
            k = template.index("}", j)
            text, kind = values[template[j + 1:k]]
            self.add(text, kind)
            i = k + 1

    def json(self):
        return json.dumps({"locale": self.locale, "text": self.text, "spans": self.spans}, ensure_ascii=False)


def person(fk, loc, rng):
    female = rng.random() < 0.5
    if loc == "pl":
        first = fk.first_name_female() if female else fk.first_name_male()
        last = fk.last_name_female() if female else fk.last_name_male()
    else:
        first = fk.first_name_female() if female else fk.first_name_male()
        last = fk.last_name()
    return female, first, last


def date_text(loc, rng):
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2005)
    months = MONTHS[loc].split()
    forms = [f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}"]
    if loc == "de":
        forms.append(f"{d}. {months[m - 1]} {y}")
    elif loc == "en":
        forms += [f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}"]
    elif loc == "es":
        forms.append(f"{d} de {months[m - 1]} de {y}")
    else:
        forms.append(f"{d} {months[m - 1]} {y}")
    return rng.choice(forms)


def main():
    rng = random.Random(SEED)
    Faker.seed(SEED)
    out = []
    for loc in ["de", "en", "fr", "es", "it", "nl", "pl", "tr"]:
        fk = Faker(LOCALES[loc] if loc != "en" else rng.choice(["en_GB", "en_US"]))
        fk.seed_instance(SEED + len(out))
        for _ in range(N_PER_LOCALE):
            female, first, last = person(fk, loc, rng)
            sal = rng.choice(SALUTATIONS[loc][1 if female else 0])
            s = Sentence(loc)
            template = rng.choice(NAMES[loc])
            s.fill(template, {
                "S": (sal, None), "F": (first, "person_name"), "L": (last, "person_name"),
                "N": (f"{first} {last}", "person_name"), "r": ("" if female else "r", None),
            })
            out.append(s)
        for t in NEGATIVES[loc]:
            s = Sentence(loc)
            s.add(t)
            out.append(s)
        for _ in range(25):
            _, first, last = person(fk, loc, rng)
            s = Sentence(loc)
            s.fill(rng.choice(BIRTH[loc]), {"N": (f"{first} {last}", "person_name"), "D": (date_text(loc, rng), "date_of_birth")})
            out.append(s)
    for loc, (flocale, templates) in ADDRESS.items():
        fk = Faker(flocale)
        fk.seed_instance(SEED)
        for _ in range(40):
            street = fk.street_address().replace("\n", ", ")
            place = f"{fk.postcode()} {fk.city()}"
            s = Sentence(loc)
            s.fill(rng.choice(templates), {"STREET": (street, "street_address"), "PLACE": (place, "street_address")})
            out.append(s)
    for t in ADDRESS_NEGATIVES + DATE_NEGATIVES:
        s = Sentence("xx")
        s.add(t)
        out.append(s)
    print(f"# faker {faker.VERSION}, seed {SEED}", file=sys.stderr)
    for s in out:
        print(s.json())


if __name__ == "__main__":
    main()
