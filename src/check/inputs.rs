//! Which scenario files `check` runs: files, folders (every `*.toml` inside, recursively) and
//! glob patterns (`*`, `?`, `[a-z]`, `[!x]`, `**`), for CI systems that pass patterns unexpanded.
//!
//! The result is sorted within each argument and free of duplicates, so the same command line
//! always checks the same files in the same order.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// Expands the command-line arguments into scenario files, in argument order.
pub fn expand(args: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<String>> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut errors = Vec::new();
    for arg in args {
        let found = expand_one(arg);
        match found {
            Ok(files) if files.is_empty() => errors.push(format!(
                "{}: {}",
                arg.display(),
                if arg.is_dir() { "the folder holds no *.toml files" } else { "no files match this pattern" }
            )),
            Ok(files) => {
                for f in files {
                    let key = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
                    if seen.insert(key) {
                        out.push(f);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn expand_one(arg: &Path) -> Result<Vec<PathBuf>, String> {
    if arg.is_dir() {
        let mut files = Vec::new();
        walk_toml(arg, &mut files).map_err(|e| format!("{}: cannot read the folder: {e}", arg.display()))?;
        files.sort();
        return Ok(files);
    }
    if arg.exists() {
        return Ok(vec![arg.to_path_buf()]);
    }
    let text = arg.to_string_lossy();
    if !has_meta(&text) {
        return Err(format!("{}: no such file or folder", arg.display()));
    }
    let mut matches = Vec::new();
    glob(arg, &mut matches).map_err(|e| format!("{}: {e}", arg.display()))?;
    matches.sort();
    matches.dedup();
    let mut files = Vec::new();
    for m in matches {
        if m.is_dir() {
            let mut inner = Vec::new();
            walk_toml(&m, &mut inner).map_err(|e| format!("{}: cannot read the folder: {e}", m.display()))?;
            inner.sort();
            files.extend(inner);
        } else {
            files.push(m);
        }
    }
    Ok(files)
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Entries not to descend into or list: hidden names (`.git`, editor backups, branchsim's own
/// staging folders).
fn hidden(e: &walkdir::DirEntry) -> bool {
    e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.')
}

/// Every `*.toml` file under `dir`, sorted by name; hidden entries are skipped and symbolic
/// links to folders are not followed (no cycles).
fn walk_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| !hidden(e)) {
        let e = e.map_err(std::io::Error::other)?;
        let path = e.path();
        if e.file_type().is_file() && path.extension().is_some_and(|x| x == "toml") {
            out.push(path.to_path_buf());
        }
    }
    Ok(())
}

/// Expands a glob pattern: its literal leading folders are the base walked with `walkdir`; the
/// rest is matched, path relative to the base, by the `glob` crate's `Pattern`, which matches
/// by character (`?` matches `城`; globset and a hand-written matcher matched bytes), with `*`
/// staying within one folder, `**` crossing folders and hidden names matched only by a
/// pattern that starts with a dot.
fn glob(pattern: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut base = PathBuf::new();
    let mut rest: Vec<String> = Vec::new();
    for c in pattern.components() {
        let s = c.as_os_str().to_string_lossy().into_owned();
        if rest.is_empty() && !(matches!(c, Component::Normal(_)) && has_meta(&s)) {
            base.push(c.as_os_str());
        } else {
            rest.push(s);
        }
    }
    let pat = glob::Pattern::new(&rest.join("/")).map_err(|e| format!("not a valid pattern: {}", e.msg))?;
    let options =
        glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
    let start = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base.clone() };
    let mut walk = walkdir::WalkDir::new(&start).min_depth(1).sort_by_file_name();
    if !rest.iter().any(|c| c.contains("**")) {
        walk = walk.max_depth(rest.len());
    }
    // A hidden entry is matched only by a pattern component that itself starts with a dot.
    let dot_ok = rest.iter().any(|c| c.starts_with('.'));
    for e in walk.into_iter().filter_entry(|e| dot_ok || !hidden(e)).flatten() {
        let Ok(rel) = e.path().strip_prefix(&start) else { continue };
        if pat.matches_path_with(rel, options) {
            out.push(if base.as_os_str().is_empty() { rel.to_path_buf() } else { e.path().to_path_buf() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn patterns_match_characters_not_bytes() {
        let dir = std::env::temp_dir().join(format!("branchsim-globs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in ["g/城.toml", "g/ab.toml", "g/a.toml", "g/sub/deep.toml", "g/.hidden.toml", "g/x.json"] {
            let p = dir.join(f);
            let _ = std::fs::create_dir_all(p.parent().unwrap_or(&dir));
            let _ = std::fs::write(&p, "");
        }
        let names = |pat: &str| -> Vec<String> {
            let files = expand(&[dir.join(pat)]).unwrap_or_default();
            files.iter().map(|f| f.strip_prefix(&dir).unwrap_or(f).to_string_lossy().into_owned()).collect()
        };
        // `?` is one character: the three-byte `城` matches (a bytewise matcher skipped it).
        assert_eq!(names("g/?.toml"), ["g/a.toml", "g/城.toml"]);
        assert_eq!(names("g/*.toml"), ["g/a.toml", "g/ab.toml", "g/城.toml"]);
        assert_eq!(names("g/**/*.toml"), ["g/a.toml", "g/ab.toml", "g/sub/deep.toml", "g/城.toml"]);
        assert_eq!(names("g/[!a]*.toml"), ["g/城.toml"]);
        assert_eq!(names("g/.*.toml"), ["g/.hidden.toml"]);
        // A folder: every *.toml inside, hidden ones skipped.
        assert_eq!(names("g"), ["g/a.toml", "g/ab.toml", "g/sub/deep.toml", "g/城.toml"]);
        assert!(expand(&[dir.join("g/*.nothing")]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
