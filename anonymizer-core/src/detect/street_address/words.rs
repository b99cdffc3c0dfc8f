//! The words `street_address` knows: street types and street words of DE, AT, CH, FR, NL,
//! the UK and the US, US states, and labels that make a number an identifier.

/// Words ending in these are streets (lower case; "str." with its dot).
#[rustfmt::skip]
pub(super) const SUFFIXES: &[&str] = &[
    "straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "steig", "pfad",
    "graben", "wall", "markt", "gässli", "gässle", "straat", "laan", "plein", "gracht", "kade", "singel", "dijk",
    "dreef", "steeg", "hof", "pad", "boulevard", "passage", "baan", "straatje",
];

/// Words that start a street, with the name after them.
#[rustfmt::skip]
pub(super) const LEADS: &[&str] = &[
    "Am", "An", "Auf", "Im", "In", "Zum", "Zur", "Unter", "Hinter", "Vor", "Bei", "Alte", "Alter", "rue", "Rue",
    "avenue", "Avenue", "boulevard", "Boulevard", "bd", "place", "Place", "chemin", "Chemin", "allée", "Allée",
    "impasse", "Impasse", "quai", "Quai", "cours", "Cours", "route", "Route", "square", "passage", "Via", "via",
    "Viale", "viale", "Piazza", "piazza", "Corso", "corso", "Calle", "calle", "Avenida", "Paseo", "Plaza", "ul",
    "Ulica", "Aleja", "al",
];
/// German prepositions among [`LEADS`]: a street only when the number ends the phrase.
pub(super) const PREPOSITIONS: &[&str] =
    &["Am", "An", "Auf", "Im", "In", "Zum", "Zur", "Unter", "Hinter", "Vor", "Bei"];
/// Nouns after a preposition and before a number that are times, not streets.
#[rustfmt::skip]
pub(super) const NOT_STREETS: &[&str] = &[
    "Jahr", "Jahre", "Jahren", "Tag", "Tage", "Ende", "Anfang", "Wochenende", "Abend", "Morgen", "Mittag", "Nachmittag",
    "Vormittag", "Monat", "Woche", "Kapitel", "Seite", "Artikel", "Punkt", "Stück", "Platz",
];
/// French street words after a number ("10 rue de Rivoli").
#[rustfmt::skip]
pub(super) const FR_STREETS: &[&str] = &[
    "rue", "avenue", "boulevard", "bd", "place", "chemin", "allée", "impasse", "quai", "cours", "route", "square",
    "passage", "voie", "rond-point", "Rue", "Avenue", "Boulevard", "Place", "Chemin", "Allée", "Impasse", "Quai",
];
/// US and UK street types (USPS suffixes and their abbreviations).
#[rustfmt::skip]
pub(super) const TYPES: &[&str] = &[
    "Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Ln", "Drive", "Dr", "Boulevard", "Blvd", "Way", "Court",
    "Ct", "Place", "Pl", "Square", "Sq", "Terrace", "Close", "Crescent", "Gardens", "Grove", "Hill", "Hills", "Park",
    "Row", "Mews", "Walk", "Parkway", "Pkwy", "Circle", "Cir", "Highway", "Hwy", "Trail", "Trace", "Path", "Pike",
    "Plaza", "Mountain", "Mountains", "Burg", "Burgs", "Spur", "Pines", "Wells", "Mills", "Mill", "Port", "Ports",
    "Heights", "Village", "Villages", "Lights", "Ridge", "Ridges", "Springs", "Spring", "Valley", "Valleys", "View",
    "Views", "Island", "Islands", "Isle", "Lake", "Lakes", "Landing", "Loop", "Meadow", "Meadows", "Orchard", "Oval",
    "Pass", "Point", "Points", "Prairie", "Ranch", "Rapids", "Rest", "Route", "Shoal", "Shoals", "Shore", "Shores",
    "Skyway", "Station", "Stravenue", "Stream", "Summit", "Tunnel", "Turnpike", "Union", "Unions", "Vista", "Viaduct",
    "Ville", "Ways", "Extension", "Extensions", "Falls", "Ferry", "Field", "Fields", "Flat", "Flats", "Ford", "Fords",
    "Forest", "Forge", "Forges", "Fork", "Forks", "Fort", "Freeway", "Garden", "Gateway", "Glen", "Glens", "Green",
    "Greens", "Harbor", "Harbors", "Haven", "Hollow", "Inlet", "Junction", "Junctions", "Key", "Keys", "Knoll",
    "Knolls", "Branch", "Bridge", "Brook", "Brooks", "Bypass", "Camp", "Canyon", "Cape", "Causeway", "Center",
    "Centers", "Cliff", "Cliffs", "Club", "Common", "Commons", "Corner", "Corners", "Course", "Courts", "Cove", "Coves",
    "Creek", "Crest", "Crossing", "Crossroad", "Curve", "Dale", "Dam", "Divide", "Drives", "Estate", "Estates",
    "Expressway", "Alley", "Annex", "Arcade", "Bayou", "Beach", "Bend", "Bluff", "Bluffs", "Bottom", "Light", "Lock",
    "Locks", "Lodge", "Manor", "Manors", "Mall", "Mission", "Motorway", "Mount", "Neck", "Overpass", "Radial", "Ramp",
    "Run", "Underpass", "Walks", "Wall", "Well", "Plains", "Plain", "Parks", "Roads", "Streets", "Throughway",
    "Trafficway", "Land", "Fall", "Track", "Crossroads",
];
/// Abbreviated types, which take their dot.
pub(super) const ABBREVIATED: &[&str] =
    &["St", "Rd", "Ave", "Ln", "Dr", "Blvd", "Ct", "Pl", "Sq", "Pkwy", "Cir", "Hwy"];
/// UK flats before a street without number ("Flat 5, Janice Road").
pub(super) const FLATS: &[&str] = &["Flat", "Studio", "Apartment", "Unit"];
pub(super) const DIRECTIONS: &[&str] = &["N", "S", "E", "W", "NE", "NW", "SE", "SW"];
pub(super) const SECONDARY: &[&str] = &["Apt.", "Apt", "Suite", "Unit", "Flat", "#"];
#[rustfmt::skip]
pub(super) const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR",
];
/// Words before a number that make it an identifier, not a postal code.
#[rustfmt::skip]
pub(super) const ID_WORDS: &[&str] = &[
    "nr", "no", "nummer", "number", "bestellung", "order", "rechnung", "invoice", "auftrag", "ticket", "kunde", "konto",
    "seite", "page", "artikel", "version",
];
