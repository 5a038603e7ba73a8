//! Issue #25, items 1–3: models of a region's size compile, run and write outputs in
//! proportion to what they hold; absurd ones are refused by the resource estimates (exit 2,
//! a message naming the figure and the limit), not by a count.
//!
//! The models are generated (`benches/scale/models.rs`, shared with the benchmark).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../benches/scale/models.rs"]
mod models;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-scale-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// Runs the binary; (exit code, stderr).
fn branchsim(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start branchsim: {e}"));
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_string_lossy().into_owned()
}

fn summary(folder: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(folder.join("summary.json")).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `text` with one replication and no charts; the output folder.
fn run_ok(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = write(dir, &format!("{name}.toml"), text);
    let out = dir.join("out");
    let (code, err) = branchsim(&["run", &file, "--out", &out.to_string_lossy(), "-q", "-n", "1", "--no-charts"]);
    assert_eq!(code, Some(0), "{name}: {err}");
    let folder =
        std::fs::read_dir(&out).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok).map(|e| e.path()).find(|p| {
            p.join("summary.json").exists() && p.file_name().is_some_and(|f| f.to_string_lossy().contains(name))
        });
    folder.unwrap_or_else(|| panic!("{name}: no output folder in {}", out.display()))
}

/// 2,000 parallel stations (2,000 streams, resources and steps) and a 2,000-step line: far
/// beyond the old caps of 200, they compile and run; every step is reported, and a queue
/// series is written exactly for the steps where somebody waited.
#[test]
fn two_thousand_streams_steps_and_resources_run() {
    let dir = scratch("2000");
    for (name, text) in
        [("parallel-2000", models::parallel(2000, 2_000.0)), ("tandem-2000", models::tandem(2000, 400_000.0))]
    {
        let folder = run_ok(&dir, name, &text);
        let s = summary(&folder);
        let base = &s["variants"]["baseline"];
        let steps = base["steps"].as_object().unwrap_or_else(|| panic!("steps"));
        assert_eq!(steps.len(), 2000, "{name}");
        assert_eq!(base["resources"].as_object().map(|r| r.len()), Some(2000), "{name}");
        assert!(base["kpis"]["arrived"]["mean"].as_f64().is_some_and(|a| a > 100.0), "{name}");
        let queue = base["timeseries"]["queue"].as_object().unwrap_or_else(|| panic!("queue series"));
        for (step, kp) in steps {
            let max = kp["queue_max"]["mean"].as_f64().unwrap_or(0.0);
            assert_eq!(queue.contains_key(step), max > 0.0, "{name}: step {step}, queue_max {max}");
        }
    }
}

/// A line of 10,000 steps with a short horizon runs and writes its outputs quickly (the
/// issue's goal is under 2 s for a release build; the bound here allows for a loaded test
/// machine), and the outputs stay in proportion: no series for the steps that never queue.
#[test]
fn ten_thousand_steps_run_with_compact_outputs() {
    let dir = scratch("10000");
    let text = models::tandem(10_000, 200_000.0);
    let t = Instant::now();
    let folder = run_ok(&dir, "tandem-10000", &text);
    let secs = t.elapsed().as_secs_f64();
    assert!(secs < 30.0, "10,000 steps took {secs:.1} s");
    let size = |f: &str| std::fs::metadata(folder.join(f)).map_or(0, |m| m.len());
    let s = summary(&folder);
    let base = &s["variants"]["baseline"];
    assert_eq!(base["steps"].as_object().map(|x| x.len()), Some(10_000));
    let queued = base["timeseries"]["queue"].as_object().map_or(0, |q| q.len());
    assert!(queued < 10_000, "{queued} queue series");
    // Per step: its KPIs and model entry in summary.json (about 2.5 KB), and a few CSV lines.
    let per_step = size("summary.json") as f64 / 10_000.0;
    assert!(per_step < 6_000.0, "summary.json: {} bytes", size("summary.json"));
    let series_rows = std::fs::read_to_string(folder.join("timeseries.csv")).map_or(0, |t| t.lines().count());
    let bins = base["timeseries"]["bin_start"].as_array().map_or(0, |b| b.len());
    // One row per bin for each queue series, each utilisation series and the wait series.
    assert_eq!(series_rows, 1 + bins * (queued + 10_000 + 1), "timeseries.csv rows");
}

/// 1,000 customer types (the most allowed) and 10,000 steps (the most allowed) are each
/// fine, but together their per-type tables would take gigabytes: refused before compiling,
/// naming the estimate and the limit.
#[test]
fn types_times_steps_are_refused_by_the_memory_estimate() {
    let dir = scratch("types-steps");
    let mut text = models::tandem(10_000, 1_000.0);
    for i in 0..999 {
        text.push_str(&format!("[[customers]]\nname = \"t{i}\"\nfirst_step = \"s0\"\n\n"));
    }
    let file = write(&dir, "huge.toml", &text);
    let t = Instant::now();
    let (code, err) = branchsim(&["validate", &file]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the compiled model would take about") && err.contains("at most 512 MB"), "{err}");
    assert!(err.contains("1000 customer types × 10000 steps"), "{err}");
    assert!(t.elapsed().as_secs_f64() < 30.0);
}

/// 10,000 resources with a fine time-series grid: the bins are widened to 500,000 cells
/// (24 bins of 20,001 series), and the memory of the model and its series is estimated
/// before simulating: over the budget, `run` refuses and says which setting to change.
#[test]
fn series_memory_is_estimated_before_running() {
    let dir = scratch("series");
    let text = models::parallel(10_000, 50_000.0).replacen(
        "replications = 1\n",
        "replications = 1\ntimeseries_bin = \"1min\"\n",
        1,
    );
    let file = write(&dir, "series.toml", &text);
    let out = dir.join("out");
    let (code, err) = branchsim(&[
        "run",
        &file,
        "--out",
        &out.to_string_lossy(),
        "-q",
        "-n",
        "1",
        "--no-charts",
        "--max-memory",
        "50MB",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the model would hold about") && err.contains("24 bins"), "{err}");
    assert!(err.contains("timeseries_bin"), "{err}");
    assert!(!out.exists() || std::fs::read_dir(&out).map_or(0, |d| d.count()) == 0, "nothing written");
}
