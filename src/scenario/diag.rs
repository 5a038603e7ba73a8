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

    /// Renders the diagnostic the way rustc does (with `annotate-snippets`): a title with the
    /// key path, `--> file:line:col`, the source line with the span underlined — placed by
    /// display width, so a line holding Chinese text still points at the right column — and
    /// the help. Coloured when `set_color(true)` was called (a terminal, `--color always`).
    pub fn render(&self, file: &str, source: &str) -> String {
        self.render_styled(file, source, color())
    }

    /// `render`, with colour chosen by the caller.
    pub fn render_styled(&self, file: &str, source: &str, styled: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // Key paths hold names written as keys (`calendars.NAME`, `service_for.NAME`): cleaned
        // like the message.
        let mut title = String::new();
        if let Some(v) = &self.variant {
            let _ = write!(title, "in variant `{}` ", printable(v));
        }
        if !self.key.is_empty() {
            let _ = write!(title, "at `{}` ", printable(&self.key));
        }
        let title = if title.is_empty() {
            printable(&self.message)
        } else {
            format!("{}: {}", title.trim_end(), printable(&self.message))
        };
        let file = printable(file);
        let mut group = Group::with_title(level.primary_title(title));
        match self.span.as_ref().and_then(|span| excerpt(source, span)) {
            Some(x) => {
                group = group.element(
                    Snippet::source(x.text)
                        .line_start(x.line)
                        .path(file.as_str())
                        .fold(false)
                        .annotation(AnnotationKind::Primary.span(x.range)),
                );
            }
            None => group = group.element(Origin::path(file.as_str())),
        }
        if let Some(h) = &self.help {
            group = group.element(Level::HELP.message(printable(h)));
        }
        let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
        let mut out = renderer.render(&[group]);
        out.push('\n');
        out
    }
}

/// Whether diagnostics are rendered with colour (ANSI styles). Set once by the command line
/// (`--color`, `NO_COLOR`, whether stderr is a terminal); plain text otherwise.
static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_color(on: bool) {
    COLOR.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn color() -> bool {
    COLOR.load(std::sync::atomic::Ordering::Relaxed)
}

/// The source line a span starts on, cleaned for a terminal and cut to `MAX_LINE_CHARS`
/// around the span, with the span as a byte range into it.
struct Excerpt {
    text: String,
    line: usize,
    range: Range<usize>,
}

fn excerpt(source: &str, span: &Range<usize>) -> Option<Excerpt> {
    let (line, col) = line_col(source, span.start);
    let text = source.lines().nth(line - 1)?.trim_end_matches('\r');
    let span_chars = source[span.start.min(source.len())..span.end.min(source.len())]
        .chars()
        .take_while(|c| *c != '\n')
        .count()
        .clamp(1, 80);
    // Control and bidi characters would garble the terminal: shown as U+FFFD (tabs as a space,
    // whose width is known).
    let clean = |c: char| {
        if c == '\t' {
            ' '
        } else if unsafe_for_terminal(c) {
            '\u{FFFD}'
        } else {
            c
        }
    };
    let chars: Vec<char> = text.chars().map(clean).collect();
    let (from, to) = if chars.len() > MAX_LINE_CHARS {
        let from = (col - 1).saturating_sub(MAX_LINE_CHARS / 3);
        (from, (from + MAX_LINE_CHARS).min(chars.len()))
    } else {
        (0, chars.len())
    };
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut start = None;
    let mut end = None;
    for (i, &c) in chars.iter().enumerate().take(to).skip(from) {
        if i == col - 1 {
            start = Some(out.len());
        }
        if i == col - 1 + span_chars {
            end = Some(out.len());
        }
        out.push(c);
    }
    let len = out.len();
    if to < chars.len() {
        out.push('…');
    }
    // A span at the end of the line (a missing value) points just past it.
    let start = start.unwrap_or(len);
    let end = end.unwrap_or(len).max(start);
    Some(Excerpt { text: out, line, range: start..end })
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

/// Line starts of one source, for many [`line_col`] look-ups in it: a generated file with
/// 20,000 problems would otherwise be scanned from its start 20,000 times (quadratic: 7 s of
/// CPU for a 300 KB file).
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { source, starts }
    }

    /// The same as [`line_col`]`(source, offset)`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }
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
    fn line_index_agrees_with_line_col() {
        let src = "a = 1\n名字 = \"城\"\n\n\nlast = 2";
        let idx = LineIndex::new(src);
        for off in 0..=src.len() + 2 {
            assert_eq!(idx.line_col(off), line_col(src, off), "offset {off}");
        }
        assert_eq!(LineIndex::new("").line_col(0), (1, 1));
    }

    #[test]
    fn line_col_counts_characters() {
        let src = "a = 1\nname = \"城东\"\nx = 2";
        let off = src.find('x').unwrap_or(0);
        assert_eq!(line_col(src, off), (3, 1));
        let off = src.find('"').unwrap_or(0) + 1;
        assert_eq!(line_col(src, off), (2, 9));
    }

    #[test]
    fn the_caret_is_placed_by_display_width() {
        // Six double-width characters before the value: a caret placed by character count
        // would land six columns to the left of it.
        let src = "name = \"城东支行分行\" ; bad = oops\n";
        let at = src.find("oops").unwrap_or(0);
        let mut d = Diagnostics::default();
        d.error(Some(at..at + 4), "bad", "not a number");
        let out = d.render("f.toml", src);
        let lines: Vec<&str> = out.lines().collect();
        let code = lines.iter().find(|l| l.contains("oops")).unwrap_or(&"");
        let caret = lines.iter().find(|l| l.contains('^')).unwrap_or(&"");
        let width = |s: &str| unicode_width::UnicodeWidthStr::width(s);
        let code_col = width(&code[..code.find("oops").unwrap_or(0)]);
        let caret_col = width(&caret[..caret.find('^').unwrap_or(0)]);
        assert_eq!(code_col, caret_col, "{out}");
        assert_eq!(caret.matches('^').count(), 4, "{out}");
        assert!(out.contains("--> f.toml:1:"), "{out}");
    }

    #[test]
    fn colour_only_when_asked() {
        let mut d = Diagnostics::default();
        d.error(Some(0..4), "name", "bad");
        assert!(!d.items[0].render_styled("f.toml", "name = 1\n", false).contains('\u{1b}'));
        let styled = d.items[0].render_styled("f.toml", "name = 1\n", true);
        assert!(styled.contains("\u{1b}["), "{styled:?}");
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
        assert_eq!(first, "error: at `k39`: the one error");
        assert_eq!(out.matches("warning: at").count(), MAX_RENDERED - 1);
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
