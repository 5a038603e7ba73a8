//! `run --shard K/N` + `merge` give byte-identical outputs to a single-machine run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_branchsim")
}

fn run(args: &[&str], out: &Path) {
    let st = Command::new(bin()).args(args).arg("--out").arg(out).status().unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success(), "{args:?}");
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    ["summary.json", "kpis.csv", "replications.csv", "timeseries.csv", "compare.csv"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display())))
        .collect()
}

#[test]
fn merged_shards_equal_the_single_run() {
    let root: PathBuf = std::env::temp_dir().join(format!("branchsim-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let file = "scenarios/downtown_branch.toml";
    run(&["run", file, "-n", "23", "-q", "--no-charts"], &root.join("single"));
    let single = read_all(&root.join("single/downtown-branch-weekday"));
    for n in [1u32, 2, 3, 7] {
        let shards = root.join(format!("shards{n}"));
        for k in 0..n {
            run(&["run", file, "-n", "23", "-q", "--shard", &format!("{k}/{n}")], &shards);
        }
        let merged = root.join(format!("merged{n}"));
        let st = Command::new(bin())
            .args(["merge", "-q", "--no-charts"])
            .arg(shards.join("downtown-branch-weekday"))
            .arg("--out")
            .arg(&merged)
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(st.success());
        assert!(read_all(&merged.join("downtown-branch-weekday")) == single, "N = {n}: merged output differs");
    }
    // A missing shard, or shards of another seed, are refused with exit 2.
    let part = root.join("partial");
    run(&["run", file, "-n", "23", "-q", "--shard", "0/2"], &part);
    let out = Command::new(bin())
        .arg("merge")
        .arg(part.join("downtown-branch-weekday"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing shard(s) 1 of 2"));
    run(&["run", file, "-n", "23", "-q", "--seed", "5", "--shard", "1/2"], &part);
    let out = Command::new(bin())
        .arg("merge")
        .arg(part.join("downtown-branch-weekday"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to mix"));
    let _ = std::fs::remove_dir_all(&root);
}

/// A shard written in another format version (here: format 1, which held every replication's
/// time-series values) is refused with a message naming its format, and nothing is written.
#[test]
fn shard_of_another_format_is_refused_by_name() {
    let root: PathBuf = std::env::temp_dir().join(format!("branchsim-oldshard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("shards");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let old = r#"{"format":"branchsim-shard","branchsim_version":"0.1.0","scenario_file":"scenarios/theory/mm1.toml",
        "content_hash":"0","seed":1,"replications":2,"shard":0,"shards":1,"objective":null,"maximise":null,
        "indifference":0.0,"variants":[{"name":"baseline","first_rep":0,"rows":[],"wait_hist":[],"cycle_hist":[],
        "queue_vals":[],"util_vals":[],"wait_vals":[],"events":0,"stops":[]}]}"#;
    std::fs::write(dir.join("shard-0-of-1.json"), old).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(bin())
        .args(["merge", "-q", "--no-charts"])
        .arg(&dir)
        .arg("--out")
        .arg(root.join("merged"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("format `branchsim-shard` (branchsim 0.1.0)"), "{err}");
    assert!(!root.join("merged").exists());
    let _ = std::fs::remove_dir_all(&root);
}

/// A shard's events are counted once when it is merged (they were added twice).
#[test]
fn absorbing_a_shard_counts_its_events_once() {
    use branchsim::experiment::{self, Job, VariantResult};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/downtown_branch.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded =
        branchsim::scenario::load_str(&text, "downtown_branch.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let v = loaded.baseline();
    let jobs = [Job { name: &v.name, description: &v.description, model: &v.model }];
    let done = experiment::run(&jobs, v.model.seed, 3, None, &|_| {}).0;
    assert!(done[0].events > 0);
    let mut merged = VariantResult::new(&v.name, &v.description, &v.model);
    merged.absorb(done[0].to_partial()).unwrap();
    assert_eq!(merged.events, done[0].events);
    assert_eq!(merged.replications(), 3);
}
