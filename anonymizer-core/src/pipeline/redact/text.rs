//! The cell as the passes left it (the cell plus a map of edits), and one pass over the
//! windows around the last pass's replacements; see the parent module for why the windows
//! are enough.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use super::{Cancelled, Interrupt, CLOSE, REACH_BEFORE, READ_AHEAD, READ_BEHIND, READ_BEHIND_CHARS, SYNC_LIMIT, TOKEN};
use crate::detect::{Finding, Scanner};
use crate::rule::Redaction;

/// The cell as the passes so far left it.
pub(super) struct Text<'c> {
    cell: &'c str,
    /// Byte ranges of the cell (start → end, never empty, never overlapping) and their text now.
    edits: BTreeMap<usize, Edit>,
}

#[derive(Debug)]
struct Edit {
    end: usize,
    text: String,
}

/// A stretch of the text copied for a window: where its pieces come from and which part is
/// searched.
pub(super) struct Hay<'t> {
    text: Cow<'t, str>,
    pieces: Vec<Piece>,
    /// The cell bytes the copy stands for.
    covers: Range<usize>,
    /// Where the search starts, and before which it takes matches.
    pub(super) search: Range<usize>,
    /// Whether the copy runs to the end of the cell.
    at_end: bool,
}

/// A zone of the last pass to search around, and how many bytes more than usual its copy
/// needs before and after (for searches that start or stop further out).
struct Window {
    zone: Range<usize>,
    before: usize,
    after: usize,
}

/// Where a stretch of a copy comes from: the cell from `from`, or the edit whose range starts there.
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: usize,
    len: usize,
    from: usize,
    edit: bool,
}

enum Part<'t> {
    Cell(Range<usize>),
    Edit(usize, &'t Edit),
}

impl<'t> Hay<'t> {
    /// The whole cell, before any edit.
    pub(super) fn whole(cell: &'t str) -> Hay<'t> {
        Hay {
            text: Cow::Borrowed(cell),
            pieces: vec![Piece { at: 0, len: cell.len(), from: 0, edit: false }],
            covers: 0..cell.len(),
            search: 0..cell.len(),
            at_end: true,
        }
    }

    /// Whether bytes `r` of the copy are all text of earlier replacements (no byte of the
    /// cell's own text).
    fn only_replacements(&self, r: Range<usize>) -> bool {
        let first = self.pieces.partition_point(|p| p.at + p.len <= r.start);
        self.pieces[first..].iter().take_while(|p| p.at < r.end).all(|p| p.edit)
    }

    /// The piece holding byte `at` of the copy (never an empty one).
    fn piece(&self, at: usize) -> Piece {
        let i = self.pieces.partition_point(|p| p.at + p.len <= at);
        self.pieces.get(i).or(self.pieces.last()).copied().unwrap_or(Piece { at: 0, len: 0, from: 0, edit: false })
    }
}

impl<'c> Text<'c> {
    /// The cell, unedited.
    pub(super) fn new(cell: &'c str) -> Self {
        Text { cell, edits: BTreeMap::new() }
    }

    /// One pass after the first: searches a window around each zone of the last pass and
    /// replaces what it finds; returns the zones of this pass.
    pub(super) fn pass(
        &mut self,
        mut zones: Vec<Range<usize>>,
        scanner: &Scanner,
        with: &Redaction,
        counts: &mut [u64],
        interrupt: &mut Interrupt<'_>,
    ) -> Result<Vec<Range<usize>>, Cancelled> {
        zones.sort_by_key(|z| z.start);
        let mut close: Vec<Range<usize>> = Vec::with_capacity(zones.len());
        for z in zones {
            match close.last_mut() {
                Some(last) if z.start <= last.end + CLOSE => last.end = last.end.max(z.end),
                _ => close.push(z),
            }
        }
        // Windows, their copies apart.
        let mut windows: Vec<Window> = Vec::with_capacity(close.len());
        let mut hays: Vec<Hay<'static>> = Vec::with_capacity(close.len());
        for zone in close {
            let window = Window { zone, before: 0, after: 0 };
            hays.push(self.hay(&window));
            windows.push(window);
            let last = windows.len() - 1;
            self.merge(&mut windows, &mut hays, last);
        }
        let mut results = Vec::with_capacity(hays.len());
        let mut candidates = Vec::new();
        let mut i = 0;
        while i < hays.len() {
            candidates.clear();
            let hay = &hays[i];
            let searched = scanner
                .candidates(&hay.text, hay.search.clone(), &mut candidates, &mut |n| interrupt.searched(n))
                .ok_or(Cancelled)?;
            // A search that started or ran too near an end of the copy needs a larger one
            // (then the copies may overlap: merge) and is done again.
            let w = &mut windows[i];
            let short_before = hay.covers.start > 0 && searched.from < READ_BEHIND && w.before < SYNC_LIMIT;
            let short_after = !hay.at_end
                && (searched.matched + READ_AHEAD > hay.text.len()
                    || searched.to + READ_AHEAD > hay.text.len() && w.after < SYNC_LIMIT);
            if short_before || short_after {
                if short_before {
                    w.before = (2 * w.before).max(TOKEN);
                }
                if short_after {
                    w.after = (2 * w.after).max(TOKEN);
                }
                hays[i] = self.hay(&windows[i]);
                i = self.merge(&mut windows, &mut hays, i);
                results.truncate(i);
                continue;
            }
            // A replacement found again (a fake e-mail address is an e-mail address) is no
            // candidate: it stays as it is, and what it overlaps may be found.
            candidates.retain(|c| !hay.only_replacements(c.start..c.end));
            let mut found = Vec::new();
            let mut reach = Vec::new();
            scanner.resolve(&mut candidates, &mut found, Some(&mut reach));
            results.push((found, reach));
            i += 1;
        }
        // Replace from the right, so that what is still to be replaced keeps its place.
        let mut next = Vec::new();
        for (hay, (found, reach)) in hays.iter().zip(&results).rev() {
            self.replace(hay, found, reach, with, counts, &mut next);
        }
        Ok(next)
    }

    /// Merges window `i` with its neighbours while their copies overlap; returns its index.
    fn merge(&self, windows: &mut Vec<Window>, hays: &mut Vec<Hay<'static>>, mut i: usize) -> usize {
        loop {
            let j = if i > 0 && hays[i - 1].covers.end > hays[i].covers.start {
                i - 1
            } else if i + 1 < hays.len() && hays[i].covers.end > hays[i + 1].covers.start {
                i
            } else {
                return i;
            };
            let next = windows.remove(j + 1);
            hays.remove(j + 1);
            let w = &mut windows[j];
            w.zone = w.zone.start.min(next.zone.start)..w.zone.end.max(next.zone.end);
            w.before = w.before.max(next.before);
            w.after = w.after.max(next.after);
            hays[j] = self.hay(w);
            i = j;
        }
    }

    /// Replaces `found` (in `hay`'s coordinates), right to left, and adds each one's zone.
    pub(super) fn replace(
        &mut self,
        hay: &Hay<'_>,
        found: &[Finding],
        reach: &[Range<usize>],
        with: &Redaction,
        counts: &mut [u64],
        zones: &mut Vec<Range<usize>>,
    ) {
        for (f, r) in found.iter().zip(reach).rev() {
            let (start, prefix) = self.start_of(hay, f.start);
            let (end, suffix) = self.end_of(hay, f.end);
            let mut text = String::with_capacity(prefix.len() + suffix.len() + 24);
            text.push_str(prefix);
            match with {
                Redaction::Template(t) => text.push_str(&t[f.detector]),
                Redaction::Pseudonym(p) => p[f.detector].token_into(&hay.text.as_bytes()[f.start..f.end], &mut text),
                Redaction::Fake(fakes) => match &fakes[f.detector] {
                    Ok(faker) => faker.fake_into(&hay.text.as_bytes()[f.start..f.end], &mut text),
                    Err(template) => text.push_str(template),
                },
            }
            text.push_str(suffix);
            let zone = self.start_of(hay, r.start).0.min(start)..self.end_of(hay, r.end).0.max(end);
            let (mut start, mut end) = (start, end);
            while let Some(k) = self.edits.range(start..end).next().map(|(&k, _)| k) {
                self.edits.remove(&k);
            }
            // An edit without text never touches another one: their ranges merge, so a walk
            // through the text meets at most one edit per byte of text.
            if let Some((&k, before)) = self.edits.range(..start).next_back() {
                if before.end == start && (before.text.is_empty() || text.is_empty()) {
                    text.insert_str(0, &before.text);
                    start = k;
                    self.edits.remove(&k);
                }
            }
            if let Some(after) = self.edits.get(&end) {
                if after.text.is_empty() || text.is_empty() {
                    text.push_str(&after.text);
                    let next = after.end;
                    self.edits.remove(&end);
                    end = next;
                }
            }
            self.edits.insert(start, Edit { end, text });
            counts[f.detector] += 1;
            zones.push(zone);
        }
    }

    /// The cell position a finding starting at `at` in `hay` starts at, and the text of the
    /// edit it starts in that stays before it.
    fn start_of(&self, hay: &Hay<'_>, at: usize) -> (usize, &str) {
        let p = hay.piece(at);
        if !p.edit {
            return (p.from + (at - p.at), "");
        }
        let kept = self.edits.get(&p.from).and_then(|e| e.text.get(..at - p.at)).unwrap_or("");
        (p.from, kept)
    }

    /// The cell position a finding ending at `at` (> 0) in `hay` ends at, and the text of the
    /// edit it ends in that stays after it.
    fn end_of(&self, hay: &Hay<'_>, at: usize) -> (usize, &str) {
        let p = hay.piece(at.saturating_sub(1));
        if !p.edit {
            return (p.from + (at - p.at), "");
        }
        match self.edits.get(&p.from) {
            Some(e) => (e.end, e.text.get(at - p.at..).unwrap_or("")),
            None => (p.from, ""),
        }
    }

    /// Moves `at` back to the start of the edit it is inside, if any.
    fn floor(&self, at: usize) -> usize {
        match self.edits.range(..at).next_back() {
            Some((&k, e)) if e.end > at => k,
            _ => at,
        }
    }

    /// Moves `at` on to the end of the edit it is inside, if any.
    fn ceil(&self, at: usize) -> usize {
        match self.edits.range(..at).next_back() {
            Some((_, e)) if e.end > at => e.end,
            _ => at,
        }
    }

    /// Copies a window: its zone, the margins and the context around them.
    fn hay(&self, window: &Window) -> Hay<'static> {
        let z0 = self.floor(window.zone.start);
        let z1 = self.ceil(window.zone.end).max(z0);
        let mut parts = Vec::new();
        // Before the zone: context and margin, walking back.
        let want = READ_BEHIND + REACH_BEFORE + window.before;
        let (mut got, mut at) = (0, z0);
        let mut edits = self.edits.range(..z0).rev().peekable();
        while got < want && at > 0 {
            match edits.peek().copied() {
                Some((&k, e)) if e.end == at => {
                    got += e.text.len();
                    parts.push(Part::Edit(k, e));
                    at = k;
                    edits.next();
                }
                prev => {
                    let floor = prev.map_or(0, |(_, e)| e.end);
                    let mut from = at.saturating_sub(want - got).max(floor);
                    while !self.cell.is_char_boundary(from) {
                        from -= 1;
                    }
                    got += at - from;
                    parts.push(Part::Cell(from..at));
                    at = from;
                }
            }
        }
        parts.reverse();
        let zone_first = parts.len();
        // The zone.
        let mut at = z0;
        for (&k, e) in self.edits.range(z0..z1) {
            if k > at {
                parts.push(Part::Cell(at..k));
            }
            parts.push(Part::Edit(k, e));
            at = e.end;
        }
        if at < z1 {
            parts.push(Part::Cell(at..z1));
        }
        let zone_end_part = parts.len();
        // After it: margin and context; then on to whitespace, where no e-mail address or
        // URL a search reads on can continue.
        let want = READ_BEHIND + READ_AHEAD + window.after;
        let (mut got, mut at, mut token) = (0, z1, TOKEN);
        let mut edits = self.edits.range(z1..).peekable();
        while at < self.cell.len() {
            match edits.peek().copied() {
                Some((&k, e)) if k == at => {
                    parts.push(Part::Edit(k, e));
                    at = e.end;
                    edits.next();
                    if got >= want {
                        token = token.saturating_sub(e.text.len());
                    }
                    got += e.text.len();
                }
                next => {
                    let ceil = next.map_or(self.cell.len(), |(&k, _)| k);
                    let mut to = if got < want {
                        (at + (want - got)).min(ceil)
                    } else {
                        let scan = &self.cell.as_bytes()[at..ceil.min(at + token)];
                        match scan.iter().position(u8::is_ascii_whitespace) {
                            Some(i) => at + i + 1,
                            None => {
                                token -= scan.len();
                                at + scan.len()
                            }
                        }
                    };
                    while !self.cell.is_char_boundary(to) {
                        to += 1;
                    }
                    let done = got >= want && self.cell.as_bytes()[..to].last().is_some_and(u8::is_ascii_whitespace);
                    got += to - at;
                    parts.push(Part::Cell(at..to));
                    at = to;
                    if done {
                        break;
                    }
                }
            }
            if got >= want && token == 0 {
                break;
            }
        }
        let at_end = at >= self.cell.len();
        // Copy.
        let mut text = String::with_capacity(parts.len() * 16 + 2 * want);
        let mut pieces = Vec::with_capacity(parts.len());
        let (mut zone_start, mut zone_end) = (None, None);
        for (i, part) in parts.iter().enumerate() {
            if i == zone_first {
                zone_start = Some(text.len());
            }
            if i == zone_end_part {
                zone_end = Some(text.len());
            }
            let piece = match part {
                Part::Cell(r) => {
                    text.push_str(&self.cell[r.clone()]);
                    Piece { at: text.len() - r.len(), len: r.len(), from: r.start, edit: false }
                }
                Part::Edit(k, e) => {
                    text.push_str(&e.text);
                    Piece { at: text.len() - e.text.len(), len: e.text.len(), from: *k, edit: true }
                }
            };
            pieces.push(piece);
        }
        let zone = zone_start.unwrap_or(text.len())..zone_end.unwrap_or(text.len());
        let covers = parts.first().map_or(z0, |p| match p {
            Part::Cell(r) => r.start,
            Part::Edit(k, _) => *k,
        })..at.max(z1);
        let mut search = search_range(&text, zone);
        // Not inside replacement text: a candidate made only of it is dropped, and a whole-
        // cell search would have matched (and dropped) it from its start, not from within.
        let piece_of = |b: usize| pieces.get(pieces.partition_point(|p| p.at + p.len <= b));
        while search.start > 0 && piece_of(search.start).is_some_and(|p| p.edit) {
            match piece_of(search.start - 1) {
                Some(p) if p.edit => search.start = p.at,
                _ => break,
            }
        }
        Hay { text: Cow::Owned(text), pieces, covers, search, at_end }
    }

    /// The text now.
    pub(super) fn write(&self, out: &mut String) {
        let mut at = 0;
        for (&k, e) in &self.edits {
            out.push_str(&self.cell[at..k]);
            out.push_str(&e.text);
            at = e.end;
        }
        out.push_str(&self.cell[at..]);
    }
}

/// Where a window's search runs in its copy `text`, around the zone's bytes `zone`: from
/// [`REACH_BEFORE`] bytes before the zone to [`READ_BEHIND_CHARS`] characters after it
/// (each detector's search then starts and stops where a whole-cell search would be
/// between matches).
fn search_range(text: &str, zone: Range<usize>) -> Range<usize> {
    let mut start = zone.start.saturating_sub(REACH_BEFORE);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let after = text[zone.end..].char_indices().nth(READ_BEHIND_CHARS).map_or(text.len(), |(i, _)| zone.end + i);
    start..after.max(zone.end + 24).min(text.len())
}
