//! Compiler-style diagnostics for rule files: `file:line:col: error: message`, the source
//! line with a caret, and a hint. A rule file is the author's own text, so quoting its line
//! is fine; cell values from input files never reach a diagnostic.

use std::fmt;
use std::ops::Range;

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was found and what was expected.
    pub message: String,
    /// A did-you-mean or how to fix it.
    pub hint: Option<String>,
    source_line: String,
    underline: usize,
}

/// All problems of one rule file, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file name as shown to the user.
    pub origin: String,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Number of problems.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no problems.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{}:{}:{}: error: {}", self.origin, d.line, d.column, d.message)?;
            if !d.source_line.is_empty() {
                let gutter = d.line.to_string().len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{} | {}", d.line, d.source_line)?;
                write!(
                    f,
                    "{:gutter$} | {}{}",
                    "",
                    " ".repeat(d.column.saturating_sub(1)),
                    "^".repeat(d.underline.max(1))
                )?;
            }
            if let Some(h) = &d.hint {
                write!(f, "\n{:gutter$} = help: {h}", "", gutter = d.line.to_string().len())?;
            }
        }
        let n = self.items.len();
        write!(f, "\n{}: {n} problem{} found", self.origin, if n == 1 { "" } else { "s" })
    }
}

/// Collects diagnostics against one source text, turning byte spans into line:column.
#[derive(Debug)]
pub(crate) struct Sink<'s> {
    src: &'s str,
    pub(crate) items: Vec<Diagnostic>,
}

impl<'s> Sink<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Sink { src, items: Vec::new() }
    }

    pub(crate) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.src.len());
        self.src.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
    }

    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: Option<String>) {
        let start = floor_char(self.src, span.start.min(self.src.len()));
        let line_start = self.src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.src[start..].find('\n').map_or(self.src.len(), |i| start + i);
        let source_line = self.src[line_start..line_end].trim_end_matches('\r').to_string();
        let column = self.src[line_start..start].chars().count() + 1;
        let end = floor_char(self.src, span.end.clamp(start, line_end));
        let underline = self.src[start..end].chars().count();
        self.items.push(Diagnostic {
            line: self.line_of(start),
            column,
            message: message.into(),
            hint,
            source_line,
            underline,
        });
    }

    pub(crate) fn finish(mut self, origin: &str) -> Diagnostics {
        self.items.sort_by_key(|d| (d.line, d.column));
        self.items.dedup();
        Diagnostics { origin: origin.to_string(), items: self.items }
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `did you mean "x"?` for the closest candidate, if it is close enough.
pub(crate) fn did_you_mean<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&got.to_lowercase(), &c.to_lowercase());
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean \"{c}\"?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_chars() {
        let src = "a = 1\nnäme = \"x\"\n";
        let mut s = Sink::new(src);
        let at = src.find('"').unwrap();
        s.error(at..at + 3, "bad", Some("fix".into()));
        let d = s.finish("r.toml");
        assert_eq!((d.items[0].line, d.items[0].column), (2, 8));
        let text = d.to_string();
        assert!(text.starts_with("r.toml:2:8: error: bad"), "{text}");
        assert!(text.contains("^^^"), "{text}");
        assert!(text.contains("= help: fix"), "{text}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("pseudonymise", ["keep", "pseudonymize"]).as_deref(),
            Some("did you mean \"pseudonymize\"?")
        );
        assert_eq!(did_you_mean("zzz", ["keep", "pseudonymize"]), None);
    }
}
