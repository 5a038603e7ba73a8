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
    // Service intervals per staff member: a member serves one case at a time.
    let mut members: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
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
                    assert!(r.resource.starts_with(&format!("{} #", r.group)), "member {} of {}", r.resource, r.group);
                    members.entry(r.resource.as_str()).or_default().push((s, r.end.unwrap_or(f64::INFINITY)));
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
    for (member, mut spans) in members {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in spans.windows(2) {
            assert!(w[1].0 >= w[0].1 - 1e-9, "{member} serves two cases at once: {w:?}");
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

fn log_bytes(
    m: &Model,
    variant: &str,
    seed: u64,
    rep: u64,
    f: Format,
) -> (Vec<u8>, branchsim::engine::ReplicationResult) {
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
                assert!(
                    same(*value, want),
                    "{} / {}: {path} from the log {value}, reported {want}",
                    f.display(),
                    v.name
                );
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
        &rows
            .iter()
            .cloned()
            .map(|mut r| {
                r.activity = r.activity.trim_start_matches('\'').to_string();
                r
            })
            .collect::<Vec<_>>(),
        m,
    );
    for (path, value) in &replayed {
        let want = reported(m, &res.kpis, path);
        assert!(same(*value, want), "{path} from the log {value}, reported {want}");
    }
}

// ---------------------------------------------------------------------------------------------
// XES: a structural check against tests/fixtures/eventlog/xes-ieee-1849-2016.xsd.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

const ATTRIBUTE_ELEMENTS: [&str; 7] = ["string", "date", "int", "float", "boolean", "id", "list"];

fn attrs_of(e: &BytesStart<'_>) -> (String, BTreeMap<String, String>) {
    let name = String::from_utf8(e.name().as_ref().to_vec()).expect("UTF-8 name");
    let mut out = BTreeMap::new();
    for a in e.attributes() {
        let a = a.unwrap_or_else(|err| panic!("bad attribute in <{name}>: {err}"));
        let v =
            a.normalized_value(XmlVersion::Implicit1_0).unwrap_or_else(|err| panic!("bad value in <{name}>: {err}"));
        let k = String::from_utf8(a.key.as_ref().to_vec()).expect("UTF-8 key");
        assert!(out.insert(k.clone(), v.into_owned()).is_none(), "<{name}> repeats `{k}`");
    }
    (name, out)
}

/// xs:Name (XML 1.0 Name, ASCII-centred check: letters, digits, `_ : . -`, not starting with a
/// digit, `.` or `-`; non-ASCII letters allowed) and xs:NCName (a Name without `:`).
fn is_name(s: &str) -> bool {
    let mut cs = s.chars();
    let Some(first) = cs.next() else { return false };
    (first.is_alphabetic() || first == '_' || first == ':')
        && cs.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
}

fn is_ncname(s: &str) -> bool {
    is_name(s) && !s.contains(':')
}

/// xs:dateTime: `YYYY-MM-DDThh:mm:ss(.s+)?(Z|±hh:mm)?`.
fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 19 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    if b[10] != b'T' || !digits(11..13) || b[13] != b':' || !digits(14..16) || b[16] != b':' || !digits(17..19) {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest.is_empty() || rest == "Z" || {
        let r = rest.as_bytes();
        r.len() == 6 && matches!(r[0], b'+' | b'-') && r[1..3].iter().all(u8::is_ascii_digit) && r[3] == b':'
    }
}

fn check_attribute_value(kind: &str, a: &BTreeMap<String, String>) {
    let key = a.get("key").unwrap_or_else(|| panic!("<{kind}> without the required `key`"));
    assert!(is_name(key), "key `{key}` is not an xs:Name");
    if kind == "list" {
        return;
    }
    let v = a.get("value").unwrap_or_else(|| panic!("<{kind} key=\"{key}\"> without the required `value`"));
    let ok = match kind {
        "date" => is_datetime(v),
        "int" => v.parse::<i64>().is_ok(),
        "float" => v.parse::<f64>().is_ok(),
        "boolean" => matches!(v.as_str(), "true" | "false" | "1" | "0"),
        _ => true,
    };
    assert!(ok, "<{kind} key=\"{key}\" value=\"{v}\">: not a valid value of its XSD type");
}

/// One trace as read back: its attributes and events (each a key → value map).
#[derive(Debug, Default)]
struct XesTrace {
    attrs: BTreeMap<String, String>,
    events: Vec<BTreeMap<String, String>>,
}

/// Validates `xml` against the XES XSD's structure and returns its traces.
fn validate_xes(xml: &str) -> Vec<XesTrace> {
    // Position in LogType's sequence: extension*, global*, classifier*, attributes*, trace*, event*.
    let log_order = |n: &str| match n {
        "extension" => 0,
        "global" => 1,
        "classifier" => 2,
        n if ATTRIBUTE_ELEMENTS.contains(&n) => 3,
        "trace" => 4,
        "event" => 5,
        other => panic!("<{other}> is not allowed in <log>"),
    };
    let mut r = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut log_pos = 0;
    let mut trace_seen_event = false;
    let mut traces: Vec<XesTrace> = Vec::new();
    let mut roots = 0;
    loop {
        let ev = r.read_event().unwrap_or_else(|e| panic!("not well-formed XML: {e}"));
        let (e, empty) = match ev {
            Event::Eof => break,
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Text(t) => {
                assert!(t.iter().all(u8::is_ascii_whitespace), "text content in <{}>", stack.join("/"));
                continue;
            }
            Event::Decl(_) | Event::Comment(_) => continue,
            other => panic!("unexpected XML node {other:?}"),
        };
        let (name, a) = attrs_of(&e);
        match stack.last().map(String::as_str) {
            None => {
                roots += 1;
                assert_eq!(name, "log", "the root element");
                let v = a.get("xes.version").expect("xes.version is required");
                assert!(v.parse::<f64>().is_ok() && !v.contains(['e', 'E']), "xes.version `{v}` is not an xs:decimal");
            }
            Some("log") => {
                let pos = log_order(&name);
                assert!(pos >= log_pos, "<{name}> after a later part of LogType's sequence");
                log_pos = pos;
                match name.as_str() {
                    "extension" => {
                        for k in ["name", "prefix", "uri"] {
                            assert!(a.contains_key(k), "<extension> without `{k}`");
                        }
                        assert!(is_ncname(&a["name"]) && is_ncname(&a["prefix"]), "extension names are NCNames");
                    }
                    "global" => assert!(a.get("scope").is_none_or(|s| is_ncname(s))),
                    "classifier" => {
                        assert!(is_ncname(a.get("name").expect("classifier name")));
                        assert!(a.contains_key("keys"), "classifier keys");
                    }
                    "trace" => {
                        traces.push(XesTrace::default());
                        trace_seen_event = false;
                    }
                    "event" => panic!("branchsim writes events inside traces"),
                    kind => check_attribute_value(kind, &a),
                }
            }
            Some("trace") => {
                let t = traces.last_mut().expect("inside a trace");
                if name == "event" {
                    trace_seen_event = true;
                    t.events.push(BTreeMap::new());
                } else {
                    assert!(ATTRIBUTE_ELEMENTS.contains(&name.as_str()), "<{name}> in <trace>");
                    assert!(!trace_seen_event, "a trace attribute after its events (TraceType's sequence)");
                    check_attribute_value(&name, &a);
                    t.attrs.insert(a["key"].clone(), a["value"].clone());
                }
            }
            Some("event") => {
                assert!(ATTRIBUTE_ELEMENTS.contains(&name.as_str()), "<{name}> in <event>");
                check_attribute_value(&name, &a);
                let t = traces.last_mut().expect("inside a trace");
                t.events.last_mut().expect("an event").insert(a["key"].clone(), a["value"].clone());
            }
            Some("global") | Some("string") | Some("date") | Some("int") | Some("float") | Some("boolean")
            | Some("id") | Some("list") => {
                assert!(ATTRIBUTE_ELEMENTS.contains(&name.as_str()), "<{name}> among attributes");
                check_attribute_value(&name, &a);
            }
            Some(other) => panic!("<{name}> inside <{other}>"),
        }
        if !empty {
            stack.push(name);
        }
    }
    assert_eq!(roots, 1, "one root element");
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    traces
}

/// A sorted multiset of (case, activity, transition, time, resource) tuples.
type Facts = Vec<(String, String, String, String, String)>;

/// The transitions a CSV log implies, as XES would write them.
fn csv_facts(bytes: &[u8]) -> Facts {
    let mut r = csv::Reader::from_reader(bytes);
    let unguard = |s: &str| s.strip_prefix('\'').unwrap_or(s).to_string();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.expect("record");
        let (case, act, enable, start, end, res, life) =
            (unguard(&rec[0]), unguard(&rec[1]), &rec[2], &rec[3], &rec[4], unguard(&rec[5]), &rec[7]);
        if !start.is_empty() {
            out.push((case.clone(), act.clone(), "start".into(), start.to_string(), res.clone()));
        }
        let closing = match life {
            "complete" => Some(("complete", end)),
            "suspend" => Some(("suspend", end)),
            "abandon" => Some(("ate_abort", end)),
            "balk" | "no_show" => Some(("withdraw", enable)),
            _ => None,
        };
        if let Some((t, at)) = closing {
            let res = if t == "withdraw" || t == "ate_abort" { String::new() } else { res };
            out.push((case, act, t.into(), at.to_string(), res));
        }
    }
    out.sort();
    out
}

fn xes_facts(traces: &[XesTrace]) -> Facts {
    let mut out = Vec::new();
    for t in traces {
        for e in &t.events {
            let tr = e["lifecycle:transition"].as_str();
            let tr = if tr == "resume" { "start" } else { tr };
            if tr == "schedule" {
                continue;
            }
            out.push((
                t.attrs["concept:name"].clone(),
                e["concept:name"].clone(),
                tr.to_string(),
                e["time:timestamp"].clone(),
                e.get("org:resource").cloned().unwrap_or_default(),
            ));
        }
    }
    out.sort();
    out
}

/// The XES log of every shipped and theory scenario (replication 0 of the baseline) and of the
/// every-row-kind scenario validates against the XSD and holds the CSV log's transitions.
#[test]
fn xes_validates_and_matches_the_csv() {
    let mut models: Vec<(String, Model)> = scenario_files()
        .iter()
        .map(|f| {
            let l = scenario::load_file(f).unwrap_or_else(|e| panic!("{}", e.render()));
            (f.display().to_string(), l.baseline().model.clone())
        })
        .collect();
    let every = scenario::load_str(EVERY_ROW_KIND, "every.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    models.push(("every row kind".into(), every.baseline().model.clone()));
    for (name, m) in &models {
        let (xes, _) = log_bytes(m, "baseline", m.seed, 0, Format::Xes);
        let (csv_bytes, _) = log_bytes(m, "baseline", m.seed, 0, Format::Csv);
        let traces = validate_xes(std::str::from_utf8(&xes).expect("UTF-8"));
        let cases: std::collections::HashSet<String> = csv::Reader::from_reader(csv_bytes.as_slice())
            .records()
            .map(|r| r.expect("record")[0].trim_start_matches('\'').to_string())
            .collect();
        assert_eq!(traces.len(), cases.len(), "{name}: one trace per case");
        assert_eq!(xes_facts(&traces), csv_facts(&csv_bytes), "{name}: XES and CSV hold the same transitions");
        for t in &traces {
            for k in ["concept:name", "customer_type", "variant", "replication", "outcome", "counted", "arrival"] {
                assert!(t.attrs.contains_key(k), "{name}: trace attribute {k}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OCEL 2.0: the JSON schema, and what the schema cannot say (unique ids, relationships to
// objects that exist, declared types).

fn ocel_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(Path::new("tests/fixtures/eventlog/ocel20-schema-json.json")).expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::draft7::options().should_validate_formats(true).build(&schema).expect("a Draft 7 schema")
}

#[test]
fn ocel_validates_against_the_ocel2_schema() {
    let validator = ocel_validator();
    let every = scenario::load_str(EVERY_ROW_KIND, "every.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let mut models = vec![("every row kind".to_string(), every.baseline().model.clone())];
    for f in scenario_files().iter().filter(|f| !f.starts_with("scenarios/theory")) {
        let l = scenario::load_file(f).unwrap_or_else(|e| panic!("{}", e.render()));
        models.push((f.display().to_string(), l.baseline().model.clone()));
    }
    for (name, m) in &models {
        let (bytes, _) = log_bytes(m, "baseline", m.seed, 0, Format::Ocel);
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(&doc).take(5).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        // A negative control: the validator does reject a broken log.
        let mut broken = doc.clone();
        broken["events"][0]["time"] = serde_json::json!("yesterday");
        assert!(!validator.is_valid(&broken), "the schema checks event times");
        let ids = |k: &str| -> Vec<String> {
            doc[k].as_array().expect("array").iter().map(|o| o["id"].as_str().expect("id").to_string()).collect()
        };
        let objects: std::collections::HashSet<String> = ids("objects").into_iter().collect();
        assert_eq!(objects.len(), doc["objects"].as_array().unwrap().len(), "{name}: object ids are unique");
        let events = ids("events");
        assert_eq!(events.iter().collect::<std::collections::HashSet<_>>().len(), events.len(), "{name}: event ids");
        let types = |k: &str| -> std::collections::HashSet<String> {
            doc[k].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
        };
        let (etypes, otypes) = (types("eventTypes"), types("objectTypes"));
        for e in doc["events"].as_array().unwrap() {
            assert!(etypes.contains(e["type"].as_str().unwrap()), "{name}: event type {}", e["type"]);
            for rel in e["relationships"].as_array().unwrap() {
                assert!(objects.contains(rel["objectId"].as_str().unwrap()), "{name}: dangling {}", rel["objectId"]);
            }
        }
        for o in doc["objects"].as_array().unwrap() {
            assert!(otypes.contains(o["type"].as_str().unwrap()), "{name}: object type {}", o["type"]);
            for rel in o["relationships"].as_array().into_iter().flatten() {
                assert!(objects.contains(rel["objectId"].as_str().unwrap()), "{name}: dangling {}", rel["objectId"]);
            }
        }
        // The same completions as the CSV log.
        let (csv_bytes, _) = log_bytes(m, "baseline", m.seed, 0, Format::Csv);
        let completes = csv_facts(&csv_bytes).iter().filter(|f| f.2 == "complete").count();
        let ocel_completes = doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["attributes"].as_array().unwrap().iter().any(|a| a["name"] == "lifecycle" && a["value"] == "complete")
            })
            .count();
        assert_eq!(ocel_completes, completes, "{name}: completions");
    }
}

/// The size check before a run (`--events-max-mb`: the model's expected engine events times
/// `Format::bytes_per_event`) is above the real size of the log of every shipped and theory
/// scenario, so it errs on the safe side.
#[test]
fn size_estimate_bounds_the_files() {
    let mut bad = Vec::new();
    for f in scenario_files() {
        let l = scenario::load_file(&f).unwrap_or_else(|e| panic!("{}", e.render()));
        let m = &l.baseline().model;
        for fmt in [Format::Csv, Format::Xes, Format::Ocel] {
            let (bytes, res) = log_bytes(m, "baseline", m.seed, 0, fmt);
            let per_event = bytes.len() as f64 / m.expected_events;
            assert!(res.events > 0);
            eprintln!("{} {fmt:?}: {per_event:.0} bytes per event", f.display());
            bad.extend((per_event > fmt.bytes_per_event()).then(|| format!("{} {fmt:?}: {per_event:.0}", f.display())));
        }
    }
    assert!(bad.is_empty(), "bytes per event above the estimate: {bad:?}");
}

// ---------------------------------------------------------------------------------------------
// The command line: `run --events`.

use std::process::Command;

fn branchsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-eventlog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

const SMALL: &str = "scenarios/theory/nhpp_profile.toml";

fn only_folder(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out).expect("out").map(|e| e.expect("entry").path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn run_writes_the_chosen_logs_and_replaces_earlier_ones() {
    let out = scratch("written");
    let o = out.to_string_lossy();
    let (code, stdout, stderr) =
        branchsim(&["run", SMALL, "-n", "3", "--no-charts", "--out", &o, "--events=0,2", "--events-format", "xes"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Event logs: 2 file(s)"), "{stdout}");
    let dir = only_folder(&out);
    assert_eq!(names(&dir.join("events")), ["baseline-rep0.xes", "baseline-rep2.xes"]);
    // The log of replication 2 is replication 2: its served customers are the reported ones.
    let xes = std::fs::read_to_string(dir.join("events/baseline-rep2.xes")).expect("log");
    let served =
        xes.matches("<string key=\"outcome\" value=\"served\"/><boolean key=\"counted\" value=\"true\"/>").count();
    let reps = std::fs::read_to_string(dir.join("replications.csv")).expect("replications.csv");
    let line = reps.lines().find(|l| l.starts_with("baseline,2,served,")).expect("row");
    assert_eq!(line.split(',').nth(3).expect("value").parse::<f64>().expect("number"), served as f64);
    // Another run without --events removes the logs of this one; with csv, only csv remains.
    let (code, _, stderr) = branchsim(&["run", SMALL, "-n", "1", "--no-charts", "-q", "--out", &o, "--events"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(names(&dir.join("events")), ["baseline-rep0.csv"]);
    let (code, _, stderr) = branchsim(&["run", SMALL, "-n", "1", "--no-charts", "-q", "--out", &o]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.join("events").exists(), "logs of an earlier run would describe other results");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_event_requests_are_refused_before_simulating() {
    let out = scratch("refused");
    let o = out.to_string_lossy();
    // An unknown replication index.
    let (code, _, stderr) = branchsim(&["run", SMALL, "-n", "2", "--no-charts", "--out", &o, "--events=2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("replication 2 does not exist: this run has 2 replications, numbered 0 to 1"), "{stderr}");
    let (code, _, stderr) = branchsim(&["run", SMALL, "--no-charts", "--out", &o, "--events=x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`x` is not a replication index"), "{stderr}");
    // Over the size cap: said before anything runs, with the estimate.
    let (code, _, stderr) =
        branchsim(&["run", "scenarios/theory/erlang_a.toml", "--out", &o, "--events=0-9", "--events-max-mb", "1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the event logs would take about") && stderr.contains("more than the cap of 1 MB"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was simulated"), "{stderr}");
    // With shards.
    let (code, _, stderr) = branchsim(&["run", SMALL, "--out", &o, "--events", "--shard", "0/2"]);
    assert_eq!(code, 2, "{stderr}");
    // Nothing was written by any of them.
    let written: Vec<PathBuf> = walk(&out);
    assert!(written.iter().all(|p| !p.is_file()), "{written:?}");
    // An events path that cannot be written (a file where the folder goes): exit 2, and the
    // earlier results stay as they were.
    let (code, _, stderr) = branchsim(&["run", SMALL, "-n", "1", "--no-charts", "-q", "--out", &o]);
    assert_eq!(code, 0, "{stderr}");
    let dir = only_folder(&out);
    let before = std::fs::read(dir.join("summary.json")).expect("summary");
    std::fs::write(dir.join("events"), "not a folder").expect("write");
    let (code, _, stderr) = branchsim(&["run", SMALL, "-n", "2", "--no-charts", "-q", "--out", &o, "--events"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("events is not a folder"), "{stderr}");
    assert_eq!(std::fs::read(dir.join("summary.json")).expect("summary"), before);
    assert!(names(&dir).iter().all(|n| !n.starts_with(".branchsim-stage")), "no staging left: {:?}", names(&dir));
    let _ = std::fs::remove_dir_all(&out);
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// `start_date` and `utc_offset`.

const DATED: &str = "name = \"dated\"\nhorizon = \"2h\"\nstart = \"08:00\"\n{KEYS}\n[[customers]]\nname = \"c\"\nfirst_step = \"s\"\n[[arrivals]]\ncustomer = \"c\"\nrate = \"1/min\"\n[[resources]]\nname = \"r\"\nstaff = 2\n[[steps]]\nname = \"s\"\nresource = \"r\"\nservice = { dist = \"exponential\", mean = \"1min\" }\n";

fn dated(keys: &str) -> Result<scenario::Loaded, String> {
    scenario::load_str(&DATED.replace("{KEYS}", keys), "dated.toml").map_err(|e| e.render())
}

#[test]
fn start_date_gives_the_timestamps_and_must_agree_with_start_day() {
    let l = dated("start_date = \"2026-03-04\"\nutc_offset = \"+08:00\"").expect("loads");
    let m = &l.baseline().model;
    let (bytes, _) = log_bytes(m, "baseline", m.seed, 0, Format::Csv);
    let text = String::from_utf8(bytes).expect("UTF-8");
    let first = text.lines().nth(1).expect("a row");
    assert!(first.contains(",2026-03-04T08:0"), "{first}");
    assert!(first.contains("+08:00,"), "{first}");
    // The date sets the weekday: a Wednesday, so a calendar sees Wednesday.
    assert_eq!(l.baseline().scenario.start_day, 2);
    // Agreeing start_day is fine; a contradicting one is an error naming both days.
    assert!(dated("start_date = \"2026-03-04\"\nstart_day = \"wed\"").is_ok());
    let e = dated("start_date = \"2026-03-04\"\nstart_day = \"mon\"").expect_err("a contradiction");
    assert!(e.contains("start_date 2026-03-04 is a Wednesday, but start_day = \"mon\" says t = 0 is a Monday"), "{e}");
    let e = dated("start_date = \"2026-02-30\"").expect_err("no such date");
    assert!(e.contains("`2026-02-30` is not a date"), "{e}");
    let e = dated("utc_offset = \"+25:00\"").expect_err("no such offset");
    assert!(e.contains("is not a UTC offset"), "{e}");
    // Without a date: the documented fixed date, moved to start_day's weekday.
    let l = dated("start_day = \"fri\"").expect("loads");
    let m = &l.baseline().model;
    assert_eq!(Clock::of(m).stamp(0.0), "2024-01-05T08:00:00.000000+00:00");
}
