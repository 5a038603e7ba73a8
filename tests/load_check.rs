//! The pre-run load analysis (issue #18, items 2 and 8): the overload warning weighs each
//! staff group's `speed`, counts shared staff once, and its verdict agrees with what the
//! simulation then shows; runaway loops and overflowing rates are warned about and refused
//! before simulating.

mod common;

use branchsim::scenario;
use common::{kpi, run_text};

fn warnings(text: &str) -> Vec<String> {
    match scenario::load_str(text, "test.toml") {
        Ok(l) => l.warnings.items.iter().map(|d| d.message.clone()).collect(),
        Err(e) => panic!("does not load:\n{}", e.render()),
    }
}

/// One counter step whose queue is served by the tellers and, as a second skill, by the
/// bankers; λ = 1/min, reference service 2.5 min, so 2.5 staff of reference work.
fn shared(teller: (u32, f64), banker: (u32, f64)) -> String {
    format!(
        r#"
name = "speed"
horizon = "3d"
warmup = "4h"
seed = 3
[[customers]]
name = "c"
first_step = "counter"
[[arrivals]]
customer = "c"
rate = "60/h"
[[resources]]
name = "teller"
staff = {}
speed = {}
[[resources]]
name = "banker"
staff = {}
speed = {}
skills = ["teller"]
[[steps]]
name = "counter"
resource = "teller"
service = {{ dist = "exponential", mean = "2.5min" }}
"#,
        teller.0, teller.1, banker.0, banker.1
    )
}

#[test]
fn slow_first_group_does_not_make_a_stable_model_look_overloaded() {
    // Capacity 1/2 + 3/1 = 3.5 against 2.5 of work (71%). The old check applied the first
    // group's speed (2.0) to all the work and warned "load 125%".
    let text = shared((1, 2.0), (3, 1.0));
    let w = warnings(&text);
    assert!(w.iter().all(|m| !m.contains("(load ")), "{w:?}");
    // The simulation agrees: the queue stays short and staff are not saturated.
    let v = &run_text(&text, 5)[0];
    assert!(kpi(v, "wait_mean").mean < 5.0, "wait {}", kpi(v, "wait_mean").mean);
    assert!(kpi(v, "resources.banker.utilisation").mean < 0.9);
}

#[test]
fn slow_second_group_makes_an_overload_the_old_check_missed() {
    // Capacity 1/0.9 + 2/2.5 = 1.91 against 2.5 of work (131%). The old check took the first
    // group's speed (0.9) for all: 2.25 against 3 staff, silent.
    let text = shared((1, 0.9), (2, 2.5));
    let w = warnings(&text);
    let hit: Vec<_> = w.iter().filter(|m| m.contains("(load ")).collect();
    assert_eq!(hit.len(), 1, "{w:?}");
    assert!(hit[0].contains("load 131%"), "{}", hit[0]);
    assert!(hit[0].contains("`teller`") && hit[0].contains("`banker`"), "{}", hit[0]);
    // The simulation agrees: both groups saturate and the queue grows through the run.
    let v = &run_text(&text, 3)[0];
    assert!(kpi(v, "resources.teller.utilisation").mean > 0.99);
    assert!(kpi(v, "resources.banker.utilisation").mean > 0.99);
    assert!(kpi(v, "wait_mean").mean > 300.0, "wait {}", kpi(v, "wait_mean").mean);
}

#[test]
fn a_dedicated_slow_resource_is_compared_at_its_speed() {
    // 2 tellers at speed 1.3 do 1.54 staff of reference work: 1.5 of work is 98%, no warning;
    // at speed 1.4 (1.43) it is 105%.
    let one = |speed: f64| {
        format!(
            r#"
horizon = "8h"
[[customers]]
name = "c"
first_step = "counter"
[[arrivals]]
customer = "c"
rate = "36/h"
[[resources]]
name = "teller"
staff = 2
speed = {speed}
[[steps]]
name = "counter"
resource = "teller"
service = "2.5min"
"#
        )
    };
    assert!(warnings(&one(1.3)).iter().all(|m| !m.contains("(load ")));
    let w = warnings(&one(1.4));
    assert!(
        w.iter().any(|m| m.contains("resource `teller` is offered 1.50 staff") && m.contains("load 105%")),
        "{w:?}"
    );
}

#[test]
fn loops_through_delays_and_overflowing_rates_are_warned_about() {
    let delay_loop = r#"
horizon = "8h"
[[customers]]
name = "c"
first_step = "think"
[[arrivals]]
customer = "c"
rate = "30/h"
[[steps]]
name = "think"
service = "1s"
next = [{ step = "think", p = 0.9999999999 }]
"#;
    let w = warnings(delay_loop);
    assert!(w.iter().any(|m| m.contains("make 1.0e10 step visits each")), "{w:?}");
    let overflow = r#"
horizon = "8h"
[[customers]]
name = "c"
first_step = "counter"
[[arrivals]]
customer = "c"
rate = "1e307/min"
[[resources]]
name = "teller"
staff = 2
[[steps]]
name = "counter"
resource = "teller"
service = "2.5min"
"#;
    let w = warnings(overflow);
    assert!(w.iter().any(|m| m.contains("offered unbounded staff of work") && m.contains("load unbounded")), "{w:?}");
    let l = scenario::load_str(overflow, "t.toml").unwrap();
    assert!(l.baseline().model.expected_events.is_infinite());
}
