//! The shipped regional scenario (issue #25 item 4): fifty branches of three sizes, a contact
//! centre with a chatbot and a shared loan centre, within the format's size limits, and a
//! report that stays readable at that size: network views and the busiest steps as charts,
//! every step and resource in drill-down tables that agree with summary.json.

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::report::aggregate;
use branchsim::scenario;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/regional.toml");

fn run(file: &str, out: &Path, reps: &str) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(["run", file, "-q", "--threads", "2", "-n", reps, "--out"])
        .arg(out)
        .output()
        .expect("run branchsim");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dirs: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn regional_scenario_is_a_region_and_validates_cleanly() {
    let loaded = scenario::load_file(Path::new(FILE)).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(
        loaded.warnings.items.is_empty(),
        "a shipped study validates without warnings:\n{}",
        loaded.warnings.render(&loaded.path, &loaded.source)
    );
    let m = &loaded.baseline().model;
    // Fifty branches: one counter group per standard or small branch, a teller line and an
    // advice desk per flagship (f01.., s01.., k01..).
    let branches: std::collections::BTreeSet<&str> = m
        .steps
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| n.len() > 4 && [b'f', b's', b'k'].contains(&n.as_bytes()[0]) && n.as_bytes()[1].is_ascii_digit())
        .map(|n| &n[..3])
        .collect();
    assert_eq!(branches.len(), 50, "{branches:?}");
    for size in ['f', 's', 'k'] {
        assert!(branches.iter().filter(|b| b.starts_with(size)).count() >= 8, "three sizes: {branches:?}");
    }
    for step in ["chatbot", "cc_phone", "cc_chat", "lc_doc_check", "lc_underwriting"] {
        assert!(m.steps.iter().any(|s| s.name == step), "{step}");
    }
    let variants: Vec<&str> = loaded.variants.iter().map(|v| v.name.as_str()).collect();
    for v in ["close_small", "merge_pairs", "central_loan_files", "cc_long_hours"] {
        assert!(variants.contains(&v), "{variants:?}");
    }
}

#[test]
fn regional_report_shows_the_network_and_drills_down() {
    let out = tempfile::tempdir().unwrap();
    let dir = run(FILE, out.path(), "3");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let base = &summary["variants"]["baseline"];
    let queued: Vec<&str> = base["timeseries"]["queue"].as_object().unwrap().keys().map(String::as_str).collect();
    assert!(queued.len() > aggregate::LARGE, "{} steps with a queue", queued.len());

    // Charts: the network views, the busiest steps only, and a bounded total.
    let pngs: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert!(pngs.contains(&"network-queue.png".to_string()), "{pngs:?}");
    assert!(pngs.contains(&"step-wait-spread.png".to_string()), "{pngs:?}");
    let queue_charts = pngs.iter().filter(|n| n.starts_with("queue-")).count();
    assert!((1..=aggregate::TOP_STEPS).contains(&queue_charts), "{queue_charts} queue charts: {pngs:?}");
    assert!(pngs.len() <= 24, "{} charts for a 50-branch region: {pngs:?}", pngs.len());

    // The drill-down: one row per staffed step, busiest first; every figure as in summary.json.
    let table = between(&html, "<table id=\"drilldown-steps\">", "</table>");
    let rows: Vec<&str> = table.split("<tr data-step=\"").skip(1).collect();
    let mut staffed: Vec<&str> = Vec::new();
    for v in summary["variants"].as_object().unwrap().values() {
        for st in v["model"]["steps"].as_array().unwrap() {
            let name = st["name"].as_str().unwrap();
            if st["resource"].is_string() && !staffed.contains(&name) {
                staffed.push(name);
            }
        }
    }
    assert!(!staffed.contains(&"chatbot"), "a pure delay has no queue to drill into");
    assert_eq!(rows.len(), staffed.len(), "one row per staffed step of any variant");
    let worst = |step: &str| {
        summary["variants"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v["steps"][step]["queue_mean"]["mean"].as_f64())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let order: Vec<&str> = rows.iter().map(|r| &r[..r.find('"').unwrap()]).collect();
    for w in order.windows(2) {
        assert!(worst(w[0]) >= worst(w[1]), "not busiest first: {} before {}", w[0], w[1]);
    }
    let mut checked = 0;
    for (variant, v) in summary["variants"].as_object().unwrap() {
        for step in &order {
            let path = format!("steps.{step}.wait_mean");
            let needle = format!("data-variant=\"{variant}\" data-kpi=\"{path}\">");
            let Some(i) = table.find(&needle) else { continue };
            let text = &table[i + needle.len()..];
            let text = &text[..text.find('<').unwrap()];
            let mean = v["steps"][step]["wait_mean"]["mean"].as_f64().unwrap_or(f64::NAN);
            let expect = if mean.is_finite() { branchsim::report::table::fmt_num(mean) } else { "–".into() };
            assert_eq!(text, expect, "{variant} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 4 * (staffed.len() - 1), "{checked} figures checked");
    // A closed branch's counter is marked removed in its variant, not shown as a wait of 0.
    let colby = rows.iter().find(|r| r.starts_with("k03_colby\"")).expect("k03_colby row");
    assert!(colby.contains("removed"), "{colby}");

    // Every resource once, and the arrival streams of the 50-stream types.
    let res = between(&html, "<table id=\"drilldown-resources\">", "</table>");
    let mut all_res: Vec<&str> = Vec::new();
    for v in summary["variants"].as_object().unwrap().values() {
        for k in v["resources"].as_object().unwrap().keys() {
            if !all_res.contains(&k.as_str()) {
                all_res.push(k);
            }
        }
    }
    assert_eq!(res.matches("<tr data-resource=").count(), all_res.len(), "every resource of any variant once");
    assert!(html.contains("id=\"drilldown-arrivals\""));
    assert!(html.contains("50 streams,"), "the walk-in streams are summarised in one line");
    // No 60-box diagram; the note says why and where the steps are.
    assert!(html.contains("class=\"note diagram-omitted\""));
    assert!(!html.contains("<figure class=\"diagram\">"));
    // The fifty identical loan changes of the centralising variant are one line.
    assert!(html.contains("50 steps ("), "condensed variant changes");
    // The KPI tables list the busiest steps and point at the drill-down.
    assert!(html.contains(&format!("the {} busiest of ", aggregate::TOP_STEPS)), "KPI tables point at the drill-down");
}

/// A branch-sized study keeps its report as it was: all queue charts, no drill-down.
#[test]
fn a_branch_sized_report_does_not_aggregate() {
    let out = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downtown_branch.toml");
    let dir = run(file, out.path(), "2");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("id=\"drilldown\""));
    assert!(html.contains("<figure class=\"diagram\">"));
    assert!(!dir.join("charts/network-queue.png").exists());
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> &'a str {
    let i = s.find(a).unwrap_or_else(|| panic!("no {a}"));
    let rest = &s[i..];
    &rest[..rest.find(b).unwrap()]
}
