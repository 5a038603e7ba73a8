//! `branchsim validate FILE|FOLDER|PATTERN...`: check scenario files without simulating;
//! text (default) or JSON diagnostics, GitHub annotations and a job summary in CI.

use std::fmt::Write as _;

use serde::Serialize;

use super::ci::{self, Record};
use super::{EXIT_BAD_INPUT, EXIT_OK, ValidateArgs, ValidateFormat, error};
use crate::scenario;

/// One file's result in `validate --format json`.
#[derive(Serialize)]
struct FileResult {
    file: String,
    valid: bool,
    /// The baseline's name, when the file is valid.
    scenario: Option<String>,
    variants: Vec<String>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<Record>,
}

#[derive(Serialize)]
struct Output {
    branchsim_version: &'static str,
    valid: bool,
    files: Vec<FileResult>,
}

pub fn validate(a: &ValidateArgs) -> i32 {
    let files = match crate::check::inputs::expand(&a.files) {
        Ok(f) => f,
        Err(errors) => {
            for e in errors {
                error(&e);
            }
            for h in a.files.iter().filter_map(|f| super::path_hint(f)) {
                eprintln!("help: {h}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    let json = a.format == ValidateFormat::Json;
    let gha = ci::github_actions();
    let mut results = Vec::new();
    let mut annotations = String::new();
    for f in &files {
        let r = match scenario::load_file(f) {
            Ok(l) => {
                if !a.quiet && !json {
                    eprint!("{}", l.warnings.render(&l.path, &l.source));
                }
                let variants: Vec<String> = l.variants.iter().skip(1).map(|v| v.name.clone()).collect();
                if !a.quiet && !json {
                    let extra = if variants.is_empty() {
                        String::new()
                    } else {
                        format!(", variants: {}", variants.join(", "))
                    };
                    println!("ok: {} — \"{}\"{extra}", l.path, l.baseline().model.name);
                }
                annotations.push_str(&ci::annotations(&l.warnings, &l.path, &l.source, "branchsim validate"));
                FileResult {
                    file: l.path.clone(),
                    valid: true,
                    scenario: Some(l.baseline().model.name.clone()),
                    variants,
                    errors: 0,
                    warnings: l.warnings.warning_count(),
                    diagnostics: ci::records(&l.warnings, &l.path, &l.source),
                }
            }
            Err(e) => {
                if !json {
                    eprint!("{}", e.render());
                    eprintln!("{}: {} error(s)", e.path, e.diags.error_count());
                    if let Some(h) = super::path_hint(f) {
                        eprintln!("help: {h}");
                    }
                }
                annotations.push_str(&ci::annotations(&e.diags, &e.path, &e.source, "branchsim validate"));
                FileResult {
                    file: e.path.clone(),
                    valid: false,
                    scenario: None,
                    variants: Vec::new(),
                    errors: e.diags.error_count(),
                    warnings: e.diags.warning_count(),
                    diagnostics: ci::records(&e.diags, &e.path, &e.source),
                }
            }
        };
        results.push(r);
    }
    let valid = results.iter().all(|r| r.valid);
    if gha && !annotations.is_empty() {
        // Annotations go to stdout, the workflow-command channel, unless stdout carries JSON.
        if json { eprint!("{annotations}") } else { print!("{annotations}") }
    }
    let out = Output { branchsim_version: env!("CARGO_PKG_VERSION"), valid, files: results };
    if json {
        match serde_json::to_string_pretty(&out) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                error(&format!("cannot write JSON: {e}"));
                return EXIT_BAD_INPUT;
            }
        }
    }
    ci::step_summary(&summary(&out));
    if valid { EXIT_OK } else { EXIT_BAD_INPUT }
}

/// The Markdown job summary: one row per file, then every error and warning.
fn summary(out: &Output) -> String {
    let bad = out.files.iter().filter(|f| !f.valid).count();
    let mut s = format!(
        "### branchsim validate: {}\n\n| file | result | errors | warnings |\n|---|---|---|---|\n",
        if out.valid { format!("{} file(s) valid", out.files.len()) } else { format!("{bad} file(s) invalid") }
    );
    for f in &out.files {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            ci::md_cell(&f.file),
            if f.valid { "✅ valid" } else { "❌ invalid" },
            f.errors,
            f.warnings
        );
    }
    let items: Vec<&Record> = out.files.iter().flat_map(|f| &f.diagnostics).collect();
    if !items.is_empty() {
        s.push('\n');
        for r in items {
            let at = match (r.line, r.column) {
                (Some(l), Some(c)) => format!("{}:{l}:{c}", r.file),
                _ => r.file.clone(),
            };
            let help = r.help.as_deref().map_or(String::new(), |h| format!(" — {}", ci::md_cell(h)));
            let _ = writeln!(s, "- **{}** `{}`: {}{help}", r.severity, ci::md_cell(&at), ci::md_cell(&r.message));
        }
    }
    s.push('\n');
    s
}
