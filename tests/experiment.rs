//! Monte Carlo layer: reproducibility across thread counts, CI coverage, common random
//! numbers, precision-driven stopping, variants and sweeps.

mod common;

use std::process::Command;

use branchsim::experiment::compare;
use branchsim::experiment::{self, Job, Precision, PrecisionTarget};
use branchsim::scenario;
use branchsim::stats::Summary;
use branchsim::theory;
use common::{kpi, run_text, single_station};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_branchsim")
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-exp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

#[test]
fn same_seed_same_bytes_for_any_thread_count() {
    let mut outputs = Vec::new();
    // 70 replications of 5 variants: 350 items, more than the window of replications run
    // ahead of the fold (experiment::WINDOW), so results complete out of order.
    for threads in ["1", "2", "3", "8"] {
        let out = tmpdir(&format!("threads{threads}"));
        let st = Command::new(bin())
            .args([
                "run",
                "scenarios/downtown_branch.toml",
                "-n",
                "70",
                "--no-charts",
                "-q",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(st.success());
        let dir = out.join("downtown-branch-weekday");
        let files: Vec<Vec<u8>> = ["summary.json", "kpis.csv", "replications.csv", "timeseries.csv", "compare.csv"]
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
            .collect();
        outputs.push(files);
    }
    assert!(outputs[0] == outputs[1], "1 and 2 threads differ");
    assert!(outputs[0] == outputs[2], "1 and 3 threads differ");
    assert!(outputs[0] == outputs[3], "1 and 8 threads differ");
    let summary = String::from_utf8_lossy(&outputs[0][0]);
    assert!(summary.contains("\"schema_version\": 1"));
    assert!(!summary.to_lowercase().contains("elapsed"), "no wall-clock fields");
}

#[test]
fn confidence_intervals_cover_the_truth_about_95_percent_of_the_time() {
    // 200 independent experiments (different seeds) of 10 replications each of an M/M/1 queue
    // (λ = 0.5, μ = 1, Wq = 1) in steady state (warm-up 200 min, 2,000 min observed). The count
    // of 95% CIs that cover Wq is Binomial(200, 0.95): mean 190, sd 3.08; the acceptance band
    // is ±3 sd, [181, 199]. (Bias of the per-replication ratio estimator is far below the CI
    // half-width at ~1,000 customers per replication.)
    let text = single_station(0.5, 1, r#"{ dist = "exponential", mean = "1min" }"#, "", 200.0, 2200.0, 1);
    let loaded = scenario::load_str(&text, "cov.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let m = &loaded.baseline().model;
    let wq = theory::mmc(0.5, 1.0, 1).map_or(f64::NAN, |r| r.wq);
    let mut covered = 0;
    for seed in 0..200u64 {
        let jobs = [Job { name: "b", description: "", model: m }];
        let (v, _) = experiment::run(&jobs, 1000 + seed, 10, None, &|_| {});
        let s: Summary = kpi(&v[0], "wait_mean");
        if s.ci95[0] <= wq && wq <= s.ci95[1] {
            covered += 1;
        }
    }
    assert!((181..=199).contains(&covered), "{covered} of 200 CIs covered Wq");
    eprintln!("CI coverage: {covered}/200");
}

const TWO_VARIANTS: &str = r#"
name = "crn"
horizon = "8h"
seed = 5
[[customers]]
name = "c"
first_step = "teller"
patience = { dist = "exponential", mean = "15min" }
[[arrivals]]
customer = "c"
interval = "2h"
rates = ["80/h", "110/h", "90/h", "70/h"]
[[resources]]
name = "teller"
staff = 3
cost_per_hour = 30
[[steps]]
name = "teller"
resource = "teller"
service = { dist = "lognormal", mean = "2min", sd = "1.2min" }
[[variants]]
name = "same"
[[variants.resources]]
name = "teller"
staff = 3
[[variants]]
name = "more_tellers"
[[variants.resources]]
name = "teller"
staff = 4
"#;

#[test]
fn common_random_numbers_and_paired_comparison() {
    let v = run_text(TWO_VARIANTS, 60);
    let (base, same, more) = (&v[0], &v[1], &v[2]);
    // A variant identical to the baseline has paired differences of exactly 0 on every KPI.
    let diffs = compare::differences(base, &[same, more]);
    for d in diffs.iter().filter(|d| d.variant == "same") {
        assert!(d.diff == 0.0 || d.n == 0, "{}: {}", d.kpi, d.diff);
        assert!(!d.significant);
    }
    // More tellers: significantly lower wait; the paired CI is much narrower than the unpaired.
    let d =
        diffs.iter().find(|d| d.variant == "more_tellers" && d.kpi == "wait_mean").unwrap_or_else(|| panic!("no diff"));
    assert!(d.significant && d.diff < 0.0, "{d:?}");
    let paired = d.ci95[1] - d.ci95[0];
    let unpaired = d.ci95_unpaired[1] - d.ci95_unpaired[0];
    eprintln!("paired CI width {paired:.4}, unpaired {unpaired:.4}");
    assert!(paired < 0.75 * unpaired, "paired {paired} vs unpaired {unpaired}");
    // CRN: the variance of the paired difference is far below the sum of the variances.
    let (kb, km) = (base.find("wait_mean"), more.find("wait_mean"));
    let (Some(kb), Some(km)) = (kb, km) else { panic!("KPI missing") };
    let (xb, xm) = (base.column(kb), more.column(km));
    let dif: Vec<f64> = xb.iter().zip(&xm).map(|(a, b)| b - a).collect();
    let var = |x: &[f64]| Summary::of(x).sd.powi(2);
    eprintln!("var(D) = {:.5}, var(base) + var(variant) = {:.5}", var(&dif), var(&xb) + var(&xm));
    assert!(var(&dif) < 0.5 * (var(&xb) + var(&xm)), "var(D) {} vs {} + {}", var(&dif), var(&xb), var(&xm));
    // Ranking: more tellers is best on wait; staff cost rises.
    let r = compare::rank(&[base, same, more], "wait_mean", true, 0.0).unwrap_or_else(|| panic!("no ranking"));
    assert_eq!(r.order[0].0, "more_tellers");
    assert!(r.order[0].2 && !r.order[1].2 && !r.order[2].2, "{:?}", r.order);
    let cost = compare::cost_view(&[base, same, more]);
    assert!(cost.iter().all(|c| !c.dominated || c.variant != "more_tellers"));
}

#[test]
fn precision_stopping_reaches_its_target() {
    let text = single_station(1.5, 2, r#"{ dist = "exponential", mean = "1min" }"#, "", 0.0, 480.0, 3);
    let loaded = scenario::load_str(&text, "p.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let m = &loaded.baseline().model;
    let target = PrecisionTarget::parse("wait_mean=0.05").unwrap_or_else(|e| panic!("{e}"));
    let p = Precision { targets: vec![target], max_replications: 5000 };
    let jobs = [Job { name: "b", description: "", model: m }];
    let (v, outcome) = experiment::run(&jobs, 3, 10, Some(&p), &|_| {});
    let o = outcome.unwrap_or_else(|| panic!("no outcome"));
    assert!(o.all_met(), "{:?}", o.rows);
    let s = kpi(&v[0], "wait_mean");
    assert!(s.half_width() <= 0.05 * s.mean);
    assert!(v[0].replications() > 10, "needed more than the first batch");
    // The same targets reached with fewer threads give the same replication count.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap_or_else(|e| panic!("{e}"));
    let (v1, _) = pool.install(|| experiment::run(&jobs, 3, 10, Some(&p), &|_| {}));
    assert_eq!(v1[0].replications(), v[0].replications());
    assert_eq!(v1[0].rows, v[0].rows);
}

#[test]
fn remove_steps_reroutes_and_conserves_customers() {
    let text = r#"
name = "rm"
horizon = "4h"
seed = 9
[[customers]]
name = "c"
first_step = "check"
[[arrivals]]
customer = "c"
rate = "60/h"
[[resources]]
name = "desk"
staff = 3
[[steps]]
name = "check"
resource = "desk"
service = "2min"
next = [{ step = "recheck", p = 0.5 }, { step = "advice", p = 0.3 }]
[[steps]]
name = "recheck"
resource = "desk"
service = "1min"
next = [{ step = "advice", p = 1.0 }]
[[steps]]
name = "advice"
resource = "desk"
service = "3min"
[[variants]]
name = "no_recheck"
remove_steps = ["recheck"]
"#;
    let v = run_text(text, 30);
    let (b, n) = (&v[0], &v[1]);
    for name in ["arrived", "served"] {
        assert_eq!(kpi(b, name).mean, kpi(n, name).mean, "{name} conserved");
    }
    // Without the recheck, its customers go on to advice: 0.5 + 0.3 of arrivals reach advice.
    let adv = kpi(n, "steps.advice.served").mean;
    let arrived = kpi(n, "arrived").mean;
    assert!((adv / arrived - 0.8).abs() < 0.05, "advice share {}", adv / arrived);
    assert_eq!(kpi(n, "steps.recheck.served").mean, 0.0);
    assert!(kpi(n, "cycle_time_mean").mean < kpi(b, "cycle_time_mean").mean);
}

#[test]
fn a_sweep_point_reproduces_the_single_run() {
    let out = tmpdir("sweep");
    let st = Command::new(bin())
        .args([
            "sweep",
            "scenarios/downtown_branch.toml",
            "--set",
            "resources.teller.staff=+0..+1",
            "-n",
            "20",
            "-q",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success());
    let json = std::fs::read_to_string(out.join("downtown-branch-weekday/sweep.json")).unwrap_or_default();
    let sweep: serde_json::Value = serde_json::from_str(&json).unwrap_or(serde_json::Value::Null);
    // The teller staff is a schedule with a lunch dip: "+0" shifts it by nothing, so that
    // point is exactly the baseline.
    let st = Command::new(bin())
        .args([
            "run",
            "scenarios/downtown_branch.toml",
            "--variant",
            "lunch_cover",
            "-n",
            "20",
            "-q",
            "--no-charts",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success());
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("downtown-branch-weekday/summary.json")).unwrap_or_default(),
    )
    .unwrap_or(serde_json::Value::Null);
    let point = &sweep["points"][0];
    assert_eq!(point["values"][0], "+0");
    for k in ["wait_mean", "served", "abandon_rate", "cycle_time_p90"] {
        assert_eq!(point["kpis"][k], summary["variants"]["baseline"]["kpis"][k], "{k}");
    }
    // A constant would flatten the lunch schedule: refused with the way out (issue #19 item 10).
    let flat = Command::new(bin())
        .args(["sweep", "scenarios/downtown_branch.toml", "--set", "resources.teller.staff=4..5", "-q"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flat.status.code(), Some(2));
    let err = String::from_utf8_lossy(&flat.stderr);
    assert!(err.contains("would flatten it") && err.contains("=+0..+2"), "{err}");
    let bad = Command::new(bin())
        .args(["sweep", "scenarios/downtown_branch.toml", "--set", "resources.teler.staff=1..2"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("did you mean `resources.teller.staff`?") && err.contains("valid paths"), "{err}");
}

#[test]
fn suggest_warmup_reports_mser5() {
    let out = tmpdir("warmup");
    let o = Command::new(bin())
        .args(["run", "scenarios/theory/mmc_erlang_c.toml", "-n", "5", "--no-charts", "--suggest-warmup", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Warm-up (MSER-5"), "{text}");
    assert!(text.contains("warmup = \"") || text.contains("does not settle"), "{text}");
}
