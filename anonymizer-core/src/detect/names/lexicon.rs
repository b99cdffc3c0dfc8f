//! The words the `person` detectors know: first names, surnames and cities (mimesis' data
//! sets, see `data/names/SOURCES.md`, gzip'd in the crate and unpacked once, on first use),
//! and the hand-written tables of salutations, greetings, closings and words that are never
//! part of a name. Every word maps to its [`Kind`] bits in one hash map, so the search
//! hashes each capitalized word once.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::sync::OnceLock;

/// What a word is, as bits (a word can be several: "Beste" greets in Dutch and closes in German).
pub(crate) type Kind = u16;
/// A first name of the lists.
pub(crate) const FIRST: Kind = 1;
/// A surname of the lists.
pub(crate) const LAST: Kind = 1 << 1;
/// A salutation or title a name follows ("Frau", "Mr", "Dr", "Sig").
pub(crate) const SALUTE: Kind = 1 << 2;
/// A salutation that is also a common word ("Bay", "Miss", "M", "Don"): only a known name follows.
pub(crate) const WEAK: Kind = 1 << 3;
/// A greeting a name follows ("Hallo", "Dear", "Bonjour").
pub(crate) const GREET: Kind = 1 << 4;
/// The first word of a closing a signature follows ("Viele Grüße", "Best regards").
pub(crate) const CLOSE: Kind = 1 << 5;
/// A label a name follows after a colon ("Name:", "Nom :").
pub(crate) const LABEL: Kind = 1 << 6;
/// A first name that is also a common word ("Will", "Mai", "Paris"): never a name by itself
/// before an unknown capitalized word.
pub(crate) const AMBIGUOUS: Kind = 1 << 7;
/// Never part of a name: pronouns, articles, "Team", weekdays, months.
pub(crate) const STOP: Kind = 1 << 8;

/// A salutation written in lower case in running text ([`LOWER_SALUTATIONS`]).
pub(crate) const LOWER_SALUTE: Kind = 1 << 9;
/// A lower-case particle inside names ("van", "de la"; see `names::PARTICLES`).
pub(crate) const PARTICLE: Kind = 1 << 10;

/// Words that start a search of the name detector.
pub(crate) const NAME_TRIGGER: Kind = FIRST | LAST | SALUTE | WEAK | GREET | CLOSE | LABEL;

/// The longest word looked up, in bytes.
pub(crate) const LONGEST_WORD: usize = 40;

#[rustfmt::skip]
const SALUTATIONS: &[&str] = &[
    "Herr", "Herrn", "Frau", "Hr", "Fr", "Dr", "Prof", "Professor", "Professorin", "Doktor", "Dipl", "Mag", "Ing", "Mr",
    "Mrs", "Ms", "Mx", "Mister", "Mme", "Mlle", "Mmes", "Monsieur", "Madame", "Mademoiselle", "Maître", "Me", "Sig",
    "Signor", "Signore", "Signora", "Signorina", "Dott", "Dottor", "Dottore", "Dottoressa", "Avv", "Sr", "Sra", "Srta",
    "Señor", "Señora", "Señorita", "Dña", "Dra", "Dhr", "Mevr", "Mevrouw", "Meneer", "Mw", "Pan", "Pani", "Panna",
    "Państwo", "Sayın", "Bayan", "Av", "Lord", "Lady",
];
/// Salutations written in lower case in running text ("la señora García", "il signor
/// Rossi", "mevrouw Jansen", "pani Nowak"): the capitalized word after them is a name.
#[rustfmt::skip]
pub(crate) const LOWER_SALUTATIONS: &[&str] = &[
    "herr", "herrn", "frau", "señor", "señora", "señorita", "don", "doña", "signor", "signora", "signorina", "sig",
    "dott", "dottor", "dottoressa", "meneer", "mevrouw", "mevr", "dhr", "pan", "pani", "pana", "panu", "panią", "panem",
    "monsieur", "madame", "mademoiselle", "mr", "mrs", "ms", "bay", "bayan", "sayın",
];
const WEAK_SALUTATIONS: &[&str] = &["Bay", "Miss", "M", "Don", "Doña", "Dame", "Sir", "Hanım", "Bey"];
#[rustfmt::skip]
const GREETINGS: &[&str] = &[
    "Hallo", "Hi", "Hey", "Hei", "Moin", "Servus", "Liebe", "Lieber", "Dear", "Hello", "Dearest", "Bonjour", "Bonsoir",
    "Salut", "Cher", "Chère", "Coucou", "Hola", "Estimado", "Estimada", "Querido", "Querida", "Ciao", "Caro", "Cara",
    "Gentile", "Gentilissimo", "Gentilissima", "Buongiorno", "Salve", "Beste", "Hoi", "Geachte", "Cześć", "Witaj",
    "Witam", "Drogi", "Droga", "Szanowny", "Szanowna", "Merhaba", "Selam", "Sevgili", "Günaydın", "Guten", "Good",
    "Dzień", "Buenos", "Buenas", "Goedemorgen", "Goedemiddag",
];
/// Closings, as words; the first word of each starts the search.
#[rustfmt::skip]
const CLOSINGS: &[&[&str]] = &[
    &["Viele", "Grüße"], &["Viele", "Grüsse"], &["Mit", "freundlichen", "Grüßen"], &["Mit", "freundlichen", "Grüssen"],
    &["Freundliche", "Grüße"], &["Freundliche", "Grüsse"], &["Beste", "Grüße"], &["Liebe", "Grüße"],
    &["Herzliche", "Grüße"], &["Schöne", "Grüße"], &["Gruß"], &["Grüße"], &["Grüsse"], &["LG"], &["VG"], &["MfG"],
    &["Best", "regards"], &["Kind", "regards"], &["Warm", "regards"], &["Warmest", "regards"], &["Best", "wishes"],
    &["Regards"], &["Cheers"], &["Thanks"], &["Many", "thanks"], &["Thank", "you"], &["Sincerely"],
    &["Yours", "sincerely"], &["Yours", "faithfully"], &["Yours", "truly"], &["Best"], &["Cordialement"],
    &["Bien", "cordialement"], &["Bien", "à", "vous"], &["Salutations"], &["Amicalement"], &["Bisous"], &["Merci"],
    &["Saludos"], &["Un", "saludo"], &["Saludos", "cordiales"], &["Un", "cordial", "saludo"], &["Atentamente"],
    &["Gracias"], &["Cordiali", "saluti"], &["Distinti", "saluti"], &["Saluti"], &["Cordialmente"], &["Grazie"],
    &["Met", "vriendelijke", "groet"], &["Met", "vriendelijke", "groeten"], &["Vriendelijke", "groet"],
    &["Vriendelijke", "groeten"], &["Hartelijke", "groet"], &["Groeten"], &["Groetjes"], &["Bedankt"], &["Pozdrawiam"],
    &["Z", "poważaniem"], &["Serdecznie", "pozdrawiam"], &["Pozdrowienia"], &["Dziękuję"], &["Saygılarımla"],
    &["Saygılar"], &["Sevgiler"], &["Teşekkürler"], &["İyi", "çalışmalar"], &["Danke"],
];
#[rustfmt::skip]
const LABELS: &[&str] = &[
    "Name", "Vorname", "Nachname", "Ansprechpartner", "Ansprechpartnerin", "Kontaktperson", "Nom", "Prénom", "Nombre",
    "Nome", "Cognome", "Naam", "Imię", "Nazwisko", "Ad", "Adı", "Soyadı", "Kunde", "Kundin", "Patient", "Patientin",
    "Contact", "Customer", "Client", "Cliente", "Klant", "Klient", "Klientka", "Müşteri", "Soyad",
];
/// Capitalized words that are never part of a name.
#[rustfmt::skip]
const STOPS: &[&str] = &[
    "Sie", "Ihnen", "Ihr", "Ihre", "Du", "Dir", "Dich", "Euch", "Wir", "Uns", "Ich", "Er", "Es", "Team", "Kollegen",
    "Kolleginnen", "Zusammen", "Alle", "Allerseits", "Leute", "Kunde", "Kundin", "Kunden", "Damen", "Herren", "Freunde",
    "Nachbarn", "Support", "Service", "Kundenservice", "Kundendienst", "Vertrieb", "Buchhaltung", "Gmbh", "GmbH", "AG",
    "KG", "Ltd", "Inc", "Co", "Mitarbeiter", "Grüße", "Grüßen", "Gruß", "Regards", "Der", "Die", "Das", "Den", "Dem",
    "Des", "Ein", "Eine", "Und", "Oder", "Aber", "Mit", "Von", "Bei", "Für", "Im", "Am", "An", "In", "Zum", "Zur",
    "The", "A", "And", "Or", "Of", "To", "For", "With", "From", "All", "Everyone", "Everybody", "There", "Folks",
    "Friends", "Sir", "Madam", "Customer", "Customers", "Colleagues", "You", "We", "I", "It", "Le", "La", "Les", "Un",
    "Une", "Et", "Ou", "De", "Du", "Des", "Vous", "Nous", "Tous", "Toutes", "Équipe", "Madame", "Monsieur", "Collègues",
    "Client", "El", "Los", "Las", "Una", "Y", "Usted", "Ustedes", "Todos", "Equipo", "Il", "Lo", "Gli", "E", "Tutti",
    "Ragazzi", "Squadra", "Het", "Een", "En", "Allemaal", "Iedereen", "Jullie", "U", "Wszystkim", "Wszyscy", "Zespół",
    "Ve", "Bir", "Herkese", "Arkadaşlar", "Ekip", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
    "Sonntag", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Januar", "Februar",
    "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember", "January",
    "February", "March", "May", "June", "July", "October", "December", "Herr", "Frau", "Name", "Nummer", "Straße",
    "Strasse", "Tel", "Telefon", "Fax", "Mail", "Email", "Adresse", "Rechnung", "Bestellung", "Kundennummer", "Vielen",
    "Dank", "Danke", "Bitte", "Thanks", "Please", "Merci", "Gracias", "Grazie", "Hallo", "Hello", "Hi", "Firma", "Rada",
    "Miasta", "Bank", "Banco", "Banca", "Hotel", "Grand", "Palais", "Corte", "Consiglio", "Conseil", "Gemeente",
    "Stadt", "Gemeinde", "Unser", "Unsere", "Unseren", "Unserem", "Unserer", "Euer", "Eure", "Ihr", "Ihre", "Our",
    "Your", "Their", "His", "Her", "Its", "Nasz", "Nasza", "Nasze", "Notre", "Nos", "Votre", "Nuestro", "Nuestra",
    "Nostro", "Nostra", "Onze", "Ons", "Mijn", "Uw", "Bizim", "Sizin", "Artikel", "Article", "Produkt", "Product",
    "Emeritus", "Sözleşme",
];
/// First names of the lists that are common words, places or months in the eight languages.
#[rustfmt::skip]
const AMBIGUOUS_NAMES: &[&str] = &[
    "Will", "Mark", "Bill", "Frank", "Rose", "Wolf", "Sonne", "Mai", "May", "June", "April", "August", "Paris",
    "Berlin", "Florida", "China", "India", "Georgia", "Holland", "Sydney", "Dallas", "Houston", "Memphis", "Denver",
    "Orlando", "Cleveland", "Columbus", "Lincoln", "Madison", "Austin", "Victoria", "Argentina", "Cuba", "Nevada",
    "Montana", "Dakota", "Maine", "Maryland", "Virginia", "Carolina", "France", "Germania", "Italia", "Grace", "Faith",
    "Hope", "Joy", "Summer", "Winter", "Spring", "Autumn", "Sky", "Star", "Storm", "Page", "Dean", "Guy", "Art", "Ray",
    "Pat", "Rich", "Chance", "Chase", "Major", "King", "Prince", "Royal", "Golden", "Crystal", "Diamond", "Pearl",
    "Amber", "Ruby", "Lily", "Iris", "Daisy", "Violet", "Ivy", "Holly", "Hazel", "Jade", "Honey", "Baby", "Angel",
    "Love", "Haben", "Sein", "Kein", "Dann", "Darin", "Deren", "Allen", "Andere", "Anders", "Lang", "Kam", "Ja", "Von",
    "Van", "Le", "La", "El", "Un", "Una", "The", "My", "So", "See", "Many", "Hello", "Miss", "First", "Can", "Man",
    "Men", "Mine", "Line", "File", "Even", "Desire", "Constant", "Long", "Signe", "Son", "Sang", "Cher", "Ciel", "Beau",
    "Fleur", "Prima", "Primo", "Vita", "Vida", "Luz", "Flor", "Mar", "Fe", "Oro", "Tempo", "Natale", "Mare", "Luce",
    "Gece", "Gün", "Güzel", "Özel", "Mutlu", "Sabah", "Yeter", "Selam", "Kim", "Su", "Tu", "Mi", "Sunday", "Monday",
    "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "September", "January", "Juli", "Juni", "Mercedes",
    "Porsche", "Bentley", "Jaguar", "Apple", "Amazon", "Nike", "Santa", "Santo", "San", "Rio", "Angeles", "Ángeles",
    "Mercy", "Patience", "Prudence", "Honor", "Liberty", "Justice", "Trinity", "Destiny", "Harmony", "Melody",
    "Serenity", "Haven", "Ocean", "River", "Forest", "Stone", "Clay", "Rock", "Brook", "Dale", "Glen", "Heath", "Lane",
    "Reed", "Rush", "Wade", "Ward", "Young", "Black", "White", "Brown", "Green", "Gray", "Grey", "Bell", "Hall", "Hill",
    "Wood", "Walker", "Hunter", "Carter", "Parker", "Porter", "Mason", "Cooper", "Baker", "Fisher", "Miller", "Taylor",
    "Turner", "Marshall", "Sterling", "Temple", "Noble", "Urban", "Vital", "Rex", "Dom", "Don", "Fee", "Elf", "Tanne",
    "Linde", "Birke", "Dorf", "Adler", "Falk", "Hase", "Fuchs", "Bär", "Löwe", "Engel", "Kaiser", "Herzog", "Graf",
    "Fürst", "Ritter", "Kind", "Karte", "Gül", "Deniz", "Umut", "Kara", "Şen", "Nur", "Sultan", "Melek", "Yıldız",
    "Efe", "Koç",
];

/// First names, surnames and the tables in one map; cities and places apart.
pub(crate) struct Lexicon {
    words: HashMap<&'static str, Kind, BuildHasherDefault<Fx>>,
    cities: HashSet<&'static str, BuildHasherDefault<Fx>>,
    places: HashSet<&'static str, BuildHasherDefault<Fx>>,
}

static LEXICON: OnceLock<Lexicon> = OnceLock::new();

/// The lexicon, unpacked and indexed on first use (a few milliseconds, once per process).
pub(crate) fn lexicon() -> &'static Lexicon {
    LEXICON.get_or_init(Lexicon::load)
}

impl Lexicon {
    fn load() -> Lexicon {
        let first = unpack(include_bytes!("../../../data/names/first.txt.gz"));
        let last = unpack(include_bytes!("../../../data/names/last.txt.gz"));
        let cities = unpack(include_bytes!("../../../data/names/cities.txt.gz"));
        let places = unpack(include_bytes!("../../../data/names/places.txt.gz"));
        let mut words: HashMap<&'static str, Kind, BuildHasherDefault<Fx>> = HashMap::default();
        words.reserve(first.len() / 6 + last.len() / 6 + 1024);
        let mut add = |w: &'static str, k: Kind| *words.entry(w).or_insert(0) |= k;
        first.lines().filter(|l| !l.is_empty()).for_each(|w| add(w, FIRST));
        last.lines().filter(|l| !l.is_empty()).for_each(|w| add(w, LAST));
        SALUTATIONS.iter().for_each(|w| add(w, SALUTE));
        WEAK_SALUTATIONS.iter().for_each(|w| add(w, WEAK));
        GREETINGS.iter().for_each(|w| add(w, GREET));
        CLOSINGS.iter().filter_map(|c| c.first()).for_each(|w| add(w, CLOSE));
        LABELS.iter().for_each(|w| add(w, LABEL));
        STOPS.iter().for_each(|w| add(w, STOP));
        AMBIGUOUS_NAMES.iter().for_each(|w| add(w, AMBIGUOUS));
        LOWER_SALUTATIONS.iter().for_each(|w| add(w, LOWER_SALUTE));
        super::PARTICLES.iter().for_each(|w| add(w, PARTICLE));
        let cities = cities.lines().filter(|l| !l.is_empty()).collect();
        let places = places.lines().filter(|l| !l.is_empty()).collect();
        Lexicon { words, cities, places }
    }

    /// The kind of a word (0 when unknown). A hyphenated word not in the lists is a first
    /// name when all its parts are ("Karl-Ludwig"), a surname when all are ("Schulze-Brandt").
    pub(crate) fn kind(&self, word: &str) -> Kind {
        if word.len() > LONGEST_WORD {
            return 0;
        }
        match self.words.get(word) {
            Some(&k) => k,
            None if word.contains('-') => {
                let mut parts = word.split('-').map(|p| self.words.get(p).copied().unwrap_or(0));
                let first = parts.next().unwrap_or(0);
                parts.fold(first & (FIRST | LAST), |acc, k| acc & k & (FIRST | LAST))
            }
            // Turkish names in the lists are partly ASCII-folded ("Yilmaz"): a word with a
            // letter only Turkish writes is looked up folded too.
            None if word.contains(['ı', 'İ', 'ş', 'Ş', 'ğ', 'Ğ']) => {
                let folded: String = word.chars().map(fold_turkish).collect();
                self.words.get(folded.as_str()).copied().unwrap_or(0) & (FIRST | LAST)
            }
            None => 0,
        }
    }

    /// Whether `name` (words separated by single spaces) is a known city.
    pub(crate) fn is_city(&self, name: &str) -> bool {
        self.cities.contains(name)
    }

    /// Whether `name` (words separated by single spaces) is a known country or city of any
    /// of the name locales.
    pub(crate) fn is_place(&self, name: &str) -> bool {
        self.places.contains(name)
    }
}

/// A Turkish letter as mimesis' folded lists write it.
fn fold_turkish(c: char) -> char {
    match c {
        'ı' => 'i',
        'İ' => 'I',
        'ş' => 's',
        'Ş' => 'S',
        'ğ' => 'g',
        'Ğ' => 'G',
        'ç' => 'c',
        'Ç' => 'C',
        'ö' => 'o',
        'Ö' => 'O',
        'ü' => 'u',
        'Ü' => 'U',
        c => c,
    }
}

/// The closings whose first word is `first`.
pub(crate) fn closings(first: &str) -> impl Iterator<Item = &'static [&'static str]> + '_ {
    CLOSINGS.iter().copied().filter(move |c| c.first() == Some(&first))
}

/// A list compiled into the crate, unpacked and leaked: it lives as long as the process, like
/// the map that points into it. A list that does not unpack (a build defect the lexicon
/// tests catch) is empty.
fn unpack(gz: &[u8]) -> &'static str {
    let mut text = String::with_capacity(gz.len() * 4);
    if flate2::read::GzDecoder::new(gz).read_to_string(&mut text).is_err() {
        text.clear();
    }
    Box::leak(text.into_boxed_str())
}

/// A fast hash for short words (FxHash's multiply-rotate, eight bytes at a time); the words
/// hashed come from the cell, but a lookup only ever costs a probe sequence of a fixed table.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w) ^ rest.len() as u64).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
