//! Fonts for chart text.
//!
//! Charts must render on a machine with no system fonts, so DejaVu Sans is embedded in the
//! binary and registered with plotters' ab_glyph text renderer. `--font PATH` replaces it.
//! When names in the results use characters DejaVu Sans lacks (Chinese, Japanese, Korean …),
//! an installed font that has them (Noto Sans CJK first; the platform's fonts are listed with
//! `fontdb` on Linux, macOS and Windows) is picked automatically; without
//! one the PNG shows empty boxes for those characters, the SVG still holds the right text
//! (browsers render it with their own fonts), and nothing fails.
//!
//! The name a font is registered under is also the `font-family` written into the SVG, so
//! it is a CSS font list that browsers resolve to a similar font.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ab_glyph::{Font, FontRef};
use plotters::style::FontStyle;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see assets/DejaVuSans-LICENSE.txt).
static EMBEDDED: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// CSS font list for the embedded font: Verdana and Bitstream Vera share DejaVu's metrics.
pub const EMBEDDED_FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";

/// Font files larger than this are refused (a full CJK collection is about 20–40 MB).
pub const MAX_FONT_BYTES: u64 = 128 * 1024 * 1024;

/// The font chosen for one rendering.
#[derive(Clone, Debug)]
pub struct ChartFont {
    /// The registered plotters family (and SVG `font-family`).
    pub family: &'static str,
    /// Where the font came from, for the report ("embedded DejaVu Sans", a path).
    pub source: String,
    /// Characters of the chart text the font has no glyph for (rendered as boxes in PNGs).
    pub missing: Vec<char>,
}

struct Loaded {
    family: &'static str,
    font: FontRef<'static>,
}

/// Fonts registered so far, by path ("" for the embedded one). Registration leaks the font
/// bytes (plotters needs them for the life of the process), so each file is loaded once.
fn registry() -> &'static Mutex<HashMap<PathBuf, Option<&'static Loaded>>> {
    static R: OnceLock<Mutex<HashMap<PathBuf, Option<&'static Loaded>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn register(key: &Path, bytes: &'static [u8], family: String) -> Result<&'static Loaded, String> {
    let mut reg = registry().lock().map_err(|_| "font registry unavailable".to_string())?;
    if let Some(hit) = reg.get(key) {
        return hit.ok_or_else(|| "not a usable TrueType/OpenType font".to_string());
    }
    let result = (|| {
        let font = FontRef::try_from_slice(bytes).map_err(|_| "not a usable TrueType/OpenType font".to_string())?;
        let family: &'static str = Box::leak(family.into_boxed_str());
        plotters::style::register_font(family, FontStyle::Normal, bytes)
            .map_err(|_| "not a usable TrueType/OpenType font".to_string())?;
        Ok::<_, String>(&*Box::leak(Box::new(Loaded { family, font })))
    })();
    reg.insert(key.to_path_buf(), result.as_ref().ok().copied());
    result
}

fn embedded() -> Result<&'static Loaded, String> {
    register(Path::new(""), EMBEDDED, EMBEDDED_FAMILY.to_string()).map_err(|e| format!("embedded chart font: {e}"))
}

fn load_file(path: &Path) -> Result<&'static Loaded, String> {
    if let Ok(reg) = registry().lock()
        && let Some(hit) = reg.get(path)
    {
        return hit.ok_or_else(|| "not a usable TrueType/OpenType font".to_string());
    }
    // Bounded, and only a regular file (or a pipe): `--font /dev/zero` must not read forever.
    let bytes = crate::input::read_limited(path, MAX_FONT_BYTES).map_err(|e| e.to_string())?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    // The file name (letters only) leads the CSS list; browsers skip names they do not know.
    let stem: String = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let stem = stem.split_whitespace().collect::<Vec<_>>().join(" ");
    let cjk = "Noto Sans CJK SC, Noto Sans CJK JP, Noto Sans CJK KR, ";
    let family = format!(
        "{}{}DejaVu Sans, sans-serif",
        if stem.is_empty() { String::new() } else { format!("{stem}, ") },
        if stem.contains("CJK") { cjk } else { "" }
    );
    register(path, bytes, family)
}

/// Characters that need a glyph: everything but whitespace and control characters.
fn drawable(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(*c))
}

/// Format characters that render as nothing (joiners, direction marks, variation selectors).
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0xFE00..=0xFE0F | 0xFEFF)
}

fn missing(font: &FontRef<'_>, chars: &[char]) -> Vec<char> {
    chars.iter().copied().filter(|c| font.glyph_id(*c).0 == 0).collect()
}

/// Installed font files (regular faces of every family the system knows, found by `fontdb`
/// the way the platform lists them: fontconfig's folders on Linux, the system and user font
/// folders on macOS and Windows), CJK sans fonts first, at most `limit`.
fn system_fonts(limit: usize) -> Vec<PathBuf> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let mut out: Vec<(PathBuf, bool, String)> = Vec::new();
    for face in db.faces() {
        let path = match &face.source {
            fontdb::Source::File(p) | fontdb::Source::SharedFile(p, _) => p.clone(),
            fontdb::Source::Binary(_) => continue,
        };
        // The chosen file is registered by path (its first face): prefer plain faces.
        let plain = face.style == fontdb::Style::Normal && face.weight == fontdb::Weight::NORMAL;
        let family = face.families.first().map(|f| f.0.clone()).unwrap_or_default();
        out.push((path, plain, family));
    }
    let rank = |(p, plain, family): &(PathBuf, bool, String)| {
        let n = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let cjk = family.contains("CJK") || n.contains("CJK");
        let sans_cjk = cjk && (family.contains("Sans") || n.contains("Sans"));
        (!sans_cjk, !cjk, !*plain, n)
    };
    out.sort_by_key(rank);
    let mut seen = std::collections::HashSet::new();
    out.into_iter().map(|x| x.0).filter(|p| seen.insert(p.clone())).take(limit).collect()
}

/// Picks and registers the font for charts whose text is `texts`.
///
/// `user`: a font given with `--font`; an unreadable or invalid file is an error.
/// Otherwise the embedded font, or an installed one when the embedded font lacks glyphs.
pub fn choose(user: Option<&Path>, texts: &[&str]) -> Result<ChartFont, String> {
    let mut chars: Vec<char> = texts.iter().flat_map(|t| drawable(t)).collect();
    chars.sort_unstable();
    chars.dedup();
    if let Some(path) = user {
        let f = load_file(path).map_err(|e| format!("cannot use font {}: {e}", path.display()))?;
        return Ok(ChartFont {
            family: f.family,
            source: path.display().to_string(),
            missing: missing(&f.font, &chars),
        });
    }
    let base = embedded()?;
    let lacking = missing(&base.font, &chars);
    if lacking.is_empty() {
        return Ok(ChartFont { family: base.family, source: "embedded DejaVu Sans".into(), missing: Vec::new() });
    }
    // Some characters need another font: the installed one that covers the most of them.
    // Candidates are only parsed here; the chosen one alone is registered (and kept).
    let mut best: Option<(PathBuf, usize)> = None;
    for path in system_fonts(400) {
        let Some(m) = candidate_missing(&path, &chars) else {
            continue;
        };
        if m < lacking.len() && best.as_ref().is_none_or(|b| m < b.1) {
            best = Some((path, m));
            if m == 0 {
                break;
            }
        }
    }
    if let Some((path, _)) = best
        && let Ok(f) = load_file(&path)
    {
        return Ok(ChartFont {
            family: f.family,
            source: path.display().to_string(),
            missing: missing(&f.font, &chars),
        });
    }
    Ok(ChartFont { family: base.family, source: "embedded DejaVu Sans".into(), missing: lacking })
}

/// How many of `chars` an installed font lacks, or None when it cannot be read or parsed
/// (for example a collection or format ab_glyph does not understand).
fn candidate_missing(path: &Path, chars: &[char]) -> Option<usize> {
    if let Ok(reg) = registry().lock()
        && let Some(hit) = reg.get(path)
    {
        return hit.map(|f| missing(&f.font, chars).len());
    }
    let size = std::fs::metadata(path).ok()?.len();
    if size > 64 * 1024 * 1024 {
        return None;
    }
    let bytes = crate::input::read_limited(path, MAX_FONT_BYTES).ok()?;
    let font = FontRef::try_from_slice(&bytes).ok()?;
    Some(missing(&font, chars).len())
}

/// Makes a name safe to draw: control characters become spaces, invisible format characters
/// are dropped, runs of spaces collapse, and long names are cut with an ellipsis.
pub fn clean(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut last_space = true;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else if !is_invisible(c) {
            out.push(c);
            last_space = false;
        }
    }
    let out = out.trim_end().to_string();
    if out.chars().count() > max_chars {
        let mut cut: String = out.chars().take(max_chars.saturating_sub(1)).collect();
        cut = cut.trim_end().to_string();
        cut.push('…');
        cut
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_registers_and_covers_latin() {
        let f = choose(None, &["Downtown branch, weekday", "teller"]).unwrap();
        assert_eq!(f.family, EMBEDDED_FAMILY);
        assert!(f.missing.is_empty());
    }

    #[test]
    fn bad_user_font_is_an_error() {
        let e = choose(Some(Path::new("/nonexistent/font.ttf")), &["x"]).unwrap_err();
        assert!(e.contains("cannot use font"), "{e}");
    }

    #[test]
    fn clean_strips_controls_and_cuts() {
        assert_eq!(clean("a\n\tb\u{200B}c", 10), "a bc");
        assert_eq!(clean("abcdefghijkl", 6), "abcde…");
    }
}
