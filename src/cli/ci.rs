//! Diagnostics for machines: JSON records (`validate --format json`), GitHub Actions
//! annotations (when `GITHUB_ACTIONS=true`) and a Markdown job summary appended to
//! `$GITHUB_STEP_SUMMARY`, so a CI run shows problems on the lines that cause them.

use std::io::Write as _;

use serde::Serialize;

use crate::check::output::gh_command;
use crate::scenario::diag::{Diagnostics, LineIndex, Severity};

/// One diagnostic as `validate --format json` prints it (line and column count from 1).
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub key: String,
    pub severity: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub variant: Option<String>,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The diagnostics of a file as records.
pub fn records(d: &Diagnostics, file: &str, source: &str) -> Vec<Record> {
    let lines = LineIndex::new(source);
    d.items
        .iter()
        .map(|i| {
            let loc = i.span.as_ref().map(|s| lines.line_col(s.start));
            Record {
                file: file.to_string(),
                line: loc.map(|l| l.0),
                column: loc.map(|l| l.1),
                key: i.key.clone(),
                severity: severity(i.severity),
                message: i.message.clone(),
                help: i.help.clone(),
                variant: i.variant.clone(),
            }
        })
        .collect()
}

/// GitHub Actions `::error`/`::warning` commands for every diagnostic.
pub fn annotations(d: &Diagnostics, file: &str, source: &str, title: &str) -> String {
    let mut out = String::new();
    for r in records(d, file, source) {
        let mut msg = r.message;
        if let Some(v) = &r.variant {
            msg = format!("in variant `{v}`: {msg}");
        }
        if let Some(h) = &r.help {
            msg.push_str(&format!(" ({h})"));
        }
        let loc = r.line.zip(r.column);
        out.push_str(&gh_command(r.severity, file, loc, title, &msg));
    }
    out
}

/// Whether to print GitHub Actions annotations.
pub fn github_actions() -> bool {
    crate::check::output::github_actions()
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Appends Markdown to the job summary file named by `GITHUB_STEP_SUMMARY`, when set. A
/// summary that cannot be written is reported but does not change the command's result.
pub fn step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else { return };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        eprintln!("warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}", std::path::Path::new(&path).display());
    }
}
