//! Interrupted runs never damage results a user already has.
//!
//! An output folder holds an earlier run's complete results; a new run of the same scenario
//! into it is killed mid-way — SIGKILL (no chance to clean up), SIGINT (Ctrl-C) and SIGTERM.
//! Afterwards the folder must be byte-for-byte what it was, with no temporary or partial file;
//! SIGINT and SIGTERM must stop the run within a few seconds, say so on stderr and exit with
//! 130 and 143.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-signals-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// A stable M/M/1 (load 0.67): each replication of 100 days simulates ~96,000 customers.
const SCENARIO: &str = r#"name = "Signal test"
horizon = "HORIZON"
replications = 2
seed = 5

[[customers]]
name = "walk_in"
first_step = "counter"

[[arrivals]]
customer = "walk_in"
rate = "RATE"

[[resources]]
name = "teller"
staff = STAFF

[[steps]]
name = "counter"
resource = "teller"
service = { dist = "exponential", mean = "1min" }
"#;

fn scenario(dir: &Path, horizon: &str, rate: &str, staff: u32) -> String {
    let p = dir.join("signal_test.toml");
    let text = SCENARIO.replace("HORIZON", horizon).replace("RATE", rate).replace("STAFF", &staff.to_string());
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_string_lossy().into_owned()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.insert(p, bytes);
            }
        }
    }
    out
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_branchsim"))
}

/// Runs the scenario once to completion, with charts and the report: the earlier results.
fn earlier_results(file: &str, out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let o = bin()
        .args(["run", file, "--out", &out.to_string_lossy(), "-n", "2", "--quiet"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let snap = snapshot(out);
    let names: Vec<String> =
        snap.keys().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
    for want in ["summary.json", "kpis.csv", "replications.csv", "timeseries.csv", "report.html"] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".png")) && names.iter().any(|n| n.ends_with(".svg")));
    snap
}

/// Starts a run that would take very long, into the same folder.
fn start_long_run(file: &str, out: &Path, replications: &str) -> Child {
    bin()
        .args(["run", file, "--out", &out.to_string_lossy(), "-n", replications, "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn send(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(ok.success(), "kill {signal} failed");
}

/// Waits for the child to exit; fails if it takes longer than `limit`.
fn wait_within(child: &mut Child, limit: Duration) -> (Option<i32>, String) {
    use std::io::Read;
    let t = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("the run did not stop within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (status.code(), stderr)
}

fn assert_intact(before: &BTreeMap<PathBuf, Vec<u8>>, out: &Path, what: &str) {
    let after = snapshot(out);
    let extra: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert!(extra.is_empty(), "{what}: new or partial files appeared: {extra:?}");
    for (p, bytes) in before {
        match after.get(p) {
            None => panic!("{what}: {} disappeared", p.display()),
            Some(b) => assert!(b == bytes, "{what}: {} changed", p.display()),
        }
    }
}

#[test]
fn sigkill_mid_run_leaves_earlier_results_intact() {
    let dir = scratch("kill");
    let file = scenario(&dir, "100d", "40/h", 1);
    let out = dir.join("out");
    let before = earlier_results(&file, &out);
    let mut child = start_long_run(&file, &out, "100000");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().ok().flatten().is_none(), "the long run ended before it could be killed");
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), None, "SIGKILL ends the process without an exit code");
    assert_intact(&before, &out, "after SIGKILL");
    // The killed run's staging folder is removed by the next run into the folder (and only
    // it: a file branchsim did not create stays).
    let folder = out.join("signal-test");
    assert!(staging_folders(&folder) == 1, "the killed run staged in a hidden folder");
    std::fs::write(folder.join(".summary.json.tmp-1"), "not ours").unwrap_or_else(|e| panic!("{e}"));
    let o = bin()
        .args(["run", &file, "--out", &out.to_string_lossy(), "-n", "1", "--quiet", "--no-charts"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(staging_folders(&folder), 0, "the staging folder of the killed run is still there");
    assert!(folder.join(".summary.json.tmp-1").exists(), "a file branchsim did not create was removed");
}

fn staging_folders(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(".branchsim-stage-")).count())
        .unwrap_or(0)
}

/// Every file under `dir` by its path inside `dir`.
fn relative(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir).into_iter().map(|(p, b)| (p.strip_prefix(dir).map(Path::to_path_buf).unwrap_or(p), b)).collect()
}

/// Issue #18, item 5: a signal while results were written left summary.json of one run
/// beside report.html of another (6/150 SIGINT, 33/150 SIGTERM trials). Signals at moments
/// spread over a whole run, writing included, must leave the folder the earlier run or the
/// new one, file for file.
#[test]
fn signals_at_any_moment_leave_the_old_or_the_new_run() {
    let dir = scratch("any-moment");
    let file = scenario(&dir, "100d", "40/h", 1);
    let out = dir.join("out");
    earlier_results(&file, &out);
    let old = relative(&out);
    // The new run's files, written undisturbed elsewhere (same bytes for the same seed).
    let reference = dir.join("reference");
    let t = Instant::now();
    let o = bin()
        .args(["run", &file, "--out", &reference.to_string_lossy(), "-n", "2", "--seed", "6", "--quiet"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0));
    let span = t.elapsed();
    let new = relative(&reference);
    let (mut saw_old, mut saw_new) = (0, 0);
    for i in 0..24u32 {
        let mut child = bin()
            .args(["run", &file, "--out", &out.to_string_lossy(), "-n", "2", "--seed", "6", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(span * i / 20);
        send(&child, if i % 2 == 0 { "-INT" } else { "-TERM" });
        let (code, stderr) = wait_within(&mut child, Duration::from_secs(30));
        // `None`: the signal came before the handlers were installed and ended the process.
        assert!(matches!(code, None | Some(0 | 130 | 143)), "{code:?}: {stderr}");
        let now = relative(&out);
        let visible: BTreeMap<PathBuf, Vec<u8>> =
            now.into_iter().filter(|(p, _)| !p.to_string_lossy().contains(".branchsim-stage-")).collect();
        if visible == old {
            saw_old += 1;
        } else if visible == new {
            saw_new += 1;
            // Back to the earlier run for the next trial.
            let _ = std::fs::remove_dir_all(&out);
            earlier_results(&file, &out);
        } else {
            let differ: Vec<&PathBuf> = visible.keys().filter(|p| old.get(*p) != visible.get(*p)).collect();
            panic!("trial {i}: the folder mixes two runs: {differ:?}");
        }
    }
    assert!(saw_old > 0, "no signal came early enough to stop the run");
    eprintln!("{saw_old} trials kept the earlier run, {saw_new} published the new one");
}

#[test]
fn sigint_and_sigterm_stop_promptly_and_write_nothing() {
    let dir = scratch("int");
    let file = scenario(&dir, "100d", "40/h", 1);
    let out = dir.join("out");
    let before = earlier_results(&file, &out);
    for (signal, code, name) in [("-INT", 130, "SIGINT"), ("-TERM", 143, "SIGTERM")] {
        let mut child = start_long_run(&file, &out, "100000");
        std::thread::sleep(Duration::from_millis(1500));
        send(&child, signal);
        let (got, stderr) = wait_within(&mut child, Duration::from_secs(5));
        assert_eq!(got, Some(code), "{name}: {stderr}");
        assert!(stderr.contains(&format!("interrupted by {name}")), "{name}: {stderr}");
        assert!(stderr.contains("nothing was written") && stderr.contains("unchanged"), "{name}: {stderr}");
        assert_intact(&before, &out, name);
    }
}

#[test]
fn sigint_stops_a_single_long_replication_promptly() {
    // One replication of ten years at 600/h: ~150 million events, far longer than the test.
    let dir = scratch("long-rep");
    let file = scenario(&dir, "3650d", "600/h", 15);
    let out = dir.join("out");
    let mut child = start_long_run(&file, &out, "1");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().ok().flatten().is_none(), "the replication ended before the signal");
    let t = Instant::now();
    send(&child, "-INT");
    let (got, stderr) = wait_within(&mut child, Duration::from_secs(5));
    assert_eq!(got, Some(130), "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    assert!(!out.exists() || snapshot(&out).is_empty(), "an interrupted first run must not write anything");
}
