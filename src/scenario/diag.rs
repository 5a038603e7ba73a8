//! Diagnostics: every problem found in a scenario file, with where it is and what to do.
//!
//! Validation never stops at the first problem: a planner fixing a file by hand wants the
//! whole list at once. Each diagnostic carries a byte span into the source so that the
//! renderer can name the line and column and show the offending line.

use std::fmt::Write as _;
use std::ops::Range;

/// Most diagnostics printed for one file; the rest are counted.
pub const MAX_RENDERED: usize = 20;

/// Longest source line shown in full under a diagnostic; longer lines are cut around the
/// column (a minified or generated file can have a line of megabytes).
pub const MAX_LINE_CHARS: usize = 160;

/// How bad a problem is: errors stop the run, warnings are printed and the run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in a scenario file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Byte range in the source text (empty range when the problem has no location).
    pub span: Option<Range<usize>>,
    /// Dotted key path, e.g. `steps[2].resource` (may be empty for file-level problems).
    pub key: String,
    pub message: String,
    /// Optional extra advice, e.g. "did you mean `teller`?".
    pub help: Option<String>,
    /// The variant being checked, when the problem only shows in a variant.
    pub variant: Option<String>,
}

/// Collects diagnostics while a file is read, validated and compiled.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn error(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Error, span, key.into(), msg.into())
    }

    pub fn warning(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Warning, span, key.into(), msg.into())
    }

    fn push(
        &mut self,
        severity: Severity,
        span: Option<Range<usize>>,
        key: String,
        message: String,
    ) -> &mut Diagnostic {
        self.items.push(Diagnostic { severity, span, key, message, help: None, variant: None });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Sorts by position so that the report reads top to bottom; stable for equal spans.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    }

    /// Renders every diagnostic as `file:line:col: error: ...` followed by the source line
    /// (at most `MAX_RENDERED` of them: a broken generated file can hold thousands).
    ///
    /// Errors come first (each group in position order): a file with many warnings and one
    /// error must show the error, which is what stops the run.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        let file_label = printable(file);
        let mut ordered: Vec<&Diagnostic> = self.items.iter().filter(|d| d.severity == Severity::Error).collect();
        ordered.extend(self.items.iter().filter(|d| d.severity != Severity::Error));
        for d in ordered.iter().take(MAX_RENDERED) {
            out.push_str(&d.render(file, source));
        }
        if ordered.len() > MAX_RENDERED {
            let rest = &ordered[MAX_RENDERED..];
            let errors = rest.iter().filter(|d| d.severity == Severity::Error).count();
            let _ = writeln!(
                out,
                "{file_label}: ... and {} more problem(s) not shown ({errors} error(s), {} warning(s)); fix the ones above first",
                rest.len(),
                rest.len() - errors
            );
        }
        out
    }
}

impl Diagnostic {
    pub fn with_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let loc = self.span.as_ref().map(|s| line_col(source, s.start));
        // Key paths hold names written as keys (`calendars.NAME`, `service_for.NAME`): cleaned
        // like the message.
        let file = printable(file);
        match loc {
            Some((line, col)) => {
                let _ = write!(out, "{file}:{line}:{col}: {level}");
            }
            None => {
                let _ = write!(out, "{file}: {level}");
            }
        }
        if let Some(v) = &self.variant {
            let _ = write!(out, " in variant `{}`", printable(v));
        }
        if !self.key.is_empty() {
            let _ = write!(out, " at `{}`", printable(&self.key));
        }
        let _ = writeln!(out, ": {}", printable(&self.message));
        if let (Some((line, col)), Some(span)) = (loc, &self.span) {
            if let Some(text) = source.lines().nth(line - 1) {
                let width = line.to_string().len();
                let text = text.trim_end_matches('\r');
                let span_len = source[span.start.min(source.len())..span.end.min(source.len())]
                    .chars()
                    .take_while(|c| *c != '\n')
                    .count()
                    .max(1);
                // Control and bidi characters would garble the terminal: shown as U+FFFD.
                let clean = |c: char| if c != '\t' && unsafe_for_terminal(c) { '\u{FFFD}' } else { c };
                let n_chars = text.chars().count();
                let (text, col) = if n_chars > MAX_LINE_CHARS {
                    let from = (col - 1).saturating_sub(MAX_LINE_CHARS / 3);
                    let to = (from + MAX_LINE_CHARS).min(n_chars);
                    let mut cut: String = if from > 0 { "…".into() } else { String::new() };
                    cut.extend(text.chars().skip(from).take(to - from).map(clean));
                    if to < n_chars {
                        cut.push('…');
                    }
                    (cut, col - from + usize::from(from > 0))
                } else {
                    (text.chars().map(clean).collect(), col)
                };
                let _ = writeln!(out, "{:width$} |", "");
                let _ = writeln!(out, "{line} | {text}");
                let pad: String = text.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let _ = writeln!(out, "{:width$} | {pad}{}", "", "^".repeat(span_len.min(80)));
            }
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "  = help: {}", printable(h));
        }
        out
    }
}

/// Text for a terminal: control characters (an escape sequence in a name quoted by a message)
/// and bidirectional formatting characters become U+FFFD.
pub fn printable(s: &str) -> String {
    s.chars().map(|c| if c != '\n' && c != '\t' && unsafe_for_terminal(c) { '\u{FFFD}' } else { c }).collect()
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they
/// reorder the text that follows them on screen, so a name could make a message or a table
/// row read differently from what it says ("Trojan Source", CVE-2021-42574). Other format
/// characters (zero-width joiners, soft hyphens) are ordinary parts of names in many scripts.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters never written raw to a terminal: control characters and bidi controls.
pub fn unsafe_for_terminal(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

/// The closest candidate to `name` by edit distance, if it is plausibly a typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for cand in candidates {
        let score = strsim::normalized_damerau_levenshtein(&lower, &cand.to_lowercase());
        let prefix = cand.to_lowercase().starts_with(&lower) || lower.starts_with(&cand.to_lowercase());
        let score = if prefix && !lower.is_empty() { score.max(0.7) } else { score };
        if score >= 0.5 && best.is_none_or(|(_, s)| score > s) {
            best = Some((cand, score));
        }
    }
    best.map(|(c, _)| c)
}

/// "did you mean `x`?" or the list of valid names when nothing is close.
pub fn did_you_mean(name: &str, candidates: &[&str]) -> String {
    match suggest(name, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if candidates.is_empty() => "none are defined".to_string(),
        None => {
            let list: Vec<String> = candidates.iter().take(12).map(|c| format!("`{c}`")).collect();
            format!("valid names: {}", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "a = 1\nname = \"城东\"\nx = 2";
        let off = src.find('x').unwrap_or(0);
        assert_eq!(line_col(src, off), (3, 1));
        let off = src.find('"').unwrap_or(0) + 1;
        assert_eq!(line_col(src, off), (2, 9));
    }

    #[test]
    fn errors_are_rendered_first_and_never_pushed_out_by_warnings() {
        let src = (0..40).map(|i| format!("k{i} = 1\n")).collect::<String>();
        let mut d = Diagnostics::default();
        for i in 0..30 {
            let at = src.find(&format!("k{i} ")).unwrap_or(0);
            d.warning(Some(at..at + 2), format!("k{i}"), format!("warning number {i}"));
        }
        let last = src.find("k39 ").unwrap_or(0);
        d.error(Some(last..last + 3), "k39", "the one error");
        d.sort();
        let out = d.render("f.toml", &src);
        let first = out.lines().next().unwrap_or("");
        assert_eq!(first, "f.toml:40:1: error at `k39`: the one error");
        assert_eq!(out.matches(": warning at").count(), MAX_RENDERED - 1);
        // Warnings keep their order (top to bottom) after the errors.
        let w0 = out.find("warning number 0").unwrap_or(usize::MAX);
        let w1 = out.find("warning number 1\n").unwrap_or(usize::MAX);
        assert!(w0 < w1, "{out}");
        assert!(out.contains("... and 11 more problem(s) not shown (0 error(s), 11 warning(s))"), "{out}");
    }

    #[test]
    fn bidi_controls_are_cleaned_everywhere_a_diagnostic_prints_text() {
        for c in
            ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            assert!(is_bidi_control(c) && unsafe_for_terminal(c));
            assert_eq!(printable(&format!("a{c}b")), "a\u{FFFD}b");
        }
        // Joiners and marks that names in many scripts need are kept.
        let persian = "می\u{200C}خواهم";
        assert_eq!(printable(persian), persian);
        assert_eq!(printable("👩\u{200D}💼 城东"), "👩\u{200D}💼 城东");
        let src = "[calendars.\"x\u{202E}y\"] # \u{2066}note\n";
        let mut d = Diagnostics::default();
        d.error(Some(11..18), "calendars.x\u{202E}y", "bad \u{2067}name").with_help("help \u{2068}here");
        d.items[0].variant = Some("v\u{2069}".into());
        let out = d.render("f\u{202D}.toml", src);
        assert!(!out.chars().any(is_bidi_control), "{out:?}");
        assert!(out.contains("at `calendars.x\u{FFFD}y`"), "{out}");
    }

    #[test]
    fn suggests_typos_only() {
        assert_eq!(suggest("teler", ["teller", "advisor"]), Some("teller"));
        assert_eq!(suggest("replicatons", ["replications", "seed"]), Some("replications"));
        assert_eq!(suggest("zzz", ["teller", "advisor"]), None);
    }
}
