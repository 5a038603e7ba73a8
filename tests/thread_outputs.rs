//! Every file a run publishes (charts, report.html and results.xlsx included) is the same,
//! byte for byte, whatever the thread count: the output stage renders the workbook, the
//! replications table, the charts and the small files side by side and syncs them on a
//! thread of its own (`cli::run::stage_outputs`, `report::files::Stage`), and none of that may
//! change a byte or leave a file out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_branchsim")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-thread-outputs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// Every file under `dir` (relative path → bytes), staging leftovers included if any.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
            }
        }
    }
    out
}

fn run(threads: &str, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let st = Command::new(bin())
        .args(["run", "scenarios/downtown_branch.toml", "-n", "40", "-q", "--threads", threads, "--out"])
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success(), "{threads} threads: {st}");
    files(&out.join("downtown-branch-weekday"))
}

#[test]
fn every_published_file_is_the_same_for_any_thread_count() {
    let one = run("1", &tmpdir("t1"));
    for name in ["summary.json", "replications.csv", "results.xlsx", "report.html", "kpis.csv", "compare.csv"] {
        assert!(one.contains_key(name), "{name} missing: {:?}", one.keys().collect::<Vec<_>>());
    }
    let charts = one.keys().filter(|k| k.starts_with("charts/")).count();
    assert!(charts >= 10, "only {charts} chart files");
    assert!(!one.keys().any(|k| k.contains(".branchsim-stage")), "a staging folder was left behind");
    for threads in ["2", "3"] {
        let other = run(threads, &tmpdir(&format!("t{threads}")));
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "1 and {threads} threads publish different files"
        );
        for (name, bytes) in &one {
            assert!(bytes == &other[name], "{name} differs between 1 and {threads} threads");
        }
    }
}

/// A second run into the same folder without charts removes the charts and report of the first
/// (they would describe other results) and replaces every data file.
#[test]
fn a_run_without_charts_removes_the_earlier_charts() {
    let out = tmpdir("nocharts");
    let first = run("2", &out);
    assert!(first.contains_key("report.html"));
    let st = Command::new(bin())
        .args(["run", "scenarios/downtown_branch.toml", "-n", "5", "-q", "--threads", "2", "--no-charts", "--out"])
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success());
    let second = files(&out.join("downtown-branch-weekday"));
    assert!(!second.contains_key("report.html"), "report.html of the earlier run left behind");
    assert!(!second.keys().any(|k| k.starts_with("charts/")), "charts of the earlier run left behind");
    assert!(second["replications.csv"] != first["replications.csv"], "replications.csv not replaced");
    assert!(second.contains_key("results.xlsx"));
}
