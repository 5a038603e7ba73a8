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

/// Every `*.toml` file under `dir`; hidden entries and symbolic links to folders are skipped
/// (no cycles).
fn walk_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = e.file_type()?;
        let path = e.path();
        if ft.is_dir() {
            walk_toml(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Expands a glob pattern component by component from its literal prefix.
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
    let start = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base.clone() };
    let prefix_dot = base.as_os_str().is_empty();
    walk_glob(&start, prefix_dot, &rest, out);
    Ok(())
}

fn walk_glob(dir: &Path, strip_dot: bool, pats: &[String], out: &mut Vec<PathBuf>) {
    let Some((first, rest)) = pats.split_first() else {
        out.push(dir.to_path_buf());
        return;
    };
    let join = |name: &std::ffi::OsStr| {
        if strip_dot { PathBuf::from(name) } else { dir.join(name) }
    };
    if first == "**" {
        // Zero folders...
        walk_glob(dir, strip_dot, rest, out);
        // ...or one more folder, then `**` again.
        for (name, is_dir) in list(dir) {
            if is_dir && !name.to_string_lossy().starts_with('.') {
                walk_glob(&join(&name), false, pats, out);
            }
        }
        return;
    }
    for (name, is_dir) in list(dir) {
        let s = name.to_string_lossy();
        if s.starts_with('.') && !first.starts_with('.') {
            continue;
        }
        if matches(first.as_bytes(), s.as_bytes()) {
            if rest.is_empty() {
                out.push(join(&name));
            } else if is_dir {
                walk_glob(&join(&name), false, rest, out);
            }
        }
    }
}

/// Entries of a folder, sorted by name, with whether each is a real (not linked) folder.
fn list(dir: &Path) -> Vec<(std::ffi::OsString, bool)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(std::ffi::OsString, bool)> = rd
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name(), is_dir)
        })
        .collect();
    v.sort();
    v
}

/// Shell-style matching of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!a]`.
pub fn matches(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, len)) = class(&pat[p..], name[n]) {
                        if ok {
                            p += len;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|c| *c == b'*')
}

/// Matches a `[...]` class at the start of `pat`: (matched, length of the class), or `None`
/// when the bracket is not closed (then it is a literal `[`).
fn class(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = pat.get(i).is_some_and(|x| *x == b'!' || *x == b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < pat.len() {
        let x = pat[i];
        if x == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            if pat[i] <= c && c <= pat[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if x == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn component_patterns() {
        assert!(matches(b"*.toml", b"a.toml"));
        assert!(!matches(b"*.toml", b"a.json"));
        assert!(matches(b"a?c", b"abc"));
        assert!(matches(b"[ab]*", b"branch"));
        assert!(!matches(b"[!ab]*", b"branch"));
        assert!(matches(b"[a-c]x", b"bx"));
        assert!(matches(b"*", b""));
        assert!(matches(b"x*y*z", b"xaaybbz"));
        assert!(!matches(b"x*y*z", b"xaaybb"));
        assert!(matches(b"[x", b"[x"));
    }
}
