//! Replays the fuzzing corpus and every crash reproducer through the same path the fuzz
//! target runs (`branchsim::hardening::exercise`), on stable Rust in a normal `cargo test`:
//! bytes → scenario → compiled models → a short capped simulation → summary, CSV, tables.
//!
//! `fuzz/corpus/scenario/` is the minimised corpus of the campaigns in docs/hardening.md;
//! `fuzz/artifacts/scenario/` holds reproducers of crashes, hangs and out-of-memory inputs
//! found by fuzzing (each fixed). `tests/hostile/` is replayed too. A panic fails the test;
//! so does an input that takes longer than a few seconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.retain(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')));
    out.sort();
    out
}

fn replay(dir: &str, min_files: usize) -> (usize, usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let inputs = files(&root);
    assert!(
        inputs.len() >= min_files,
        "{}: expected at least {min_files} inputs, found {}",
        root.display(),
        inputs.len()
    );
    let mut valid = 0;
    for p in &inputs {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let t = Instant::now();
        if branchsim::hardening::exercise(&bytes) {
            valid += 1;
        }
        let took = t.elapsed();
        assert!(took < Duration::from_secs(10), "{} took {took:?}", p.display());
    }
    (inputs.len(), valid)
}

#[test]
fn fuzz_corpus_replays_without_panics() {
    let (n, valid) = replay("fuzz/corpus/scenario", 50);
    // The corpus must keep reaching the simulation, not only the parser.
    assert!(valid * 10 >= n, "only {valid} of {n} corpus inputs are valid scenarios");
}

#[test]
fn crash_reproducers_no_longer_crash() {
    let _ = replay("fuzz/artifacts/scenario", 0);
}

#[test]
fn hostile_corpus_replays_without_panics() {
    let (n, valid) = replay("tests/hostile", 60);
    // Runaway models are valid scenarios (only a run, with its caps, stops them).
    assert!(valid < n);
}

#[test]
fn shipped_scenarios_replay_without_panics() {
    for dir in ["scenarios", "scenarios/theory", "scenarios/bench"] {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        for p in files(&root).into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(branchsim::hardening::exercise(&bytes), "{} should be valid", p.display());
        }
    }
}
