//! The drain after the horizon ends the run: whoever is still inside 28 days after the
//! horizon is `unfinished` (scenarios/README.md), not served on at the staffing in force when
//! repeating calendar events stopped.

mod common;
use common::{kpi, run_text};

/// One clerk on duty 09:00–10:00 every day serves 30-minute cases: at most 3 a day (a service
/// started before 10:00 finishes). Arrivals 10/h for 33.5 h bring about 335 cases, far more than
/// 29 days of drain can serve. The drain ends at day 29 09:30, inside the clerk's hour: an
/// engine that kept serving after it (with the clerk frozen on duty) served everyone.
const BACKLOG: &str = r#"
name = "drain"
time_unit = "h"
start = "00:00"
start_day = "mon"
horizon = "33.5h"
seed = 5
replications = 3

[calendars.nine]
weekdays = "09:00-10:00"
weekend = "09:00-10:00"

[[customers]]
name = "c"
first_step = "s"

[[arrivals]]
customer = "c"
rate = "10/h"

[[resources]]
name = "clerk"
staff = 1
calendar = "nine"

[[steps]]
name = "s"
resource = "clerk"
service = "30min"
"#;

#[test]
fn whoever_is_inside_when_the_drain_ends_is_unfinished() {
    let v = run_text(BACKLOG, 3);
    let (arrived, served, unfinished) = (kpi(&v[0], "arrived"), kpi(&v[0], "served"), kpi(&v[0], "unfinished"));
    // 30 clerk-hours from day 0 to the drain's end (day 29, 09:30): 2 or 3 cases each.
    assert!(served.min >= 2.0 * 29.0 && served.max <= 3.0 * 30.0, "served {served:?}");
    // Arrivals: Poisson with mean 335 (sd 18.3); 335 - 4 sd - 90 > 150.
    assert!(unfinished.min >= 150.0, "unfinished {unfinished:?}");
    assert_eq!(arrived.mean, served.mean + unfinished.mean, "every case is served or unfinished");
}
