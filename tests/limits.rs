//! Issue #18, items 6, 7 and 13: inputs are read within their limits whatever the path names,
//! flags cannot ask for unbounded work, and merge and check refuse inconsistent files.
//!
//! Every case runs the real binary and must end with exit code 2 and a clear message within
//! seconds; on the old code each of them read forever, aborted, or reported nonsense.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SMALL: &str = "tests/limits/small.toml";

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// Runs branchsim with `stdin` piped in; ends it (and fails) if it takes more than 60 s.
fn run_in(args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, String) {
    use std::io::{Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break s;
        }
        if t.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.code(), err)
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    run_in(args, None)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn write_json(p: &Path, v: &serde_json::Value) {
    std::fs::write(p, serde_json::to_string(v).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
}

#[cfg(unix)]
#[test]
fn inputs_are_read_within_their_limits() {
    // A device never ends: refused before a byte is read.
    let (code, err) = run(&["validate", "/dev/zero"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is a device"), "{err}");
    // A pipe has no size in its metadata: read up to the limit, then refused.
    let big = vec![b'#'; 20 << 20];
    let (code, err) = run_in(&["validate", "/dev/stdin"], Some(&big));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("larger than 16777216 bytes"), "{err}");
    // A small scenario through a pipe still validates.
    let text = std::fs::read(SMALL).unwrap_or_else(|e| panic!("{e}"));
    let (code, err) = run_in(&["validate", "/dev/stdin"], Some(&text));
    assert_eq!(code, Some(0), "{err}");
    // --font and summary.json: the same.
    let dir = scratch("inputs");
    let out = dir.join("out");
    let (code, err) = run(&["run", SMALL, "--out", &s(&out), "-q", "--font", "/dev/zero"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is a device"), "{err}");
    assert!(!out.join("limits-test").join("summary.json").exists());
    let (code, err) = run(&["run", SMALL, "--out", &s(&out), "-q", "--no-charts"]);
    assert_eq!(code, Some(0), "{err}");
    let folder = out.join("limits-test");
    std::fs::remove_file(folder.join("summary.json")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("/dev/zero", folder.join("summary.json")).unwrap_or_else(|e| panic!("{e}"));
    let (code, err) = run(&["report", &s(&folder)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is a device"), "{err}");
}

/// Shards name their scenario file; merge used to parse whatever it named (a device until
/// memory ran out; the first line of any text file was printed in the error).
#[cfg(unix)]
#[test]
fn merge_checks_the_named_scenario_before_reading_it() {
    let dir = scratch("merge-named");
    let out = dir.join("out");
    let (code, err) = run(&["run", SMALL, "--out", &s(&out), "-q", "--shard", "0/1"]);
    assert_eq!(code, Some(0), "{err}");
    let shard = out.join("limits-test/shards/shard-0-of-1.json");
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-LINE = 1\n").unwrap_or_else(|e| panic!("{e}"));
    for target in ["/dev/zero".to_string(), s(&secret)] {
        let mut v = read_json(&shard);
        v["scenario_file"] = serde_json::Value::String(target.clone());
        write_json(&shard, &v);
        let (code, err) = run(&["merge", &s(&shard), "--out", &s(&dir.join("merged")), "--no-charts", "-q"]);
        assert_eq!(code, Some(2), "{target}: {err}");
        assert!(!err.contains("TOP-SECRET"), "{target}: the named file was quoted: {err}");
        assert!(err.contains("is a device") || err.contains("not the scenario file the shards ran"), "{err}");
    }
}

/// Flags are held to the limits of the file keys they override, and estimates of memory and
/// disk are checked before anything runs (the old code aborted on a 2.4 TB allocation).
#[test]
fn flags_cannot_ask_for_unbounded_work() {
    let dir = scratch("flags");
    let o = s(&dir.join("out"));
    let huge = "100000000000";
    for args in [
        vec!["run", SMALL, "--out", &o, "-n", huge],
        vec!["run", SMALL, "--out", &o, "-n", huge, "--shard", "0/2"],
        vec!["record", SMALL, "--to", "never.json", "-n", huge],
        vec!["sweep", SMALL, "--out", &o, "-n", huge, "--set", "resources.teller.staff=2..3"],
        vec!["run", SMALL, "--out", &o, "--precision", "wait_mean=0.01", "--max-replications", huge],
    ] {
        let t = Instant::now();
        let (code, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains("more than the limit of 10000000"), "{args:?}: {err}");
        assert!(t.elapsed() < Duration::from_secs(20), "{args:?} ran before refusing");
    }
    assert!(!Path::new("never.json").exists());
    // A sweep grid is counted before it is built.
    let set = "resources.teller.staff=1..1000";
    let (code, err) = run(&["sweep", SMALL, "--out", &o, "--set", set, "--set", set, "--set", set]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("1000000000 points") && err.contains("limit of 10000"), "{err}");
    // Budgets: the estimate is refused before running, and the message names the flag.
    let (code, err) = run(&["run", SMALL, "--out", &o, "-n", "100000", "--max-memory", "1MB", "--no-charts"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--max-memory") && err.contains("over the budget"), "{err}");
    let (code, err) = run(&["run", SMALL, "--out", &o, "-n", "100000", "--max-disk", "20MB", "--no-charts"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--max-disk"), "{err}");
    assert!(!dir.join("out/limits-test/summary.json").exists(), "a refused run wrote results");
    let (code, err) = run(&["run", SMALL, "--out", &o, "-n", "10", "--max-memory", "lots"]);
    assert_eq!(code, Some(2), "{err}");
    // Within the budgets the run goes ahead.
    let (code, err) = run(&["run", SMALL, "--out", &o, "-n", "10", "--max-memory", "1MB", "--no-charts"]);
    assert_eq!(code, Some(0), "{err}");
}

/// Merge used to add shard counts that wrap (2⁶⁴ − 1 + 2) and copied a made-up early stop
/// into summary.json; a baseline with a negative `sd` was compared. All are refused.
#[test]
fn inconsistent_shards_and_baselines_are_refused() {
    let dir = scratch("consistency");
    let out = dir.join("out");
    for k in ["0/2", "1/2"] {
        let (code, err) = run(&["run", SMALL, "--out", &s(&out), "-q", "--shard", k]);
        assert_eq!(code, Some(0), "{err}");
    }
    let shards = out.join("limits-test/shards");
    let one = shards.join("shard-1-of-2.json");
    let good = read_json(&one);
    let merge = || run(&["merge", &s(&shards), "--out", &s(&dir.join("merged")), "--no-charts", "-q"]);
    let (code, err) = merge();
    assert_eq!(code, Some(0), "the untouched shards merge: {err}");
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "a histogram count of 2^64 - 1",
            Box::new(|v| {
                v["variants"][0]["wait_hist"][0] = serde_json::json!({"counts": [[300, u64::MAX]], "n": u64::MAX});
            }),
        ),
        (
            "a made-up early stop",
            Box::new(|v| {
                v["variants"][0]["stops"] =
                    serde_json::json!([[3, "stopped after 7 events (the events-per-replication cap)"]]);
            }),
        ),
        (
            "a histogram whose total disagrees with its buckets",
            Box::new(|v| {
                v["variants"][0]["cycle_hist"][0]["n"] = serde_json::json!(1);
            }),
        ),
        (
            "a time-series bin with more values than replications",
            Box::new(|v| {
                let bin = &mut v["variants"][0]["wait_bins"][0];
                bin["n"] = serde_json::json!(1000);
            }),
        ),
    ];
    for (what, edit) in &edits {
        let mut v = good.clone();
        edit(&mut v);
        write_json(&one, &v);
        let (code, err) = merge();
        assert_eq!(code, Some(2), "{what}: {err}");
        assert!(err.contains("inconsistent") || err.contains("histogram") || err.contains("overflow"), "{what}: {err}");
    }
    write_json(&one, &good);

    let golden = dir.join("golden.json");
    let (code, err) = run(&["record", SMALL, "--to", &s(&golden), "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let recorded = read_json(&golden);
    let first_kpi = |v: &mut serde_json::Value| -> Option<String> {
        v["variants"]["baseline"].as_object().and_then(|m| m.keys().next().cloned())
    };
    let mut v = recorded.clone();
    let k = first_kpi(&mut v).unwrap_or_default();
    v["variants"]["baseline"][&k]["sd"] = serde_json::json!(-1.0);
    let bad = dir.join("bad.json");
    write_json(&bad, &v);
    let (code, err) = run(&["check", SMALL, "--baseline", &s(&bad), "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`sd` is -1"), "{err}");
    let mut v = recorded.clone();
    v["replications"] = serde_json::json!(100_000_000_000u64);
    write_json(&bad, &v);
    let (code, err) = run(&["check", SMALL, "--baseline", &s(&bad), "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("replications"), "{err}");
    let (code, err) = run(&["check", SMALL, "--baseline", &s(&golden), "-q"]);
    assert_eq!(code, Some(0), "the untouched baseline passes: {err}");
}
