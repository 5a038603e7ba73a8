//! Parallel work (fork/join, issue #21) against exact values and queueing theory, and with
//! every feature a branch may use. Fixed seeds; statistical checks use the run's own 99.9%
//! confidence interval (`common::assert_ci`), exact ones a rounding tolerance.

mod common;

use branchsim::experiment::VariantResult;
use branchsim::stats::student_t::t_quantile;
use common::{assert_ci, assert_load_errors, kpi, one_type, run_text};

/// Every replication's value of `path` equals `x` up to rounding.
fn assert_exact(v: &VariantResult, path: &str, x: f64) {
    let k = v.find(path).unwrap_or_else(|| panic!("no KPI {path}"));
    for (rep, y) in v.column(k).iter().enumerate() {
        assert!((y - x).abs() < 1e-9 * x.abs().max(1.0), "{path} in replication {rep}: {y}, expected {x}");
    }
}

/// Enough staff that nobody ever queues.
const AMPLE: u32 = 1000;

/// The opening of most bodies below: ample staff at `r`, and the step `split` forking into
/// `branches` (a TOML array) that meet at the join `done`.
fn ample_fork(branches: &str) -> String {
    format!(
        "[[resources]]\nname = \"r\"\nstaff = {AMPLE}\n[[steps]]\nname = \"split\"\nfork = {{ branches = {branches}, join = \"done\" }}\n"
    )
}

/// A step that takes exactly `service` at `resource` ("" for a pure delay, no staff), with
/// any `extra` keys (one a line), then goes on to `then`.
fn exactly(name: &str, resource: &str, service: &str, extra: &str, then: &str) -> String {
    let resource = if resource.is_empty() { String::new() } else { format!("resource = \"{resource}\"\n") };
    let extra = if extra.is_empty() { String::new() } else { format!("{extra}\n") };
    format!(
        "[[steps]]\nname = \"{name}\"\n{resource}service = {{ dist = \"deterministic\", value = \"{service}\" }}\n{extra}next = [{{ step = \"{then}\", p = 1 }}]\n"
    )
}

/// The join step `done` of a body: routing only, the case leaves after it.
const DONE: &str = "[[steps]]\nname = \"done\"\n";

#[test]
fn deterministic_branches_give_the_max_exactly() {
    // Three branches of 3, 2 + 2 and 7 minutes; the case leaves after a 1-minute join step.
    let body = [
        ample_fork(r#"["a", "b1", "c"]"#),
        exactly("a", "r", "3min", "", "done"),
        exactly("b1", "r", "2min", "", "b2"),
        exactly("b2", "r", "2min", "", "done"),
        exactly("c", "", "7min", "", "done"),
        format!("{DONE}resource = \"r\"\nservice = {{ dist = \"deterministic\", value = \"1min\" }}\n"),
    ]
    .concat();
    let v = &run_text(&one_type(0.5, "split", 100.0, 2000.0, 1, "", &body), 5)[0];
    assert_exact(v, "cycle_time_mean", 8.0);
    assert_exact(v, "wait_mean", 0.0);
    // The first branch (3 min) waits 4 min for the last (7 min).
    assert_exact(v, "steps.done.sync_wait", 4.0);
    // Every branch is visited once per case, the join once.
    let served = kpi(v, "served").mean;
    for s in ["split", "a", "b1", "b2", "c", "done"] {
        let n = kpi(v, &format!("steps.{s}.served")).mean;
        assert_eq!(n, served, "step {s}: visits per replication against cases");
    }
    assert_exact(v, "unfinished", 0.0);
}

/// Two M/M/1 queues fed by the same Poisson arrivals (each arrival forks into both):
/// the mean response time of the symmetric fork-join is exactly (12 − ρ)/8 · 1/(μ − λ)
/// (Flatto & Hahn 1984; Nelson & Tantawi 1988).
#[test]
fn fork_join_of_two_mm1_queues_flatto_hahn() {
    let (lam, mu) = (0.5, 1.0);
    let body = r#"
[[resources]]
name = "ra"
staff = 1
[[resources]]
name = "rb"
staff = 1
[[steps]]
name = "split"
fork = { branches = ["a", "b"], join = "done" }
[[steps]]
name = "a"
resource = "ra"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "done", p = 1 }]
[[steps]]
name = "b"
resource = "rb"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "done", p = 1 }]
[[steps]]
name = "done"
"#;
    let v = &run_text(&one_type(lam, "split", 1000.0, 21_000.0, 21, "", body), 40)[0];
    let rho = lam / mu;
    let exact = (12.0 - rho) / 8.0 / (mu - lam);
    assert!((exact - 2.875).abs() < 1e-12);
    assert_ci(v, "cycle_time_mean", exact);
    // Each queue alone is an M/M/1: its wait is ρ/(μ − λ).
    assert_ci(v, "steps.a.wait_mean", rho / (mu - lam));
    // The sync wait is E|Ta − Tb| = 2 E[max] − E[Ta] − E[Tb] = 2·exact − 2/(μ − λ).
    assert_ci(v, "steps.done.sync_wait", 2.0 * exact - 2.0 / (mu - lam));
}

#[test]
fn inclusive_or_takes_each_branch_with_its_probability() {
    // a (5 min) with p = 0.6, b (2 min) with p = 0.3, drawn independently; none: straight on.
    let body = [
        ample_fork(r#"[{ step = "a", p = 0.6 }, { step = "b", p = 0.3 }]"#),
        exactly("a", "r", "5min", "", "done"),
        exactly("b", "r", "2min", "", "done"),
        DONE.into(),
    ]
    .concat();
    let v = &run_text(&one_type(1.0, "split", 100.0, 10_100.0, 3, "", &body), 20)[0];
    // E[max] = 0.6·5 + 0.4·0.3·2.
    assert_ci(v, "cycle_time_mean", 0.6 * 5.0 + 0.4 * 0.3 * 2.0);
    let served = kpi(v, "served").mean;
    for (s, p) in [("a", 0.6), ("b", 0.3)] {
        let n = kpi(v, &format!("steps.{s}.served")).mean;
        // Binomial: 4.5 standard deviations of the mean over 20 replications.
        let sd = (served * p * (1.0 - p) / 20.0).sqrt();
        assert!((n - p * served).abs() < 4.5 * sd, "step {s}: {n} of {served}, expected share {p}");
    }
    // Both taken in 18% of the cases: then the first waits 3 min; alone, no sync wait.
    assert_ci(v, "steps.done.sync_wait", 0.18 * 3.0 / (0.6 + 0.3 - 0.18));
}

#[test]
fn batch_inside_a_branch() {
    // Branch a waits for a partner (batch of 2, 1 min), branch b takes 0.5 min: with Poisson
    // arrivals λ = 1 the first of a pair waits Exp(λ) for the second, so the case takes
    // 1/(2λ) + 1 on average, and the b token waits that minus 0.5 at the join.
    let body = [
        ample_fork(r#"["pair", "b"]"#),
        exactly("pair", "", "1min", "batch = { size = 2 }", "done"),
        exactly("b", "r", "0.5min", "", "done"),
        DONE.into(),
    ]
    .concat();
    let v = &run_text(&one_type(1.0, "split", 100.0, 10_100.0, 4, "", &body), 20)[0];
    assert_ci(v, "cycle_time_mean", 1.5);
    assert_ci(v, "steps.done.sync_wait", 1.0);
}

#[test]
fn automation_with_fallback_inside_a_branch() {
    // Branch a: automated 1 min, 30% fail to a manual 5 min; branch b: 3 min.
    // E[max] = 0.7·3 + 0.3·6 = 3.9.
    let body = [
        format!("[[resources]]\nname = \"bot\"\nstaff = {AMPLE}\nautomated = true\n"),
        ample_fork(r#"["auto", "b"]"#),
        exactly("auto", "bot", "1min", "success = 0.7\non_failure = \"manual\"", "done"),
        exactly("manual", "r", "5min", "", "done"),
        exactly("b", "r", "3min", "", "done"),
        DONE.into(),
    ]
    .concat();
    let v = &run_text(&one_type(1.0, "split", 100.0, 10_100.0, 5, "", &body), 20)[0];
    assert_ci(v, "cycle_time_mean", 3.9);
}

#[test]
fn repeat_info_inside_a_branch() {
    // Branch a: 2 min, redone with p = 0.5 (N passes, geometric); branch b: 3 min.
    // E[max(2N, 3)] = 0.5·3 + Σ_{n≥2} 2n/2ⁿ = 1.5 + 3 = 4.5.
    let body = [
        ample_fork(r#"["a", "b"]"#),
        exactly("a", "r", "2min", "repeat_info = { p = 0.5 }", "done"),
        exactly("b", "r", "3min", "", "done"),
        DONE.into(),
    ]
    .concat();
    let v = &run_text(&one_type(1.0, "split", 100.0, 10_100.0, 6, "", &body), 20)[0];
    assert_ci(v, "cycle_time_mean", 4.5);
}

#[test]
fn calendar_overnight_wait_inside_a_branch() {
    // Cases arrive 18:00-20:00 (uniformly, Poisson); branch a needs office staff (09:00-17:00,
    // 60 min), branch b is a 30-min delay. The case ends at 10:00 the next day: its cycle time
    // averages 15 h, and b waits at the join 14.5 h on average.
    let body = format!(
        r#"
[calendars.office]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
sat = "09:00-17:00"
sun = "09:00-17:00"
[calendars.evening]
mon = "18:00-20:00"
tue = "18:00-20:00"
wed = "18:00-20:00"
thu = "18:00-20:00"
fri = "18:00-20:00"
sat = "18:00-20:00"
sun = "18:00-20:00"
[[resources]]
name = "r"
staff = {AMPLE}
calendar = "office"
[[steps]]
name = "split"
fork = {{ branches = ["a", "b"], join = "done" }}
{a}{b}{DONE}"#,
        a = exactly("a", "r", "60min", "", "done"),
        b = exactly("b", "", "30min", "", "done"),
    );
    let text = one_type(0.2, "split", 1440.0, 14.0 * 1440.0, 7, "kind = \"case\"", &body)
        .replace("rate = 0.2\n", "rate = 0.2\ncalendar = \"evening\"\n")
        .replace("time_unit = \"min\"", "time_unit = \"min\"\nstart = \"00:00\"");
    let v = &run_text(&text, 20)[0];
    assert_ci(v, "cycle_time_mean", 15.0 * 60.0);
    assert_ci(v, "steps.done.sync_wait", 14.5 * 60.0);
    assert_exact(v, "unfinished", 0.0);
}

#[test]
fn abandoning_a_branch_withdraws_the_whole_case() {
    // Branch a queues for a resource with no staff and gives up after exactly 1 min; branch b
    // is in service at `rb` (one server, 100 min) meanwhile. The whole case leaves at 1 min and
    // b is withdrawn from service at once, so `rb` is busy exactly when some case arrived in
    // the last minute: utilisation 1 − e^(−λ). Without the withdrawal it would be saturated.
    let body = r#"
[[resources]]
name = "ra"
staff = 0
[[resources]]
name = "rb"
staff = 1
[[steps]]
name = "split"
fork = { branches = ["a", "b"], join = "done" }
"#
    .to_string()
        + &exactly("a", "ra", "1min", "", "done")
        + &exactly("b", "rb", "100min", "", "done")
        + DONE;
    let lam: f64 = 0.1;
    let v = &run_text(
        &one_type(lam, "split", 100.0, 20_100.0, 8, r#"patience = { dist = "deterministic", value = "1min" }"#, &body),
        20,
    )[0];
    assert_ci(v, "resources.rb.utilisation", 1.0 - (-lam).exp());
    // Every case abandons, counted once; none is served or left inside.
    assert_exact(v, "abandon_rate", 1.0);
    assert_exact(v, "served", 0.0);
    let arrived = kpi(v, "arrived").mean;
    let expected = lam * 20_000.0;
    assert!((arrived - expected).abs() < 4.5 * (expected / 20.0).sqrt(), "arrived {arrived}, expected {expected}");
    assert_exact(v, "unfinished", 0.0);
}

#[test]
fn preemption_inside_a_branch_resumes_the_rest_of_the_service() {
    // Branch a: 10 min at a preemptive resource that breaks 5 min of every 10 (all day), so a
    // service takes 15 to 20 min of clock when interrupted and resumed, against 10 to 12.5 if
    // it were finished through the breaks. Checked against the same process without the fork
    // (branch b is a zero-time gateway): the same mean cycle time and utilisation.
    let breaks: Vec<String> = (0..144)
        .map(|i| format!("{{ start = \"{:02}:{:02}\", length = \"5min\", staff = 1 }}", i / 6, (i % 6) * 10 + 5))
        .collect();
    let staff = format!("staff = 1\nbreaks = [{}]", breaks.join(", "));
    let body = format!(
        r#"
[[resources]]
name = "ra"
{staff}
on_shift_end = "preempt"
[[steps]]
name = "split"
next = [{{ step = "a", p = 1 }}]
[[steps]]
name = "a"
resource = "ra"
service = {{ dist = "deterministic", value = "10min" }}
next = [{{ step = "done", p = 1 }}]
[[steps]]
name = "b"
next = [{{ step = "done", p = 1 }}]
[[steps]]
name = "done"

[[variants]]
name = "forked"
[[variants.steps]]
name = "split"
fork = {{ branches = ["a", "b"], join = "done" }}
"#
    );
    let runs = run_text(&one_type(0.005, "split", 1440.0, 1440.0 * 40.0, 9, "", &body), 20);
    let (serial, forked) = (&runs[0], &runs[1]);
    let c = kpi(forked, "cycle_time_mean").mean;
    assert!(c > 15.0, "preempted services resume with their remaining time: cycle {c}");
    assert_same(serial, forked, "cycle_time_mean");
    assert_same(serial, forked, "resources.ra.utilisation");
}

/// Two independent runs agree on `path` within their combined 99.9% confidence interval.
fn assert_same(a: &VariantResult, b: &VariantResult, path: &str) {
    let (x, y) = (kpi(a, path), kpi(b, path));
    let se = (x.sd * x.sd / x.n as f64 + y.sd * y.sd / y.n as f64).sqrt();
    let t = t_quantile(0.9995, (x.n + y.n - 2) as f64);
    assert!((x.mean - y.mean).abs() <= t * se, "{path}: {} vs {} (combined half-width {})", x.mean, y.mean, t * se);
}

#[test]
fn priorities_and_skills_apply_to_branch_tokens() {
    // Two types share the checks; VIP tokens go first at a skill pool served by two groups.
    // With priorities the VIP branch waits less than the regular one at the same queue.
    let body = r#"
[[customers]]
name = "vip"
first_step = "split"
priority = 5
[[arrivals]]
customer = "vip"
rate = 0.3
[[resources]]
name = "clerk"
staff = 1
skills = ["check"]
[[resources]]
name = "senior"
staff = 1
skills = ["check"]
[[steps]]
name = "split"
fork = { branches = ["a", "b"], join = "done" }
[[steps]]
name = "a"
skill = "check"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "done", p = 1 }]
[[steps]]
name = "b"
skill = "check"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "done", p = 1 }]
[[steps]]
name = "done"
"#;
    let v = &run_text(&one_type(0.5, "split", 500.0, 10_500.0, 10, "", body), 20)[0];
    let vip = kpi(v, "customers.vip.cycle_time_mean");
    let reg = kpi(v, "customers.c.cycle_time_mean");
    assert!(vip.mean + 4.0 * vip.sd < reg.mean, "vip {} vs regular {}", vip.mean, reg.mean);
    // Both groups work: the skill pool is shared (0.8 cases/min × 2 tokens × 1 min = 1.6 staff).
    for r in ["clerk", "senior"] {
        let u = kpi(v, &format!("resources.{r}.utilisation")).mean;
        assert!(u > 0.6, "{r} utilisation {u}");
    }
}

const SERIAL_TO_PARALLEL: &str = r#"
[[resources]]
name = "ra"
staff = 1
[[resources]]
name = "rb"
staff = 1
[[steps]]
name = "a"
resource = "ra"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "b", p = 1 }]
[[steps]]
name = "b"
resource = "rb"
service = { dist = "exponential", mean = "1min" }
next = [{ step = "done", p = 1 }]
[[steps]]
name = "done"
resource = "ra"
service = { dist = "exponential", mean = "0.2min" }

[[variants]]
name = "parallel"
[[variants.steps]]
name = "start"
fork = { branches = ["a", "b"], join = "done" }
[[variants.steps]]
name = "a"
next = [{ step = "done", p = 1 }]

[[variants]]
name = "parallel_reordered"
[[variants.steps]]
name = "start"
fork = { branches = ["b", "a"], join = "done" }
[[variants.steps]]
name = "a"
next = [{ step = "done", p = 1 }]
"#;

#[test]
fn variant_turns_serial_into_parallel_with_common_random_numbers() {
    let body = format!("[[steps]]\nname = \"start\"\nnext = [{{ step = \"a\", p = 1 }}]\n{SERIAL_TO_PARALLEL}");
    let runs = run_text(&one_type(0.4, "start", 500.0, 10_500.0, 11, "", &body), 20);
    let (serial, parallel, reordered) = (&runs[0], &runs[1], &runs[2]);
    // Reordering the branches keeps every branch's random numbers: identical results.
    for k in 0..parallel.catalogue.len() {
        let (x, y) = (parallel.column(k), reordered.column(k));
        assert_eq!(format!("{x:?}"), format!("{y:?}"), "{}", parallel.catalogue[k].path());
    }
    // Serial: two M/M/1 in tandem (W = 1/(1 − 0.4) each) plus the join step; parallel: the
    // Flatto–Hahn max instead of the sum: (12 − 0.4)/8/0.6 = 2.4167 instead of 3.333.
    let (s, p) = (kpi(serial, "cycle_time_mean"), kpi(parallel, "cycle_time_mean"));
    assert!(p.mean < s.mean - 0.5, "parallel {} vs serial {}", p.mean, s.mean);
    // Common random numbers: the arrivals are shared, so the paired difference varies less
    // than the two runs do independently.
    let k = serial.find("cycle_time_mean").unwrap_or(0);
    let d: Vec<f64> = serial.column(k).iter().zip(parallel.column(k)).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var_d = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    assert!(var_d < s.sd * s.sd + p.sd * p.sd, "paired variance {var_d} vs {}", s.sd * s.sd + p.sd * p.sd);
}

// ---------------------------------------------------------------------------------------
// Validation: every mistake is an error naming file, line, column and key, with a hint.

/// A valid two-branch fork; each test breaks one thing in it.
const VALID: &str = r#"
name = "fork"
horizon = "8h"
[[customers]]
name = "c"
first_step = "open"
[[arrivals]]
customer = "c"
rate = "10/h"
[[resources]]
name = "r"
staff = 3
[[steps]]
name = "open"
resource = "r"
service = "5min"
fork = { branches = ["credit", "appraisal"], join = "decision" }
[[steps]]
name = "credit"
resource = "r"
service = "5min"
next = [{ step = "decision", p = 1 }]
[[steps]]
name = "appraisal"
resource = "r"
service = "5min"
next = [{ step = "decision", p = 1 }]
[[steps]]
name = "decision"
resource = "r"
service = "5min"
"#;

/// Asserts that `text`, loaded as fork.toml, fails with errors that contain all `needles`.
fn expect(text: &str, needles: &[&str]) {
    assert_load_errors(text, "fork.toml", needles);
}

#[test]
fn the_valid_fork_loads_and_routing_only_steps_need_no_service() {
    let l = branchsim::scenario::load_str(VALID, "fork.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(l.baseline().model.steps[0].fork.is_some());
    let gw = VALID.replace("resource = \"r\"\nservice = \"5min\"\nfork", "fork");
    let l = branchsim::scenario::load_str(&gw, "fork.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(l.baseline().model.steps[0].gateway);
}

#[test]
fn unknown_branch_and_join_steps_suggest_the_nearest_name() {
    expect(
        &VALID.replace("[\"credit\", \"appraisal\"]", "[\"credit\", \"apraisal\"]"),
        &["unknown step `apraisal`", "steps[0].fork.branches[1]", "fork.toml:17:", "appraisal"],
    );
    expect(
        &VALID.replace("join = \"decision\"", "join = \"decison\""),
        &["unknown step `decison`", "steps[0].fork.join", "did you mean `decision`"],
    );
}

#[test]
fn fork_and_next_on_one_step_is_an_error() {
    expect(
        &VALID.replace("fork = {", "next = [{ step = \"credit\", p = 1 }]\nfork = {"),
        &["a step has either `next` or `fork`, not both", "steps[0].next", "fork.toml:17:"],
    );
}

#[test]
fn a_branch_that_can_leave_or_never_reaches_its_join_is_an_error() {
    let leaves =
        VALID.replacen("next = [{ step = \"decision\", p = 1 }]", "next = [{ step = \"decision\", p = 0.8 }]", 1);
    expect(
        &leaves,
        &[
            "step `credit` is on a branch of the fork at `open`",
            "can leave the system there (probability 0.2)",
            "steps[1].next",
        ],
    );
    let loops = VALID.replacen("next = [{ step = \"decision\", p = 1 }]", "next = [{ step = \"credit\", p = 1 }]", 1);
    expect(&loops, &["never reaches its join `decision`", "step `credit`"]);
}

#[test]
fn reaching_a_join_or_a_branch_from_outside_the_fork_is_an_error() {
    // `decision` reached from `open`'s automation failure route, outside the branches.
    let side = VALID.replace(
        "name = \"open\"\nresource = \"r\"\nservice = \"5min\"\n",
        "name = \"open\"\nresource = \"r\"\nservice = \"5min\"\nsuccess = 0.9\non_failure = \"manual\"\n",
    ) + "[[steps]]\nname = \"manual\"\nresource = \"r\"\nservice = \"5min\"\nnext = [{ step = \"decision\", p = 1 }]\n";
    expect(&side, &["step `manual` is outside the fork at `open` but leads to the join `decision`", "steps[4].next"]);
    // A customer type starting inside the branches.
    expect(
        &VALID.replace("first_step = \"open\"", "first_step = \"credit\""),
        &["start at `credit`, inside the fork at `open`"],
    );
    // After the join, rework of the join step is fine.
    let rework = VALID.replace(
        "name = \"decision\"\nresource = \"r\"\nservice = \"5min\"\n",
        "name = \"decision\"\nresource = \"r\"\nservice = \"5min\"\nrepeat_info = { p = 0.1 }\n",
    );
    branchsim::scenario::load_str(&rework, "fork.toml").unwrap_or_else(|e| panic!("{}", e.render()));
}

#[test]
fn bad_branch_probabilities_and_lists() {
    expect(
        &VALID.replace("[\"credit\", \"appraisal\"]", "[\"credit\", { step = \"appraisal\", p = 1.5 }]"),
        &["probability 1.5 is outside [0, 1]", "steps[0].fork.branches[1].p"],
    );
    expect(&VALID.replace("[\"credit\", \"appraisal\"]", "[]"), &["a fork needs at least one branch"]);
    expect(
        &VALID.replace("[\"credit\", \"appraisal\"]", "[\"credit\", \"credit\"]"),
        &["branch `credit` is listed twice"],
    );
    expect(
        &VALID.replace("join = \"decision\"", "join = \"decision\", joint = 1"),
        &["unknown key `joint`", "did you mean `join`"],
    );
    expect(&VALID.replace("join = \"decision\"", "join = \"open\""), &["cannot join its own fork"]);
}

#[test]
fn nesting_mistakes_are_errors() {
    // A branch forks again but its inner branch runs into the outer join.
    let crossing = VALID.replace(
        "name = \"credit\"\nresource = \"r\"\nservice = \"5min\"\nnext = [{ step = \"decision\", p = 1 }]",
        "name = \"credit\"\nresource = \"r\"\nservice = \"5min\"\nfork = { branches = [\"bureau\", \"income\"], join = \"score\" }\n[[steps]]\nname = \"bureau\"\nservice = \"1min\"\nnext = [{ step = \"decision\", p = 1 }]\n[[steps]]\nname = \"income\"\nservice = \"1min\"\nnext = [{ step = \"score\", p = 1 }]\n[[steps]]\nname = \"score\"\nnext = [{ step = \"decision\", p = 1 }]",
    );
    expect(&crossing, &["runs into `decision`, the join of the fork at `open`, before its own join `score`"]);
    // Properly nested: loads.
    let nested = crossing.replace(
        "name = \"bureau\"\nservice = \"1min\"\nnext = [{ step = \"decision\", p = 1 }]",
        "name = \"bureau\"\nservice = \"1min\"\nnext = [{ step = \"score\", p = 1 }]",
    );
    let l = branchsim::scenario::load_str(&nested, "fork.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(l.baseline().model.steps.iter().filter(|s| s.fork.is_some()).count(), 2);
    // A branch that loops back to its own fork step.
    let own = VALID.replacen("next = [{ step = \"decision\", p = 1 }]", "next = [{ step = \"open\", p = 1 }]", 1);
    expect(&own, &["reached again from its own branches"]);
    // Two forks sharing a join.
    let shared = VALID.replace(
        "name = \"decision\"\nresource = \"r\"\nservice = \"5min\"\n",
        "name = \"decision\"\nresource = \"r\"\nservice = \"5min\"\nfork = { branches = [\"x\"], join = \"decision\" }\n",
    );
    expect(&shared, &["cannot join its own fork"]);
}

#[test]
fn nested_forks_run_and_meet_inner_join_first() {
    // Outer: a (2 min) and an inner fork of b1 (1 min) and b2 (4 min) meeting at `inner`;
    // the case takes max(2, max(1, 4)) = 4 min, exactly.
    let body = [
        ample_fork(r#"["a", "b"]"#),
        exactly("a", "r", "2min", "", "done"),
        "[[steps]]\nname = \"b\"\nfork = { branches = [\"b1\", \"b2\"], join = \"inner\" }\n".into(),
        exactly("b1", "r", "1min", "", "inner"),
        exactly("b2", "r", "4min", "", "inner"),
        "[[steps]]\nname = \"inner\"\nnext = [{ step = \"done\", p = 1 }]\n".into(),
        DONE.into(),
    ]
    .concat();
    let v = &run_text(&one_type(0.5, "split", 100.0, 2000.0, 12, "", &body), 5)[0];
    assert_exact(v, "cycle_time_mean", 4.0);
    assert_exact(v, "steps.inner.sync_wait", 3.0);
    assert_exact(v, "steps.done.sync_wait", 2.0);
}

#[test]
fn load_analysis_counts_every_branch_and_the_join_once() {
    // Visits per case: open 1, credit 1, appraisal 0.6 (inclusive), decision 1: 3.6 steps,
    // so the expected events per replication are λ·horizon·(1 + 3.6) (10/h over 8 h).
    let or = VALID.replace("[\"credit\", \"appraisal\"]", "[\"credit\", { step = \"appraisal\", p = 0.6 }]");
    for (text, visits) in [(VALID.to_string(), 4.0), (or, 3.6)] {
        let l = branchsim::scenario::load_str(&text, "fork.toml").unwrap_or_else(|e| panic!("{}", e.render()));
        let e = l.baseline().model.expected_events;
        let want = 80.0 * (1.0 + visits);
        assert!((e - want).abs() < 1e-9 * want, "expected events {e}, want {want}");
    }
}
