//! The engine against queueing theory (see ../shared/reference/queueing.md).
//!
//! Steady-state checks delete a warm-up of many relaxation times and compare the mean over
//! independent replications with the theory value; the tolerance is the run's own 99.9%
//! confidence interval (see `common::assert_ci`), not a loose constant.

mod common;

use branchsim::theory;
use common::{assert_ci, kpi, run_text, single_station};

#[test]
fn mm1_mean_wait_and_utilisation() {
    // λ = 0.8, μ = 1: Wq = ρ/(μ − λ) = 4 min, utilisation 0.8.
    let v =
        &run_text(&single_station(0.8, 1, r#"{ dist = "exponential", mean = "1min" }"#, "", 2000.0, 42_000.0, 11), 40)
            [0];
    let m = theory::mmc(0.8, 1.0, 1).unwrap_or_else(|| panic!("stable"));
    assert!((m.wq - 4.0).abs() < 1e-12);
    assert_ci(v, "wait_mean", m.wq);
    assert_ci(v, "resources.r.utilisation", m.utilisation);
    assert_ci(v, "wait_prob", m.p_wait);
}

#[test]
fn mmc_erlang_c() {
    // λ = 1.8/min, c = 4, E[S] = 2 min: the benchmark model (ρ = 0.9).
    let v =
        &run_text(&single_station(1.8, 4, r#"{ dist = "exponential", mean = "2min" }"#, "", 2000.0, 32_000.0, 12), 40)
            [0];
    let m = theory::mmc(1.8, 2.0, 4).unwrap_or_else(|| panic!("stable"));
    assert_ci(v, "wait_mean", m.wq);
    assert_ci(v, "wait_prob", m.p_wait);
    assert_ci(v, "resources.r.utilisation", m.utilisation);
    assert_ci(v, "steps.s.queue_mean", m.lq);
    assert_ci(v, "service_level", theory::mmc_service_level(1.8, 2.0, 4, 5.0));
    assert_ci(v, "cycle_time_mean", m.w);
}

#[test]
fn md1_pollaczek_khinchine() {
    // λ = 0.7, deterministic service 1 min: Wq = λ d² / (2(1 − ρ)) = 7/6 min.
    let v = &run_text(
        &single_station(0.7, 1, r#"{ dist = "deterministic", value = "1min" }"#, "", 2000.0, 42_000.0, 13),
        40,
    )[0];
    let wq = theory::mg1_pk_wait(0.7, 1.0, 1.0).unwrap_or(f64::NAN);
    assert!((wq - 7.0 / 6.0).abs() < 1e-12);
    assert_ci(v, "wait_mean", wq);
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // λ = 0.6, lognormal service mean 1, sd 1.5: E[S²] = 3.25, Wq = 2.4375 min.
    let v = &run_text(
        &single_station(0.6, 1, r#"{ dist = "lognormal", mean = "1min", sd = "1.5min" }"#, "", 3000.0, 63_000.0, 14),
        40,
    )[0];
    let wq = theory::mg1_pk_wait(0.6, 1.0, 1.5 * 1.5 + 1.0).unwrap_or(f64::NAN);
    assert_ci(v, "wait_mean", wq);
}

#[test]
fn erlang_a_abandonment_and_wait_of_served() {
    // Overloaded: λ = 2/min, c = 3, E[S] = 2 min (offered load 4 > 3), patience mean 5 min.
    let v = &run_text(
        &single_station(
            2.0,
            3,
            r#"{ dist = "exponential", mean = "2min" }"#,
            r#"patience = { dist = "exponential", mean = "5min" }"#,
            500.0,
            20_500.0,
            15,
        ),
        40,
    )[0];
    let a = theory::erlang_a(2.0, 2.0, 3, 5.0);
    assert_ci(v, "abandon_rate", a.p_abandon);
    assert_ci(v, "wait_mean", a.wait_served);
    assert_ci(v, "steps.s.queue_mean", a.lq);
}

#[test]
fn balking_matches_finite_waiting_room() {
    // M/M/2 where arrivals that see 3 waiting leave at once: M/M/2/5.
    let v = &run_text(
        &single_station(1.5, 2, r#"{ dist = "exponential", mean = "1min" }"#, "balk_at = 3", 1000.0, 21_000.0, 16),
        40,
    )[0];
    let (p_balk, wait) = theory::mmck_balk(1.5, 1.0, 2, 3);
    assert_ci(v, "abandon_rate", p_balk);
    assert_ci(v, "wait_mean", wait);
}

#[test]
fn priority_classes_match_cobham() {
    // Two classes at one M/M/1 server, class "vip" (priority 1) served first, non-preemptive.
    let text = r#"
name = "cobham"
horizon = 42000
warmup = 2000
seed = 17
[[customers]]
name = "vip"
first_step = "s"
priority = 1
[[customers]]
name = "retail"
first_step = "s"
[[arrivals]]
customer = "vip"
rate = 0.3
[[arrivals]]
customer = "retail"
rate = 0.5
[[resources]]
name = "r"
staff = 1
[[steps]]
name = "s"
resource = "r"
service = { dist = "exponential", mean = "1min" }
"#;
    let v = &run_text(text, 40)[0];
    let w = theory::cobham_priority_waits(&[(0.3, 1.0, 2.0), (0.5, 1.0, 2.0)]).unwrap_or_default();
    assert_ci(v, "customers.vip.wait_mean", w[0]);
    assert_ci(v, "customers.retail.wait_mean", w[1]);
}

#[test]
fn jackson_tandem_with_rework() {
    // γ = 1/min into A (2 servers, mean 0.8) then B (2 servers, mean 0.7); after B, 20% go back
    // to A. Traffic equations: λA = λB = 1/(1 − 0.2) = 1.25.
    let text = r#"
name = "jackson"
horizon = 32000
warmup = 2000
seed = 18
[[customers]]
name = "c"
first_step = "a"
[[arrivals]]
customer = "c"
rate = 1.0
[[resources]]
name = "ra"
staff = 2
[[resources]]
name = "rb"
staff = 2
[[steps]]
name = "a"
resource = "ra"
service = { dist = "exponential", mean = "0.8min" }
next = [{ step = "b", p = 1.0 }]
[[steps]]
name = "b"
resource = "rb"
service = { dist = "exponential", mean = "0.7min" }
next = [{ step = "a", p = 0.2 }]
"#;
    let v = &run_text(text, 40)[0];
    let lam = theory::jackson_arrival_rates(&[1.0, 0.0], &[vec![0.0, 1.0], vec![0.2, 0.0]]).unwrap_or_default();
    assert!((lam[0] - 1.25).abs() < 1e-12 && (lam[1] - 1.25).abs() < 1e-12);
    let a = theory::mmc(lam[0], 0.8, 2).unwrap_or_else(|| panic!("stable"));
    let b = theory::mmc(lam[1], 0.7, 2).unwrap_or_else(|| panic!("stable"));
    assert_ci(v, "steps.a.wait_mean", a.wq);
    assert_ci(v, "steps.b.wait_mean", b.wq);
    assert_ci(v, "resources.ra.utilisation", lam[0] * 0.8 / 2.0);
    // Expected visits 1/(1 − p) = 1.25: total wait per customer = 1.25 (WqA + WqB).
    assert_ci(v, "wait_mean", 1.25 * (a.wq + b.wq));
    assert_ci(v, "cycle_time_mean", 1.25 * (a.w + b.w));
}

#[test]
fn littles_law_holds_within_every_run() {
    // L = λW for the whole system, in each replication separately. End effects are bounded by
    // the customers present at the window's two ends: about 2·L·W/T relative to L, here < 0.3%;
    // the check allows 2%.
    let v =
        &run_text(&single_station(1.8, 4, r#"{ dist = "exponential", mean = "2min" }"#, "", 1000.0, 21_000.0, 19), 10)
            [0];
    let t = 20_000.0;
    let (kl, ka, kw) = (v.find("in_system_mean"), v.find("arrived"), v.find("cycle_time_mean"));
    let (Some(kl), Some(ka), Some(kw)) = (kl, ka, kw) else { panic!("KPIs missing") };
    for (i, row) in v.rows.iter().enumerate() {
        let (l, lam, w) = (row[kl], row[ka] / t, row[kw]);
        let rel = (l - lam * w).abs() / l;
        assert!(rel < 0.02, "replication {i}: L = {l:.4}, λW = {:.4} ({:.2}% apart)", lam * w, rel * 100.0);
    }
    // And for the queue alone: Lq = λ Wq.
    let lq = kpi(v, "steps.s.queue_mean").mean;
    let lam = kpi(v, "arrived").mean / t;
    let wq = kpi(v, "wait_mean").mean;
    assert!((lq - lam * wq).abs() / lq < 0.02, "Lq {lq} vs λWq {}", lam * wq);
}

#[test]
fn flow_is_conserved() {
    let v = &run_text(
        &single_station(
            2.0,
            3,
            r#"{ dist = "exponential", mean = "2min" }"#,
            "patience = { dist = \"exponential\", mean = \"5min\" }\nbalk_at = 4",
            0.0,
            600.0,
            20,
        ),
        20,
    )[0];
    let (a, s, ab, u) = (v.find("arrived"), v.find("served"), v.find("abandoned"), v.find("unfinished"));
    let (Some(a), Some(s), Some(ab), Some(u)) = (a, s, ab, u) else { panic!("KPIs missing") };
    // The engine derives `arrived` from this identity (it does not count arrivals one by
    // one): the next test counts them independently, from the arrival stream.
    for row in &v.rows {
        assert_eq!(row[a], row[s] + row[ab] + row[u], "arrived = served + abandoned + in system at the end");
        assert_eq!(row[u], 0.0, "customers inside at the horizon are served to completion");
    }
}

/// `arrived` must be the arrivals the stream produced inside the window, counted here from
/// the stream itself, also in a run stopped with customers still inside (after a warm-up,
/// with and without reneging, so both engine instantiations are covered).
#[test]
fn arrivals_are_those_the_stream_produced_in_the_window() {
    use branchsim::engine::{Stop, arrivals::next_arrival, simulate};
    use branchsim::kpi::Layout;
    for patience in ["", r#"patience = { dist = "exponential", mean = "60min" }"#] {
        let text = single_station(2.0, 1, r#"{ dist = "exponential", mean = "1min" }"#, patience, 30.0, 2000.0, 7);
        let loaded = branchsim::scenario::load_str(&text, "test").unwrap_or_else(|e| panic!("{}", e.render()));
        let mut m = loaded.baseline().model.clone();
        m.limits.max_events = 1500;
        let res = simulate(&m, 7, 3);
        assert_eq!(res.stop, Stop::EventLimit(1500));
        let layout = Layout::of(&m);
        let k = |i: usize| res.kpis[layout.customer(0) + i];
        let unfinished = res.kpis[layout.overall_extra() + 1];
        assert!(unfinished > 20.0 && k(1) > 100.0, "customers left inside ({unfinished}) and served ({})", k(1));
        assert_eq!(k(3) > 0.0, !patience.is_empty(), "reneged {}", k(3));

        let a = &m.arrivals[0];
        let mut rng = branchsim::model::stream(7, 3, a.key);
        let (mut t, mut expected) = (0.0, 0.0);
        while let Some(next) = next_arrival(&a.profile, t, m.horizon, &mut rng) {
            if next >= res.end_time {
                break;
            }
            t = next;
            expected += f64::from(u8::from(t >= m.warmup));
        }
        assert!(expected > 500.0);
        assert_eq!(k(0), expected, "arrived");
    }
}

#[test]
fn non_homogeneous_arrival_counts_equal_the_integral_of_the_rate() {
    // Rates 30/h, 90/h, 60/h for one hour each: 180 expected arrivals, Poisson (variance 180).
    let text = r#"
name = "nhpp"
horizon = "3h"
seed = 21
[[customers]]
name = "c"
first_step = "s"
[[arrivals]]
customer = "c"
interval = "1h"
rates = ["30/h", "90/h", "60/h"]
[[steps]]
name = "s"
service = "1min"
"#;
    let v = &run_text(text, 400)[0];
    let s = kpi(v, "arrived");
    assert_ci(v, "arrived", 180.0);
    // Poisson: the variance equals the mean. The sample variance of 400 counts has a standard
    // error of about sd²·sqrt(2/399) ≈ 7% of 180; allow 4 standard errors.
    let var = s.sd * s.sd;
    assert!((var - 180.0).abs() < 4.0 * 180.0 * (2.0f64 / 399.0).sqrt(), "variance {var} vs 180");
}
