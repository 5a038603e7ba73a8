//! Reports of a check: the human table, JSON, JUnit XML and GitHub Actions annotations.
//!
//! Nothing here depends on time, thread count or the machine, so the same seed gives the same
//! bytes.

use std::fmt::Write as _;

use serde::Serialize;

use super::evaluate::{Mode, Row, Status, fmt_ci, fmt_p};
use crate::report::table::Table;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BaselineInfo {
    pub file: String,
    pub recorded_seed: u64,
    pub recorded_replications: u64,
    pub recorded_branchsim_version: String,
    pub recorded_content_hash: String,
    pub scenario_changed: bool,
    pub test: &'static str,
    pub alpha: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    pub kpis_compared: usize,
    pub level_per_kpi: f64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FileReport {
    pub file: String,
    pub scenario: String,
    pub content_hash: String,
    pub time_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replications: Option<u64>,
    /// Why the file was not simulated (no expectations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
    pub passed: usize,
    pub failed: usize,
    pub not_tested: usize,
    pub checks: Vec<Row>,
}

impl FileReport {
    pub fn count(&mut self) {
        self.passed = self.checks.iter().filter(|r| r.status == Status::Pass).count();
        self.failed = self.checks.iter().filter(|r| r.status == Status::Fail).count();
        self.not_tested = self.checks.iter().filter(|r| r.status == Status::Skip).count();
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub branchsim_version: String,
    /// How absolute bounds were judged: "ci" (95% CI inside the bound) or "mean".
    pub mode: Mode,
    pub passed: bool,
    pub checks: usize,
    pub failed: usize,
    pub not_tested: usize,
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn new(mode: Mode, files: Vec<FileReport>) -> Report {
        let checks = files.iter().map(|f| f.checks.len()).sum();
        let failed = files.iter().map(|f| f.failed).sum();
        let not_tested = files.iter().map(|f| f.not_tested).sum();
        Report {
            branchsim_version: env!("CARGO_PKG_VERSION").into(),
            mode,
            passed: failed == 0,
            checks,
            failed,
            not_tested,
            files,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

/// Where a check was written; an expectation from a separate `--expect` file also names the
/// scenario it was checked against.
fn location(r: &Row, file: &str) -> String {
    match &r.source {
        Some(s) if s.file != file => format!("{}:{}:{} (scenario {file})", s.file, s.line, s.column),
        Some(s) => format!("{}:{}:{}", s.file, s.line, s.column),
        None => file.to_string(),
    }
}

/// The human report: one table per file, the failures with their reasons, a verdict line.
pub fn human(rep: &Report, quiet: bool) -> String {
    let mut out = String::new();
    let mut failures = String::new();
    for f in &rep.files {
        for r in f.checks.iter().filter(|r| r.status == Status::Fail) {
            let _ = writeln!(failures, "FAIL {}: {}\n     {}", location(r, &f.file), r.check, r.message);
        }
        if quiet {
            continue;
        }
        match (&f.skipped, f.seed, f.replications) {
            (Some(why), _, _) => {
                let _ = writeln!(out, "{} — \"{}\": skipped ({why})", f.file, f.scenario);
                continue;
            }
            (None, Some(seed), Some(reps)) => {
                if !out.is_empty() && !out.ends_with("\n\n") {
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "{} — \"{}\": seed {seed}, {reps} replications, bounds judged by {}",
                    f.file,
                    f.scenario,
                    match rep.mode {
                        Mode::Ci => "the 95% CI",
                        Mode::Mean => "the mean",
                    }
                );
            }
            _ => {}
        }
        for n in &f.notes {
            let _ = writeln!(out, "note: {n}");
        }
        let shown: Vec<&Row> = f.checks.iter().filter(|r| r.kind != "baseline" || r.status == Status::Fail).collect();
        if !shown.is_empty() {
            let mut t = Table::new(vec!["check".into(), "value [CI]".into(), "bound".into(), "result".into()]);
            for r in &shown {
                t.row(vec![r.check.clone(), fmt_ci(r.value, r.ci, &r.unit), r.bound.clone(), r.status.label().into()]);
            }
            out.push_str(&t.render());
        }
        if let Some(b) = &f.baseline {
            let rows: Vec<&Row> = f.checks.iter().filter(|r| r.kind == "baseline").collect();
            let failed = rows.iter().filter(|r| r.status == Status::Fail).count();
            let skipped = rows.iter().filter(|r| r.status == Status::Skip).count();
            let _ = writeln!(
                out,
                "baseline {} (recorded with seed {}, {} replications): {} KPIs compared, {failed} changed{}",
                b.file,
                b.recorded_seed,
                b.recorded_replications,
                b.kpis_compared,
                if skipped > 0 {
                    format!(", {skipped} not tested (too few defined replications)")
                } else {
                    String::new()
                }
            );
            let _ = writeln!(
                out,
                "  Welch two-sample t test, family-wise α = {} split over {} KPIs (Bonferroni: each at {}){}",
                b.alpha,
                b.kpis_compared,
                fmt_p(b.level_per_kpi),
                b.tolerance.map_or(String::new(), |t| format!("; changes within {}% are tolerated", fmt_pct(t)))
            );
        }
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    if !failures.is_empty() {
        out.push_str(&failures);
        out.push('\n');
    }
    if !quiet {
        let files = rep.files.iter().filter(|f| f.skipped.is_none()).count();
        let _ = writeln!(
            out,
            "{} check(s) in {files} file(s): {} passed, {} failed{} — {}",
            rep.checks,
            rep.checks - rep.failed - rep.not_tested,
            rep.failed,
            if rep.not_tested > 0 { format!(", {} not tested", rep.not_tested) } else { String::new() },
            if rep.passed { "PASS" } else { "FAIL" }
        );
    }
    out
}

fn fmt_pct(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// JUnit XML (written by `quick-junit`, which escapes and counts): one test suite per
/// scenario file, one test case per expectation and variant (and per KPI compared with a
/// baseline). No timestamps or ids, so the same seed gives the same bytes.
pub fn junit(rep: &Report) -> String {
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
    // XML 1.0 cannot carry most control characters: shown as U+FFFD, as elsewhere.
    let clean = |s: &str| -> String {
        s.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') { '\u{FFFD}' } else { c }).collect()
    };
    let mut report = quick_junit::Report::new("branchsim check");
    for f in rep.files.iter().filter(|f| f.skipped.is_none()) {
        let mut suite = TestSuite::new(clean(&f.file));
        let mut props: Vec<(&str, String)> = vec![
            ("scenario", f.scenario.clone()),
            ("content_hash", f.content_hash.clone()),
            ("branchsim_version", env!("CARGO_PKG_VERSION").into()),
            ("mode", rep.mode.label().into()),
        ];
        if let Some(s) = f.seed {
            props.push(("seed", s.to_string()));
        }
        if let Some(r) = f.replications {
            props.push(("replications", r.to_string()));
        }
        if let Some(b) = &f.baseline {
            props.push(("baseline", b.file.clone()));
            props.push(("baseline_alpha", b.alpha.to_string()));
        }
        suite.add_properties(props.into_iter().map(|(k, v)| Property::new(k, clean(&v))));
        for r in &f.checks {
            let detail = format!(
                "value: {}\nbound: {}\nresult: {}\n{}",
                fmt_ci(r.value, r.ci, &r.unit),
                r.bound,
                r.status.label(),
                r.message
            );
            let status = match r.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type(r.kind).set_message(clean(&r.message)).set_description(clean(&detail));
                    s
                }
                Status::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(clean(&r.message));
                    s
                }
            };
            let mut case = TestCase::new(clean(&r.check), status);
            let classname = if r.kind == "baseline" { format!("{} [baseline]", f.file) } else { f.file.clone() };
            case.set_classname(clean(&classname));
            match &r.source {
                Some(s) => {
                    case.extra.insert("file".into(), clean(&s.file).into());
                    case.extra.insert("line".into(), s.line.to_string().into());
                }
                None => {
                    case.extra.insert("file".into(), clean(&f.file).into());
                }
            }
            if r.status == Status::Pass {
                case.set_system_out(clean(&detail));
            }
            suite.add_test_case(case);
        }
        if !f.notes.is_empty() {
            let notes: Vec<String> = f.notes.iter().map(|n| format!("note: {n}")).collect();
            suite.set_system_out(clean(&notes.join("\n")));
        }
        report.add_test_suite(suite);
    }
    let mut out = report.to_string().unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Escapes the message of a GitHub Actions workflow command.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property (file, title) of a GitHub Actions workflow command.
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions workflow command (`::error file=...,line=...::msg`).
pub fn gh_command(level: &str, file: &str, line: Option<(usize, usize)>, title: &str, msg: &str) -> String {
    let mut props = Vec::new();
    if !file.is_empty() {
        props.push(format!("file={}", gh_prop(file)));
        if let Some((l, c)) = line {
            props.push(format!("line={l},col={c}"));
        }
    }
    props.push(format!("title={}", gh_prop(title)));
    let props = props.join(",");
    format!("::{level} {props}::{}\n", gh_data(msg))
}

/// Annotations for every failed check and every note.
pub fn annotations(rep: &Report) -> String {
    let mut out = String::new();
    for f in &rep.files {
        for n in &f.notes {
            out.push_str(&gh_command("notice", &f.file, None, "branchsim check", n));
        }
        for r in f.checks.iter().filter(|r| r.status == Status::Fail) {
            let (file, line) = match &r.source {
                Some(s) => (s.file.as_str(), Some((s.line, s.column))),
                None => (f.file.as_str(), None),
            };
            let scenario = if file == f.file { String::new() } else { format!(" (scenario {})", f.file) };
            out.push_str(&gh_command(
                "error",
                file,
                line,
                &format!("branchsim check: {}", r.check),
                &format!("{} — value {}, bound {}{scenario}", r.message, fmt_ci(r.value, r.ci, &r.unit), r.bound),
            ));
        }
    }
    out
}

/// The Markdown job summary (`$GITHUB_STEP_SUMMARY`): the verdict, one row per file and
/// every failed check with its reason.
pub fn markdown(rep: &Report) -> String {
    use crate::cli::ci::md_cell;
    let mut s = format!(
        "### branchsim check: {}\n\n{} check(s): {} passed, {} failed, {} not tested\n\n",
        if rep.passed { "✅ PASS" } else { "❌ FAIL" },
        rep.checks,
        rep.checks - rep.failed - rep.not_tested,
        rep.failed,
        rep.not_tested
    );
    s.push_str("| file | scenario | passed | failed | not tested |\n|---|---|---|---|---|\n");
    for f in &rep.files {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md_cell(&f.file),
            md_cell(&f.scenario),
            f.passed,
            f.failed,
            f.skipped.as_deref().map_or(f.not_tested.to_string(), |w| format!("skipped ({})", md_cell(w)))
        );
    }
    let mut failures = String::new();
    for f in &rep.files {
        for r in f.checks.iter().filter(|r| r.status == Status::Fail) {
            let _ = writeln!(
                failures,
                "- `{}` {}: {} (value {}, bound {})",
                md_cell(&location(r, &f.file)),
                md_cell(&r.check),
                md_cell(&r.message),
                md_cell(&fmt_ci(r.value, r.ci, &r.unit)),
                md_cell(&r.bound)
            );
        }
    }
    if !failures.is_empty() {
        s.push_str("\nFailed checks:\n\n");
        s.push_str(&failures);
    }
    s.push('\n');
    s
}

/// Whether to print GitHub Actions annotations.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            gh_command("error", "a,b:c.toml", Some((3, 4)), "t", "50%\nx"),
            "::error file=a%2Cb%3Ac.toml,line=3,col=4,title=t::50%25%0Ax\n"
        );
    }
}
