//! Output paths and output text are safe whatever the scenario says.
//!
//! * A run writes only to `--out` + the sanitised slug of the scenario name: names with `../`,
//!   absolute paths, Windows device names, very long names or nothing usable in them stay
//!   inside the output folder.
//! * Scenario text that reaches a CSV cell cannot become a spreadsheet formula.
//! * Every output records the scenario's content hash, seed, replications and version.
//! * `check --baseline` refuses a baseline of another scenario or of an edited file.

mod common;

use common::files_under;

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::scenario::slug;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-safe-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim")).args(args).output().unwrap_or_else(|e| panic!("{e}"));
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

const BODY: &str = r#"
horizon = "2h"
replications = 3
seed = 9

[[customers]]
name = "CUSTOMER"
first_step = "STEP"

[[arrivals]]
customer = "CUSTOMER"
rate = "30/h"

[[resources]]
name = "RESOURCE"
staff = 2

[[steps]]
name = "STEP"
resource = "RESOURCE"
service = { dist = "exponential", mean = "3min" }

[[variants]]
name = "VARIANT"
arrival_scale = { "CUSTOMER" = 1.2 }
"#;

/// A small valid scenario whose names are the given strings (TOML-escaped).
fn scenario(dir: &Path, file: &str, name: &str, customer: &str, step: &str, resource: &str, variant: &str) -> String {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let text = format!("name = \"{}\"\n", q(name))
        + &BODY
            .replace("CUSTOMER", &q(customer))
            .replace("STEP", &q(step))
            .replace("RESOURCE", &q(resource))
            .replace("VARIANT", &q(variant));
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_string_lossy().into_owned()
}

#[test]
fn slugs_never_leave_the_output_folder() {
    let long = "x".repeat(10_000);
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("../../etc/passwd", Some("etc-passwd")),
        ("..", Some("scenario-unnamed")),
        ("/absolute/path", Some("absolute-path")),
        ("C:\\Windows\\System32", Some("c-windows-system32")),
        ("\\\\server\\share", Some("server-share")),
        ("CON", Some("scenario-con")),
        ("nul", Some("scenario-nul")),
        ("Com9", Some("scenario-com9")),
        ("lpt7", Some("scenario-lpt7")),
        ("", Some("scenario-unnamed")),
        ("   ", Some("scenario-unnamed")),
        ("!!!", Some("scenario-unnamed")),
        ("name\u{0}with\nnul", Some("name-with-nul")),
        ("城东支行 weekday", Some("城东支行-weekday")),
        ("a\u{202e}gpj.exe", Some("a-gpj-exe")),
        (long.as_str(), None),
    ];
    for (name, want) in cases {
        let s = slug(name);
        if let Some(w) = want {
            assert_eq!(s, w, "slug of {name:?}");
        }
        assert!(!s.is_empty() && s.chars().count() <= 64, "{name:?} -> {s:?}");
        assert!(s.chars().all(|c| c.is_alphanumeric() || c == '-'), "{name:?} -> {s:?}");
        assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains(".."), "{name:?} -> {s:?}");
        assert!(s.len() < 255, "{name:?} -> {} bytes", s.len());
        let p = Path::new("out").join(&s);
        assert_eq!(p.components().count(), 2, "{name:?} -> {s:?} is not one path component");
    }
}

#[test]
fn hostile_names_write_only_inside_out() {
    let dir = scratch("paths");
    let out = dir.join("out");
    let names = ["../../../escaped", "/tmp/absolute", "..", "CON", &"long name ".repeat(100)];
    for (i, name) in names.iter().enumerate() {
        let file = scenario(&dir, &format!("s{i}.toml"), name, "walk_in", "counter", "teller", "more");
        let (code, _, err) = run(&["run", &file, "--out", &out.to_string_lossy(), "--quiet"]);
        assert_eq!(code, Some(0), "{name}: {err}");
    }
    // Everything is below out/, one folder per scenario, nothing beside it.
    let beside: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(beside, vec![out.clone()], "runs wrote beside the output folder");
    let mut folders: Vec<String> = std::fs::read_dir(&out)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), names.len(), "{folders:?}");
    for f in &folders {
        assert!(f.chars().count() <= 64 && !f.contains(".."), "{f}");
    }
    assert!(folders.contains(&"escaped".to_string()) && folders.contains(&"scenario-con".to_string()), "{folders:?}");
    assert!(!dir.join("escaped").exists() && !Path::new("/tmp/absolute").join("summary.json").exists());
    // No temporary file is left behind by a run that finished.
    let temps: Vec<PathBuf> = files_under(&out).into_iter().filter(|p| p.to_string_lossy().contains(".tmp-")).collect();
    assert!(temps.is_empty(), "{temps:?}");
}

fn has_bidi(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// Bidirectional overrides and isolates reorder what follows them on a terminal: names with
/// them are rejected (whichever kind of name), and the description, which may hold them, is
/// printed cleaned, like the KPI table and every diagnostic.
#[test]
fn bidi_controls_never_reach_the_terminal() {
    let dir = scratch("bidi");
    let out = dir.join("out");
    let out_s = out.to_string_lossy().into_owned();
    let bad = "tel\u{202E}ler";
    let cases = [
        (bad, "walk_in", "counter", "teller", "more"),
        ("Branch", bad, "counter", "teller", "more"),
        ("Branch", "walk_in", bad, "teller", "more"),
        ("Branch", "walk_in", "counter", bad, "more"),
        ("Branch", "walk_in", "counter", "teller", bad),
    ];
    for (i, (name, customer, step, resource, variant)) in cases.into_iter().enumerate() {
        let file = scenario(&dir, &format!("b{i}.toml"), name, customer, step, resource, variant);
        for cmd in ["validate", "run"] {
            let (code, stdout, stderr) = run(&[cmd, &file, "--out", &out_s][..if cmd == "run" { 4 } else { 2 }]);
            assert_eq!(code, Some(2), "{cmd} case {i}: {stderr}");
            assert!(
                stderr.contains("a name must not contain bidirectional control characters (found U+202E)"),
                "{stderr}"
            );
            assert!(!has_bidi(&stdout) && !has_bidi(&stderr), "{cmd} case {i} printed a bidi control: {stderr:?}");
        }
    }
    assert!(!out.exists(), "a rejected scenario wrote results");

    // Names in other scripts (a zero-width non-joiner is part of Persian words) are fine; the
    // description may hold bidi controls and is printed with U+FFFD in their place.
    let file = scenario(&dir, "ok.toml", "城东 weekday", "walk_in", "می\u{200C}خواهم", "柜员", "more");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let text = format!("description = \"opens \u{202E}late\u{2069} today\" # note \u{2066}here\n{text}");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run(&["run", &file, "--out", &out_s, "--no-charts"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!has_bidi(&stdout) && !has_bidi(&stderr), "{stdout}");
    assert!(stdout.contains("opens \u{FFFD}late\u{FFFD} today"), "{stdout}");
    assert!(stdout.contains("柜员") && stdout.contains("می\u{200C}خواهم"), "the KPI table lost a name:\n{stdout}");
}

/// Every cell of a CSV file, parsed.
fn cells(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records().map(|rec| rec.unwrap_or_else(|e| panic!("{e}")).iter().map(String::from).collect()).collect()
}

#[test]
fn csv_cells_never_start_a_formula_and_every_file_records_its_provenance() {
    let dir = scratch("csv");
    let out = dir.join("out");
    let file = scenario(
        &dir,
        "formula.toml",
        "=HYPERLINK(\"http://x\",\"y\")",
        "=cmd|' /C calc'!A0",
        "+step",
        "@SUM(A1)",
        "-variant",
    );
    let (code, _, err) = run(&["run", &file, "--out", &out.to_string_lossy(), "--quiet", "--no-charts"]);
    assert_eq!(code, Some(0), "{err}");
    let folder = out.join(slug("=HYPERLINK(\"http://x\",\"y\")"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("summary.json")).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    let hash = summary["scenario"]["content_hash"].as_str().unwrap_or_default().to_string();
    assert_eq!(hash.len(), 16);
    assert_eq!(summary["seed"], 9);
    assert_eq!(summary["replications"], 3);
    assert_eq!(summary["branchsim_version"], env!("CARGO_PKG_VERSION"));
    let mut seen_guarded = 0;
    for name in ["kpis.csv", "replications.csv", "timeseries.csv", "compare.csv"] {
        let rows = cells(&folder.join(name));
        let header = &rows[0];
        let n = header.len();
        assert_eq!(
            &header[n - 4..],
            &["content_hash", "seed", "replications", "branchsim_version"],
            "{name}: provenance columns"
        );
        for row in &rows[1..] {
            assert_eq!(row.len(), n, "{name}: ragged row {row:?}");
            assert_eq!(&row[n - 4..], &[hash.as_str(), "9", "3", env!("CARGO_PKG_VERSION")], "{name}");
            for c in row {
                if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    assert!(c.parse::<f64>().is_ok(), "{name}: cell {c:?} could run as a formula");
                }
                if c.starts_with('\'') {
                    seen_guarded += 1;
                }
            }
        }
    }
    assert!(seen_guarded > 0, "the hostile names should have been guarded");
}

#[test]
fn check_baseline_refuses_another_scenario_or_an_edited_file() {
    let dir = scratch("baseline");
    let a = scenario(&dir, "a.toml", "Branch A", "walk_in", "counter", "teller", "more");
    let b = scenario(&dir, "b.toml", "Branch B", "walk_in", "counter", "teller", "more");
    let golden = dir.join("a.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["record", &a, "--to", &golden, "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    for key in ["branchsim_version", "seed", "replications"] {
        assert!(!recorded[key].is_null(), "the baseline lacks {key}");
    }
    assert!(recorded["scenario"]["content_hash"].is_string());

    // The same file: compared (and unchanged).
    let (code, _, err) = run(&["check", &a, "--baseline", &golden, "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    // Another scenario: refused before anything runs.
    let (code, out, err) = run(&["check", &b, "--baseline", &golden]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("recorded from scenario \"Branch A\"") && err.contains("refusing"), "{err}");
    // The same scenario, edited: refused unless asked for.
    let edited = dir.join("a_edited.toml");
    let text = std::fs::read_to_string(&a).unwrap_or_else(|e| panic!("{e}")).replace("staff = 2", "staff = 3");
    std::fs::write(&edited, text).unwrap_or_else(|e| panic!("{e}"));
    let e = edited.to_string_lossy().into_owned();
    let (code, _, err) = run(&["check", &e, "--baseline", &golden]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("changed since") && err.contains("--allow-changed-scenario"), "{err}");
    let (code, out, err) = run(&["check", &e, "--baseline", &golden, "--allow-changed-scenario"]);
    assert!(code == Some(0) || code == Some(1), "{out}{err}");
    assert!(out.contains("changed since the baseline was recorded"), "{out}");
    // Another seed on purpose: allowed, and said so.
    let (code, out, err) = run(&["check", &a, "--baseline", &golden, "--seed", "77"]);
    assert!(code == Some(0) || code == Some(1), "{out}{err}");
    assert!(out.contains("recorded with seed 9"), "{out}");
}

#[test]
fn merge_refuses_shards_of_different_scenarios_or_seeds() {
    let dir = scratch("merge");
    let out = dir.join("out");
    let o = out.to_string_lossy().into_owned();
    let a = scenario(&dir, "a.toml", "Merge test", "walk_in", "counter", "teller", "more");
    let (code, _, err) = run(&["run", &a, "--out", &o, "--shard", "0/2", "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    // Shard 1 of the same scenario name, but another seed.
    let (code, _, err) = run(&["run", &a, "--out", &o, "--shard", "1/2", "--seed", "10", "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    let shards = out.join("merge-test").join("shards");
    let (code, _, err) = run(&["merge", &shards.to_string_lossy(), "--out", &o, "--no-charts"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("refusing to mix"), "{err}");
    assert!(!out.join("merge-test").join("summary.json").exists());
}

/// A scenario whose run takes a few seconds with `-n 20` (for things that must happen while
/// it runs).
fn slow_scenario(dir: &Path, name: &str) -> String {
    let text = format!(
        "name = \"{name}\"\nhorizon = \"1000d\"\nreplications = 2\nseed = 1\n\n[[customers]]\nname = \"c\"\nfirst_step = \"s\"\n\n\
         [[arrivals]]\ncustomer = \"c\"\nrate = \"40/h\"\n\n[[resources]]\nname = \"r\"\nstaff = 1\n\n[[steps]]\nname = \"s\"\n\
         resource = \"r\"\nservice = {{ dist = \"exponential\", mean = \"1min\" }}\n"
    );
    let p = dir.join(format!("{}.toml", slug(name)));
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_string_lossy().into_owned()
}

fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Issue #18, item 4: temporaries were `.NAME.tmp-PID`, opened without O_EXCL or O_NOFOLLOW,
/// so links planted in the output folder while a run simulated were followed and files
/// outside the folder overwritten. Now every file goes through a staging folder with an
/// unpredictable name and is renamed into place, which replaces a link instead of following
/// it; an output folder that is itself a link is refused.
#[cfg(unix)]
#[test]
fn links_planted_in_the_output_folder_are_never_followed() {
    use std::os::unix::fs::symlink;
    let dir = scratch("links");
    let out = dir.join("out");
    let o = out.to_string_lossy().into_owned();
    let file = slow_scenario(&dir, "Link test");
    let (code, _, err) = run(&["run", &file, "--out", &o, "-n", "1", "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    let folder = out.join("link-test");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap_or_else(|e| panic!("{e}"));
    let victim_dir = dir.join("victim-dir");
    std::fs::create_dir_all(&victim_dir).unwrap_or_else(|e| panic!("{e}"));
    // A run of several seconds; the links are planted while it simulates, with the names the
    // old temporaries had (the PID is known to anyone who can list processes).
    let mut child = spawn(&["run", &file, "--out", &o, "-n", "20", "--threads", "1", "--quiet", "--seed", "2"]);
    let pid = child.id();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let names = ["summary.json", "kpis.csv", "replications.csv", "timeseries.csv", "report.html"];
    for n in names {
        let _ = symlink(&victim, folder.join(format!(".{n}.tmp-{pid}")));
        let _ = std::fs::remove_file(folder.join(n));
        symlink(&victim, folder.join(n)).unwrap_or_else(|e| panic!("{e}"));
    }
    let _ = std::fs::remove_dir_all(folder.join("charts"));
    symlink(&victim_dir, folder.join("charts")).unwrap_or_else(|e| panic!("{e}"));
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "precious", "a link was followed");
    assert_eq!(std::fs::read_dir(&victim_dir).map(|d| d.count()).unwrap_or(99), 0, "charts/ link was followed");
    for n in names.iter().chain(&["charts"]) {
        let m = std::fs::symlink_metadata(folder.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(!m.file_type().is_symlink(), "{n} is still a link");
    }
    let summary = std::fs::read_to_string(folder.join("summary.json")).unwrap_or_default();
    assert!(summary.contains("\"seed\": 2"), "the new results were not published");
    // Single files: record --to and check --junit replace a link, never write through it.
    let golden = dir.join("golden.json");
    symlink(&victim, &golden).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(&["record", &file, "--to", &golden.to_string_lossy(), "-n", "2", "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "precious");
    assert!(!std::fs::symlink_metadata(&golden).is_ok_and(|m| m.file_type().is_symlink()));
    // An output folder that is a link is refused before anything runs.
    let linked_out = dir.join("linked");
    std::fs::create_dir_all(&linked_out).unwrap_or_else(|e| panic!("{e}"));
    symlink(&victim_dir, linked_out.join("link-test")).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(&["run", &file, "--out", &linked_out.to_string_lossy(), "-n", "1", "--quiet"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&victim_dir).map(|d| d.count()).unwrap_or(99), 0);
}

/// Issue #18, item 5: two runs into one folder mixed their files. The folder is locked: the
/// second run is refused at once with a message, the first one finishes.
#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let dir = scratch("lock");
    let o = dir.join("out").to_string_lossy().into_owned();
    let file = slow_scenario(&dir, "Lock test");
    let mut first = spawn(&["run", &file, "--out", &o, "-n", "20", "--threads", "1", "--quiet"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (code, _, err) = run(&["run", &file, "--out", &o, "-n", "1", "--quiet", "--seed", "7"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("another branchsim command is writing to"), "{err}");
    let (code, _, err) = run(&["report", &dir.join("out").join("lock-test").to_string_lossy()]);
    assert_eq!(code, Some(2), "{err}");
    let status = first.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(0));
    let summary = std::fs::read_to_string(dir.join("out/lock-test/summary.json")).unwrap_or_default();
    assert!(summary.contains("\"seed\": 1") && summary.contains("\"replications\": 20"), "{summary}");
    // The lock goes with the process: the next run proceeds.
    let (code, _, err) = run(&["run", &file, "--out", &o, "-n", "1", "--quiet", "--seed", "7"]);
    assert_eq!(code, Some(0), "{err}");
}

fn files_with_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> =
        files_under(dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap_or_default())).collect();
    v.sort();
    v
}

/// Issue #18, item 5: a bad `--font`, or a `charts` that cannot be replaced, failed after
/// summary.json and the CSVs were already replaced, leaving a folder of two runs. Both are
/// now found before simulating, and the folder keeps the earlier run whole.
#[test]
fn a_failure_before_publishing_keeps_the_earlier_run_whole() {
    let dir = scratch("whole");
    let out = dir.join("out");
    let o = out.to_string_lossy().into_owned();
    let file = scenario(&dir, "w.toml", "Whole test", "walk_in", "counter", "teller", "more");
    let (code, _, err) = run(&["run", &file, "--out", &o, "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    let folder = out.join("whole-test");
    let before = files_with_bytes(&folder);
    let bad_font = dir.join("bad.ttf");
    std::fs::write(&bad_font, "not a font").unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) =
        run(&["run", &file, "--out", &o, "--quiet", "--seed", "2", "--font", &bad_font.to_string_lossy()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot use font"), "{err}");
    assert!(files_with_bytes(&folder) == before, "a failed run changed the folder");
    // charts/ holding a folder branchsim did not write: refused before simulating.
    std::fs::create_dir_all(folder.join("charts/mine")).unwrap_or_else(|e| panic!("{e}"));
    let before = files_with_bytes(&folder);
    let (code, _, err) = run(&["run", &file, "--out", &o, "--quiet", "--seed", "2"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did not write"), "{err}");
    assert!(files_with_bytes(&folder) == before, "a refused run changed the folder");
    std::fs::remove_dir(folder.join("charts/mine")).unwrap_or_else(|e| panic!("{e}"));
    // A file of the user's own in charts/ survives a new run; stale charts do not.
    std::fs::write(folder.join("charts/notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(folder.join("charts/old-step.svg"), "<svg/>").unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(&["run", &file, "--out", &o, "--quiet", "--seed", "2"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(folder.join("charts/notes.txt")).unwrap_or_default(), "mine");
    assert!(!folder.join("charts/old-step.svg").exists());
    // Every published file is of the new run.
    let html = std::fs::read_to_string(folder.join("report.html")).unwrap_or_default();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("summary.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary["seed"], 2);
    assert!(html.contains("seed 2"), "report.html is not of the new run");
    // --no-charts: charts and report of the earlier run are removed, not left beside new results.
    let (code, _, err) = run(&["run", &file, "--out", &o, "--quiet", "--seed", "3", "--no-charts"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!folder.join("report.html").exists() && !folder.join("charts").exists());
    let hidden: Vec<PathBuf> =
        files_under(&folder).into_iter().filter(|p| p.to_string_lossy().contains(".branchsim-stage-")).collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
