//! Output paths are checked before simulating (issue #20): `record --to` and `check --junit`
//! into a path that cannot be written fail at once with exit 2, instead of losing a long run
//! at its end; a path in folders that do not exist yet still works, and the check leaves
//! nothing behind.

mod common;

use common::files_under;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("write-checked-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

/// Runs branchsim for at most `limit`; None when it was still running (and was killed).
fn run_at_most(args: &[&str], limit: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("stderr");
            return Some((status.code().unwrap_or(-1), err));
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 300,000 replications of the weekday branch take about half an hour of CPU: a check made only when
/// writing at the end would not answer within two minutes, whatever the machine's load.
#[test]
fn unwritable_record_and_junit_paths_are_refused_before_simulating() {
    let d = scratch("refused");
    let blocker = d.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let scenario = root().join("scenarios/downtown_branch.toml");
    let scenario = scenario.to_str().unwrap();
    let under_file = blocker.join("baseline.json");
    let junit = blocker.join("check.xml");
    let cases: [(&str, Vec<&str>); 3] = [
        (
            "record --to a path under a file",
            vec!["record", scenario, "-n", "300000", "--to", under_file.to_str().unwrap()],
        ),
        ("record --to a folder", vec!["record", scenario, "-n", "300000", "--to", d.to_str().unwrap()]),
        (
            "check --junit a path under a file",
            vec!["check", scenario, "-n", "300000", "--junit", junit.to_str().unwrap()],
        ),
    ];
    for (what, args) in cases {
        let Some((code, err)) = run_at_most(&args, Duration::from_secs(120)) else {
            panic!("{what}: still simulating after 2 minutes: the path was not checked first");
        };
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("cannot write") || err.contains("is a folder"), "{what}: {err}");
    }
    assert_eq!(files_under(&d), vec![blocker], "something was left behind");
}

#[test]
fn a_record_into_new_folders_still_works_and_leaves_no_probe() {
    let d = scratch("works");
    let to = d.join("new/sub/baseline.json");
    let scenario = root().join("scenarios/theory/mm1.toml");
    let (code, err) = run_at_most(
        &["record", scenario.to_str().unwrap(), "-n", "2", "--to", to.to_str().unwrap(), "-q"],
        Duration::from_secs(600),
    )
    .expect("record finishes");
    assert_eq!(code, 0, "{err}");
    assert_eq!(files_under(&d), vec![to]);
}
