//! Event logs (`branchsim run --events`, issue #22): the log *is* the simulation.
//!
//! The replay test reads the CSV log of a replication and recomputes that replication's KPIs
//! from the log alone (the model supplies only the warm-up/horizon window and the scheduled
//! staff minutes that utilisation divides by): they equal what branchsim reports, for every
//! variant of every shipped and theory scenario. The XES and OCEL logs of the same replication
//! hold the same events (checked against the CSV) and validate against the IEEE XES XSD and
//! the OCEL 2.0 JSON schema shipped in tests/fixtures/eventlog (see SOURCES.md there).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use branchsim::experiment::{self, Job};
use branchsim::kpi::{self, CUSTOMER_KPIS, Layout, RESOURCE_KPIS, STEP_KPIS};
use branchsim::model::Model;
use branchsim::report::eventlog::{self, Clock, Format};
use branchsim::scenario;

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/theory"] {
        for e in std::fs::read_dir(dir).expect("scenario folder") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 14, "the shipped and theory scenarios: {files:?}");
    files
}

/// One CSV row, times in simulation minutes.
#[derive(Debug, Clone)]
struct Row {
    case: String,
    activity: String,
    enable: Option<f64>,
    start: Option<f64>,
    end: Option<f64>,
    resource: String,
    group: String,
    lifecycle: String,
    batch: String,
    customer_type: String,
}

fn read_csv(bytes: &[u8], clock: &Clock) -> Vec<Row> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(headers, eventlog::csv::COLUMNS, "the documented columns, in order");
    let time = |s: &str| {
        if s.is_empty() { None } else { Some(clock.minutes(s).unwrap_or_else(|| panic!("not a timestamp: {s}"))) }
    };
    r.records()
        .map(|rec| {
            let rec = rec.expect("a CSV record");
            Row {
                case: rec[0].to_string(),
                activity: rec[1].to_string(),
                enable: time(&rec[2]),
                start: time(&rec[3]),
                end: time(&rec[4]),
                resource: rec[5].to_string(),
                group: rec[6].to_string(),
                lifecycle: rec[7].to_string(),
                batch: rec[9].to_string(),
                customer_type: rec[10].to_string(),
            }
        })
        .collect()
}

/// KPIs recomputed from the rows of a log, by KPI path (`overall.wait_mean`, ...).
fn replay(rows: &[Row], m: &Model) -> BTreeMap<String, f64> {
    let (warmup, horizon) = (m.warmup, m.horizon);
    let mut by_case: HashMap<&str, Vec<&Row>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for r in rows {
        by_case
            .entry(r.case.as_str())
            .or_insert_with(|| {
                order.push(r.case.as_str());
                Vec::new()
            })
            .push(r);
    }
    #[derive(Default, Clone)]
    struct Acc {
        arrived: f64,
        served: f64,
        reneged: f64,
        balked: f64,
        no_shows: f64,
        wait: f64,
        cycle: f64,
    }
    let types: Vec<&str> = m.customers.iter().map(|c| c.name.as_str()).collect();
    let mut per_type = vec![Acc::default(); types.len()];
    let mut step_waits: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut step_served: HashMap<&str, f64> = HashMap::new();
    let mut busy: HashMap<&str, f64> = HashMap::new();
    for case in &order {
        let rs = &by_case[case];
        let t = types.iter().position(|n| *n == rs[0].customer_type).expect("a customer type of the model");
        let acc = &mut per_type[t];
        if rs[0].lifecycle == "no_show" {
            acc.no_shows += f64::from(u8::from(rs[0].enable.expect("slot time") >= warmup));
            continue;
        }
        let arrival = rs.iter().filter_map(|r| r.enable).fold(f64::INFINITY, f64::min);
        let counted = arrival >= warmup;
        let has = |l: &str| rs.iter().any(|r| r.lifecycle == l);
        let mut wait = 0.0;
        for (i, r) in rs.iter().enumerate() {
            if let Some(s) = r.start {
                let w = s - r.enable.expect("a started part was enabled");
                wait += w;
                // Step waits: visits of staffed and batch steps, counted at their first start;
                // a part resumed after preemption adds its queue time to the same visit.
                if counted && (!r.group.is_empty() || !r.batch.is_empty()) {
                    let resumed = rs[..i].last().is_some_and(|p| p.lifecycle == "suspend" && p.activity == r.activity);
                    let e = step_waits.entry(r.activity.as_str()).or_default();
                    e.0 += w;
                    e.1 += if resumed { 0.0 } else { 1.0 };
                }
                if !r.group.is_empty() {
                    let end = r.end.unwrap_or(horizon).min(horizon);
                    let a = end.min(horizon) - s.max(warmup);
                    if a > 0.0 {
                        *busy.entry(r.group.as_str()).or_default() += a;
                    }
                }
            }
            if r.lifecycle == "complete" && counted {
                *step_served.entry(r.activity.as_str()).or_default() += 1.0;
            }
        }
        if !counted {
            continue;
        }
        acc.arrived += 1.0;
        if has("abandon") {
            acc.reneged += 1.0;
        } else if has("balk") {
            acc.balked += 1.0;
        } else if !has("unfinished") {
            let departure = rs.iter().filter_map(|r| r.end).fold(f64::NEG_INFINITY, f64::max);
            acc.served += 1.0;
            acc.wait += wait;
            acc.cycle += departure - arrival;
        }
    }
    let mut out = BTreeMap::new();
    let mut put = |scope: &str, a: &Acc| {
        out.insert(format!("{scope}.arrived"), a.arrived);
        out.insert(format!("{scope}.served"), a.served);
        out.insert(format!("{scope}.abandoned"), a.reneged + a.balked);
        out.insert(format!("{scope}.reneged"), a.reneged);
        out.insert(format!("{scope}.balked"), a.balked);
        out.insert(format!("{scope}.no_shows"), a.no_shows);
        out.insert(format!("{scope}.wait_mean"), if a.served > 0.0 { a.wait / a.served } else { f64::NAN });
        out.insert(format!("{scope}.cycle_time_mean"), if a.served > 0.0 { a.cycle / a.served } else { f64::NAN });
    };
    let mut all = Acc::default();
    for (t, a) in per_type.iter().enumerate() {
        put(&format!("customers.{}", types[t]), a);
        all.arrived += a.arrived;
        all.served += a.served;
        all.reneged += a.reneged;
        all.balked += a.balked;
        all.no_shows += a.no_shows;
        all.wait += a.wait;
        all.cycle += a.cycle;
    }
    put("overall", &all);
    for s in &m.steps {
        let (sum, n) = step_waits.get(s.name.as_str()).copied().unwrap_or_default();
        out.insert(format!("steps.{}.wait_mean", s.name), if n > 0.0 { sum / n } else { f64::NAN });
        out.insert(format!("steps.{}.served", s.name), step_served.get(s.name.as_str()).copied().unwrap_or_default());
    }
    for r in &m.resources {
        let scheduled = r.staff.staff_minutes(warmup, horizon);
        let b = busy.get(r.name.as_str()).copied().unwrap_or_default();
        out.insert(format!("resources.{}.utilisation", r.name), if scheduled > 0.0 { b / scheduled } else { f64::NAN });
    }
    out
}

/// The reported KPI of `path` in a replication's KPI vector.
fn reported(m: &Model, kpis: &[f64], path: &str) -> f64 {
    let layout = Layout::of(m);
    let parts: Vec<&str> = path.rsplitn(2, '.').collect();
    let (name, scope) = (parts[0], parts[1]);
    let at = if scope == "overall" {
        layout.overall() + kpi::index_of(CUSTOMER_KPIS, name)
    } else if let Some(c) = scope.strip_prefix("customers.") {
        let i = m.customers.iter().position(|x| x.name == c).expect("type");
        layout.customer(i) + kpi::index_of(CUSTOMER_KPIS, name)
    } else if let Some(s) = scope.strip_prefix("steps.") {
        let i = m.steps.iter().position(|x| x.name == s).expect("step");
        layout.step(i) + kpi::index_of(STEP_KPIS, name)
    } else if let Some(r) = scope.strip_prefix("resources.") {
        let i = m.resources.iter().position(|x| x.name == r).expect("resource");
        layout.resource(i) + kpi::index_of(RESOURCE_KPIS, name)
    } else {
        panic!("unknown scope {scope}")
    };
    kpis[at]
}

fn same(a: f64, b: f64) -> bool {
    // Timestamps carry microseconds: sums of many rounded times drift by far less than this.
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

fn log_bytes(m: &Model, variant: &str, seed: u64, rep: u64, f: Format) -> (Vec<u8>, branchsim::engine::ReplicationResult) {
    let mut out = Vec::new();
    let res = eventlog::write_log(&mut out, f, m, variant, seed, rep).expect("a log in memory");
    (out, res)
}

/// The proof that the log is the simulation: for every variant of every shipped and theory
/// scenario, replication 0's KPIs recomputed from its CSV log equal the reported ones.
#[test]
fn replaying_the_log_gives_the_reported_kpis() {
    let mut checked = 0;
    for f in scenario_files() {
        let loaded = scenario::load_file(&f).unwrap_or_else(|e| panic!("{}", e.render()));
        let jobs: Vec<Job<'_>> = loaded
            .variants
            .iter()
            .map(|v| Job { name: &v.name, description: &v.description, model: &v.model })
            .collect();
        let seed = loaded.baseline().model.seed;
        let (variants, _) = experiment::run(&jobs, seed, 1, None, &|_| {});
        for v in &variants {
            let m = &v.model;
            let (bytes, res) = log_bytes(m, &v.name, seed, 0, Format::Csv);
            assert!(res.kpis.iter().map(|x| x.to_bits()).eq(v.rows[0].iter().map(|x| x.to_bits())));
            let rows = read_csv(&bytes, &Clock::of(m));
            let replayed = replay(&rows, m);
            for (path, value) in &replayed {
                let want = reported(m, &v.rows[0], path);
                assert!(same(*value, want), "{} / {}: {path} from the log {value}, reported {want}", f.display(), v.name);
                checked += 1;
            }
            // The log covers the replication: real cases were replayed.
            assert!(replayed["overall.arrived"] > 0.0, "{} / {}", f.display(), v.name);
        }
    }
    assert!(checked > 900, "{checked} KPI values compared");
}

/// Every kind of row the engine can produce, in one small scenario: balking, reneging,
/// preemption at a staff drop, a rework delay, a batch step, automation outcomes, and cases
/// still waiting when the replication ends (the last staff entry is 0). Names are Chinese and
/// hostile to CSV and XML (comma, quote, `<`, `&`, leading `=`).
const EVERY_ROW_KIND: &str = r#"
name = "every row kind"
horizon = "3h"
warmup = "20min"
seed = 7
[[customers]]
name = "散客, \"walk-in\""
first_step = "=柜台"
balk_at = 3
patience = { dist = "exponential", mean = "6min" }
[[customers]]
name = "case <&>"
kind = "case"
first_step = "批处理"
[[arrivals]]
customer = "散客, \"walk-in\""
rate = "40/h"
[[arrivals]]
customer = "case <&>"
rate = "10/h"
[[resources]]
name = "柜员"
interval = "1h"
staff = [2, 1, 1, 0]
on_shift_end = "preempt"
[[resources]]
name = "bot"
staff = 1
[[steps]]
name = "=柜台"
resource = "柜员"
service = { dist = "exponential", mean = "3min" }
repeat_info = { p = 0.2, delay = { dist = "exponential", mean = "5min" } }
next = [{ step = "auto", p = 0.5 }]
[[steps]]
name = "auto"
resource = "bot"
service = { dist = "exponential", mean = "0.5min" }
success = 0.7
on_failure = "=柜台"
[[steps]]
name = "批处理"
service = { dist = "exponential", mean = "2min" }
batch = { size = 3 }
"#;

#[test]
fn every_row_kind_replays() {
    let loaded = scenario::load_str(EVERY_ROW_KIND, "every.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let m = &loaded.baseline().model;
    let (bytes, res) = log_bytes(m, "baseline", m.seed, 0, Format::Csv);
    let rows = read_csv(&bytes, &Clock::of(m));
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *kinds.entry(r.lifecycle.as_str()).or_default() += 1;
    }
    for k in ["complete", "suspend", "abandon", "balk", "unfinished"] {
        assert!(kinds.get(k).is_some_and(|n| *n > 0), "no `{k}` row: {kinds:?}");
    }
    assert!(rows.iter().any(|r| !r.batch.is_empty()), "batch rows");
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    for o in [",repeat,", ",automation_failed,"] {
        assert!(text.contains(o), "an outcome {o}");
    }
    // Names survive, quoted for CSV, guarded against formulas.
    assert!(text.contains("\"散客, \"\"walk-in\"\"\""), "quoted type name");
    assert!(text.contains(",'=柜台,"), "formula guard on a step name");
    let replayed = replay(
        &rows.iter().cloned().map(|mut r| {
            r.activity = r.activity.trim_start_matches('\'').to_string();
            r
        }).collect::<Vec<_>>(),
        m,
    );
    for (path, value) in &replayed {
        let want = reported(m, &res.kpis, path);
        assert!(same(*value, want), "{path} from the log {value}, reported {want}");
    }
}
