//! `redact` over one cell, in time linear in the cell: findings are replaced until no
//! detector finds anything more (a fixpoint: replacing a finding can expose a neighbour, as a
//! phone number glued to a customer number is free once that number became `<k>`).
//!
//! Pass 1 searches the whole cell. Pass k+1 searches only *windows* around the replacements
//! of pass k, in the text as pass k left it, and stops when a pass replaces nothing (or
//! after as many passes as the cell has bytes, plus one). A candidate made only of the text
//! of earlier replacements is dropped before findings are chosen: a fake e-mail address is
//! an e-mail address, a pseudonym may match a custom pattern, and neither is the customer's
//! data. So each pass that replaces something replaces at least one byte of the cell's own
//! text. The text is
//! never rebuilt between passes: it is the cell plus a map of edits (byte ranges of the cell
//! → their text now), and a window is copied out of it with enough context around. So a
//! pass costs the size of its windows, not of the cell, and a cell where every pass exposes
//! one more neighbour costs as much as one where all are found at once.
//!
//! # Why the window is enough
//!
//! Take a finding replaced in pass k, and its *zone*: the finding and every candidate of
//! pass k that overlapped it (what the replacement may have cut short or freed). Its
//! window searches from [`REACH_BEFORE`] bytes before the zone to [`READ_BEHIND`] bytes
//! after it, each detector from and to the nearest points where a whole-cell search would
//! be between matches; the copy holds [`READ_BEHIND`] bytes more before and [`READ_AHEAD`]
//! more after (then on to whitespace, and further when a search needs it). The claim: the
//! window's searches are the whole-cell searches restricted to it, and outside all windows
//! the whole-cell searches of pass k+1 find nothing.
//!
//! - *What a detector reads is bounded.* Validators read at most [`READ_BEHIND`] bytes
//!   before a candidate (a phone number's label: 16 separators and the word's last 16
//!   characters; the group before it; context words of national identifiers and custom
//!   `context`, 40 characters and the one before) and at most [`READ_AHEAD`] after (context
//!   words, 40 characters); regex word boundaries one. Numeric candidates are at most
//!   [`LONGEST`] bytes; e-mail addresses, URLs and IPv6 addresses can be longer but never
//!   hold whitespace, where the copy ends. The `person` group's candidates are single words
//!   or numbers (a salutation, a first name, a house number, a birth word); their checks read
//!   what follows, spaces included, but at most [`READ_SPAN`] bytes from the candidate's
//!   start (the name, street or date, at most 64 bytes, and what ends it), and
//!   `street_address` reads at most 40 bytes before it (the street before a house number,
//!   within [`READ_BEHIND_CHARS`] characters); `person_name` reads at most three words of at
//!   most 44 bytes each before a name ([`READ_BACK`]: a lower-case salutation and particles,
//!   an unknown first name and the article before it, a place's word), and a longer word
//!   before it is no part of a name.
//! - *The search in a window is the whole-cell search.* A detector's search is a chain of
//!   steps, each from where the last one left off: after a finding, at its end; after a
//!   failed number, at the next group (after a space, `-`, `/` or `.`); after another failed
//!   match, at its end. A window's search for one detector starts right after a byte after
//!   which that detector's whole-cell search is never inside a failed match (a group
//!   separator for numbers, whitespace or `<>"'` for URLs, whitespace for e-mail addresses
//!   and for the `person` group, whose failed candidates are single words; anywhere for
//!   custom patterns without `validate` or `context`, whose candidates never fail; after
//!   whitespace for those with them, whose failed matches resume at their end), and no
//!   finding runs across that point (it would be a candidate near this zone or a merged
//!   one, starting in the window). Nor does a dropped candidate (one made only of
//!   replacement text): the search never starts inside a run of replacement text, only at
//!   its start. From there both searches take the same steps on the same text. The window
//!   takes matches up
//!   to the same kind of point after its end, or to the end of the last finding it took.
//! - *A candidate outside the windows would have been found in pass k.* Its text and
//!   context are unchanged and the searches reach it in the same way, so it was a candidate
//!   of pass k too; then it was replaced, or it overlapped a replaced finding and is in that
//!   finding's zone. A new candidate overlaps a replacement or reads it, so it starts at
//!   most [`REACH_BEFORE`] bytes before a zone (a number of at most [`LONGEST`] bytes
//!   whose context words after it reach into the zone; a `person` candidate reading the
//!   zone from [`READ_SPAN`] bytes before), inside it (a longer candidate
//!   freed by a replacement overlapped it in pass k: "https://…/4111111111111111" lost to
//!   the card, then "https://…/" is found), or at most [`READ_BEHIND`] bytes after it, or
//!   where a number's search now lands differently: within the group the zone ends in,
//!   which the window's end reaches.
//! - *Windows whose copies overlap are merged* (a merged window is just a larger one), so
//!   findings of different windows never overlap.
//!
//! Two limits, both beyond realistic text: a window grows at most [`SYNC_LIMIT`] bytes to
//! find where a search starts or stops (a number's search over 64 KiB without a space,
//! `-`, `/` or `.`); and a custom pattern matching across spaces that reads on far past its
//! match (`K.*Z`), or one with `validate` or `context` that matches across whitespace, could
//! see a different match than a whole-cell search. `tests` checks
//! the windows against whole-cell passes on generated cells.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::detect::{Scanner, CONTEXT_CHARS, READ_BACK, READ_SPAN};
use crate::rule::Redaction;

mod text;
use text::{Hay, Text};

/// Redaction passes per cell at least allowed (more for cells with many digits; each pass
/// removes what it finds, so this only bounds templates that detectors would find again).
const MAX_REDACT_PASSES: usize = 8;

/// At least the longest candidate of a numeric detector: an IBAN candidate is at most 44
/// bytes (country and check digits, seven groups of four and a last one of up to four, each
/// after a space or dash: the registry's longest IBAN, 34 characters, is 42 bytes grouped);
/// a phone number 25, a card 37.
const LONGEST: usize = 64;

/// Characters a validator reads before a candidate: a phone number's label (16 separators
/// and 16 characters of word, and one before), the group before it; 24 bytes of "Tel"
/// context; context words (national identifiers, custom `context`) within
/// [`CONTEXT_CHARS`] characters, and the one before such a word; a street's name before its
/// house number (40 bytes); the words `person_name` reads before a name ([`READ_BACK`]).
const READ_BEHIND_CHARS: usize = max(CONTEXT_CHARS + 1, READ_BACK);

/// [`READ_BEHIND_CHARS`] in bytes, at most.
const READ_BEHIND: usize = 4 * READ_BEHIND_CHARS;

/// Bytes read after a candidate: context words within [`CONTEXT_CHARS`] characters (at most
/// 4 bytes each); the `person` group's checks up to [`READ_SPAN`] bytes from its start; the
/// cheap pass that rules detectors out needs their marks (an e-mail's `@` is at most 65
/// bytes in) in the copy.
const READ_AHEAD: usize = max(4 * CONTEXT_CHARS, READ_SPAN + 16);

/// How far before a zone a window's search starts: a candidate ending within
/// [`READ_AHEAD`] bytes of the zone reads it (its context words), and a `person` candidate
/// reads it from [`READ_SPAN`] bytes before.
const REACH_BEFORE: usize = max(LONGEST + READ_AHEAD, READ_SPAN + 16);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Bytes after the right context looked through for whitespace to end the copy at, and
/// the first step by which a copy grows when a search needs more.
const TOKEN: usize = 1024;

/// How far a copy grows for a search to find where to start or stop (see
/// [`Scanner::candidates`]): beyond it, a window starts or ends where it is.
const SYNC_LIMIT: usize = 64 << 10;

/// Zones closer than this (in bytes of the cell) share a window before any copy is made.
const CLOSE: usize = 2 * (READ_BEHIND + REACH_BEFORE) + READ_AHEAD;

/// How often a long redaction looks at the cancellation flag: every this many bytes searched.
const CANCEL_STEP: usize = 64 << 10;

/// A redaction stopped because cancellation was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled;

/// Counts the bytes searched and looks at the cancellation flag every [`CANCEL_STEP`].
pub(crate) struct Interrupt<'a> {
    flag: Option<&'a AtomicBool>,
    searched: usize,
}

impl<'a> Interrupt<'a> {
    pub(crate) fn new(flag: Option<&'a AtomicBool>) -> Self {
        Interrupt { flag, searched: 0 }
    }

    /// Counts `bytes` more searched; false once cancellation was requested.
    fn searched(&mut self, bytes: usize) -> bool {
        self.searched += bytes;
        if self.searched < CANCEL_STEP {
            return true;
        }
        self.searched = 0;
        !self.flag.is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// Redacts `cell` into `out` to a fixpoint, counting replacements per detector in `counts`.
pub(crate) fn redact_cell(
    scanner: &Scanner,
    with: &Redaction,
    cell: &str,
    out: &mut String,
    counts: &mut [u64],
    interrupt: &mut Interrupt<'_>,
) -> Result<(), Cancelled> {
    let whole = Hay::whole(cell);
    let mut candidates = Vec::new();
    scanner.candidates(cell, whole.search.clone(), &mut candidates, &mut |n| interrupt.searched(n)).ok_or(Cancelled)?;
    let mut found = Vec::new();
    let mut reach = Vec::new();
    scanner.resolve(&mut candidates, &mut found, Some(&mut reach));
    if found.is_empty() {
        // Most cells.
        out.push_str(cell);
        return Ok(());
    }
    let mut text = Text::new(cell);
    let mut zones = Vec::new();
    text.replace(&whole, &found, &reach, with, counts, &mut zones);
    // A pass after the first finds what replacements exposed (numbers mostly, but a custom
    // detector's text too, e.g. "sec" "ret" joined once `with = ""` removed what stood
    // between them) and replaces at least one byte of the cell's own text (candidates of
    // replacement text only are dropped): passes are bounded by the bytes of the cell.
    // Each costs only its windows, so a long chain stays linear.
    let max_passes = MAX_REDACT_PASSES.max(cell.len() + 1);
    let mut passes = 1;
    while !zones.is_empty() && passes < max_passes {
        zones = text.pass(zones, scanner, with, counts, interrupt)?;
        passes += 1;
    }
    text.write(out);
    Ok(())
}

#[cfg(test)]
mod tests;
