//! `branchsim staff`: the simulated staffing requirement against queueing theory.
//!
//! In a stationary M/M/c queue the least staff meeting a service-level target is the Erlang C
//! answer, and with exponential patience and an abandonment target the Erlang A answer. The
//! search must find exactly that number in every interval, whether it starts below the answer
//! (it must raise) or above it (it must lower). The loads cover light traffic and the
//! square-root (quality-and-efficiency) regime, β = (c − a)/√a between 0.4 and 1.5. Each
//! case is chosen so that the theoretical service level at c* and c* − 1 is at least 0.02 from
//! the target (asserted below): with 20 replications of 480-minute intervals the standard
//! error of an interval's estimate is below 0.005, so the answer is decided by the queue, not
//! by noise. Seeds are fixed.

use branchsim::staffing::{Plan, Problem, Settings, Target, search};
use branchsim::theory::{erlang_a, mmc_service_level};

const WIDTH: f64 = 480.0;
const INTERVALS: usize = 2;

fn problem(lambda: f64, mean: f64, patience: Option<f64>, target: &str) -> Problem {
    let patience = patience.map(|p| format!("patience = {{ dist = \"exponential\", mean = {p} }}")).unwrap_or_default();
    let text = format!(
        r#"
name = "mmc"
horizon = {h}
seed = 11
[[customers]]
name = "c"
first_step = "s"
{patience}
[[arrivals]]
customer = "c"
rate = {lambda}
[[resources]]
name = "agent"
staff = 1
[[steps]]
name = "s"
resource = "agent"
service = {{ dist = "exponential", mean = {mean} }}
"#,
        h = WIDTH * INTERVALS as f64
    );
    let loaded = branchsim::scenario::load_str(&text, "mmc.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let m = loaded.baseline().model.clone();
    let t = Target::parse(target, m.service_level).unwrap();
    Problem::new(m, WIDTH, vec![0], vec![t], 5).unwrap()
}

fn settings() -> Settings {
    Settings { replications: 20, max_staff: 80, ..Settings::default() }
}

/// Least c with the M/M/c service level at least `target` within `t`, after checking the
/// case is decidable (0.02 margins on both sides).
fn erlang_c_staff(lambda: f64, mean: f64, t: f64, target: f64) -> u32 {
    let c = (1..200).find(|&c| mmc_service_level(lambda, mean, c, t) >= target).unwrap();
    assert!(mmc_service_level(lambda, mean, c, t) - target >= 0.02, "case too close to call at c = {c}");
    assert!(target - mmc_service_level(lambda, mean, c - 1, t) >= 0.02, "case too close to call at c - 1");
    c
}

fn run(p: &Problem, start: Option<u32>) -> Vec<u32> {
    let start = start.map(|c| Plan { staff: vec![vec![c; INTERVALS]] });
    let r = search(p, &settings(), start, &|_| {});
    assert!(r.infeasible.iter().all(|x| !x));
    r.plan.staff[0].clone()
}

#[test]
fn erlang_c_light_load_from_below() {
    // a = 4, β = 1.5.
    let c = erlang_c_staff(1.0, 4.0, 20.0 / 60.0, 0.8);
    let p = problem(1.0, 4.0, None, "service_level(20s)>=0.8");
    assert_eq!(run(&p, Some(1)), vec![c; INTERVALS]);
}

#[test]
fn erlang_c_moderate_load_from_above() {
    // a = 8, β = 1.06.
    let c = erlang_c_staff(4.0, 2.0, 20.0 / 60.0, 0.8);
    let p = problem(4.0, 2.0, None, "service_level(20s)>=0.8");
    assert_eq!(run(&p, Some(c + 3)), vec![c; INTERVALS]);
}

#[test]
fn erlang_c_square_root_regime() {
    // a = 20, β = 0.89, starting from SIPP (which is Erlang C itself here).
    let c = erlang_c_staff(10.0, 2.0, 20.0 / 60.0, 0.8);
    let p = problem(10.0, 2.0, None, "service_level(20s)>=0.8");
    assert_eq!(run(&p, None), vec![c; INTERVALS]);
    // a = 50, β = 0.42, from below.
    let c = erlang_c_staff(25.0, 2.0, 1.0, 0.8);
    let p = problem(25.0, 2.0, None, "service_level(1min)>=0.8");
    assert_eq!(run(&p, Some(c - 4)), vec![c; INTERVALS]);
}

/// Least c with Erlang A abandonment at most `target` (margins of at least 0.01 checked).
fn erlang_a_staff(lambda: f64, mean: f64, patience: f64, target: f64) -> u32 {
    let pa = |c| erlang_a(lambda, mean, c, patience).p_abandon;
    let c = (1..200).find(|&c| pa(c) <= target).unwrap();
    assert!(target - pa(c) >= 0.01 && pa(c - 1) - target >= 0.01, "case too close to call at c = {c}");
    c
}

#[test]
fn erlang_a_abandonment_targets() {
    let c = erlang_a_staff(2.0, 2.0, 5.0, 0.05);
    let p = problem(2.0, 2.0, Some(5.0), "abandon_rate<=0.05");
    assert_eq!(run(&p, Some(1)), vec![c; INTERVALS]);
    let c = erlang_a_staff(10.0, 1.0, 2.0, 0.05);
    let p = problem(10.0, 1.0, Some(2.0), "abandon_rate<=0.05");
    assert_eq!(run(&p, Some(c + 2)), vec![c; INTERVALS]);
}
