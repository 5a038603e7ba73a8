//! Figures quoted in the documentation come from the current build (issue #19 item 13).
//!
//! A quoted figure is marked in the Markdown with an HTML comment right after it:
//! `6.94<!--fig:downtown_branch.toml:baseline:wait_p90-->` (file in scenarios/, variant, KPI
//! path). This test runs each named scenario once at the seed and replications the file sets
//! (as `branchsim run FILE` does), applies an optional scale (`:/24` hours → days, `:*60`
//! minutes → seconds), formats each KPI mean with the quoted number's decimals
//! (shares in %), and fails on any difference, so a figure cannot drift silently. It also
//! checks that the README's 20-line tour validates without errors or warnings.

use std::collections::BTreeMap;

use branchsim::cli::{Cli, Command as Sub, run};
use branchsim::report::Results;
use branchsim::scenario;
use clap::Parser;

fn root() -> String {
    env!("CARGO_MANIFEST_DIR").to_string()
}

/// (quoted text, file, variant, KPI path, scale) of every marked figure.
fn marked(doc: &str) -> Vec<(String, String, String, String, f64)> {
    let text = std::fs::read_to_string(format!("{}/{doc}", root())).unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<!--fig:") {
        let before = &rest[..i];
        let quoted: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '%' || *c == ',')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let end = rest[i..].find("-->").unwrap() + i;
        let spec: Vec<&str> = rest[i + 8..end].split(':').collect();
        assert!(spec.len() == 3 || spec.len() == 4, "{doc}: bad marker {}", &rest[i..end]);
        assert!(!quoted.is_empty(), "{doc}: marker {} follows no number", &rest[i..end]);
        let scale = match spec.get(3) {
            None => 1.0,
            Some(s) => {
                let n: f64 = s[1..].parse().unwrap_or_else(|_| panic!("{doc}: bad scale {s}"));
                if s.starts_with('/') { 1.0 / n } else { n }
            }
        };
        out.push((quoted, spec[0].to_string(), spec[1].to_string(), spec[2].to_string(), scale));
        rest = &rest[end..];
    }
    out
}

fn simulate(file: &str) -> Results {
    let path = format!("{}/scenarios/{file}", root());
    let loaded = scenario::load_file(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{}", e.render()));
    let Sub::Run(args) = Cli::try_parse_from(["branchsim", "run", &path, "-q"]).unwrap().command else {
        unreachable!()
    };
    run::simulate(&loaded, &args, None).unwrap_or_else(|_| panic!("simulate {file}")).results
}

/// The mean formatted like the quoted figure: same decimals, `%` for shares, thousands
/// separated by commas when the quote has them.
fn like(quoted: &str, mean: f64) -> String {
    if quoted.contains(',') {
        let digits = format!("{:.0}", mean.round());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return out;
    }
    let (num, pct) = match quoted.strip_suffix('%') {
        Some(n) => (n, true),
        None => (quoted, false),
    };
    let decimals = num.split_once('.').map_or(0, |(_, d)| d.len());
    let x = if pct { mean * 100.0 } else { mean };
    format!("{x:.decimals$}{}", if pct { "%" } else { "" })
}

#[test]
fn quoted_figures_match_the_current_build() {
    let mut figures = Vec::new();
    for doc in ["README.md", "scenarios/README.md", "docs/outputs.md"] {
        for f in marked(doc) {
            figures.push((doc, f));
        }
    }
    assert!(figures.len() >= 20, "the marked figures went missing: {}", figures.len());
    let mut runs: BTreeMap<String, Results> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (doc, (quoted, file, variant, path, scale)) in figures {
        let r = runs.entry(file.clone()).or_insert_with(|| simulate(&file));
        let v = r.variants.get(&variant).unwrap_or_else(|| panic!("{doc}: no variant `{variant}` in {file}"));
        let s = v.get(&path).unwrap_or_else(|| panic!("{doc}: no KPI `{path}` in {file}"));
        let now = like(&quoted, s.mean * scale);
        if now != quoted {
            wrong.push(format!("{doc}: {file} {variant} {path}: quoted {quoted}, the current build gives {now}"));
        }
    }
    assert!(wrong.is_empty(), "stale figures:\n{}", wrong.join("\n"));
}

#[test]
fn readme_tour_validates_cleanly() {
    let text = std::fs::read_to_string(format!("{}/README.md", root())).unwrap();
    let start = text.find("## A 20-line tour").expect("tour section");
    let body = &text[start..];
    let a = body.find("```toml\n").unwrap() + 8;
    let b = body[a..].find("```").unwrap() + a;
    let toml = &body[a..b];
    let loaded = scenario::load_str(toml, "tour.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(
        loaded.warnings.items.is_empty(),
        "the tour has warnings:\n{}",
        loaded.warnings.render(&loaded.path, &loaded.source)
    );
    assert_eq!(loaded.variants.len(), 2);
}
