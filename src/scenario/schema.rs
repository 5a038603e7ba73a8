//! The scenario as the user wrote it (format v1), read from the spanned tree.
//!
//! Values are already in engine units (minutes, events per minute) but names are still names:
//! resolving them to indices, and checking that the pieces fit together, is `compile`'s job.

use serde::Serialize;

use super::diag::{Diagnostics, did_you_mean};
use super::reader::{Obj, Sp, duration_value, int_value, name_ok, number, rate_value};
use super::tree::{Node, Table, Val};
use super::units::{self, TimeUnit};

#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub time_unit: TimeUnit,
    /// Clock time of t = 0, minutes after midnight.
    pub start: f64,
    pub horizon: f64,
    pub warmup: f64,
    pub seed: u64,
    pub replications: u32,
    pub service_level: f64,
    pub timeseries_bin: f64,
    pub customers: Vec<CustomerSpec>,
    pub arrivals: Vec<ArrivalSpec>,
    pub resources: Vec<ResourceSpec>,
    pub steps: Vec<StepSpec>,
    /// Weekday of t = 0 (0 = Monday).
    pub start_day: usize,
    /// Calendar date and UTC offset of t = 0's day (`start_date`, `utc_offset`).
    pub epoch: super::start_date::Epoch,
    /// The business calendar that working time is measured in.
    pub calendar: Option<Sp<String>>,
    pub calendars: Vec<CalendarSpec>,
    pub channels: Vec<ChannelSpec>,
    /// What "better" means for this study: the KPI the verdict, the ranking and the charts
    /// use, so that every part of the report gives the same answer.
    pub objective: Option<ObjectiveSpec>,
    #[serde(skip)]
    pub horizon_span: std::ops::Range<usize>,
}

/// `objective = { kpi = "wait_p90", direction = "minimise", constraint = "service_level >= 0.8" }`.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectiveSpec {
    pub kpi: Sp<String>,
    /// `None`: the KPI's natural direction (lower waits, higher service level).
    pub minimise: Option<bool>,
    pub constraint: Option<ConstraintSpec>,
}

/// A bound a variant must meet to be recommended: `KPI >= value` or `KPI <= value`.
#[derive(Clone, Debug, Serialize)]
pub struct ConstraintSpec {
    pub kpi: Sp<String>,
    pub at_least: bool,
    /// In the KPI's own unit (engine minutes for durations, a share for rates).
    pub value: f64,
    pub text: String,
}

pub const OBJECTIVE_KEYS: &[&str] = &["kpi", "direction", "constraint"];

/// Reads `objective` (a KPI name alone, or a table with direction and constraint).
fn read_objective(top: &Obj, u: TimeUnit, d: &mut Diagnostics) -> Option<ObjectiveSpec> {
    let n = top.get("objective")?;
    if let Val::Str(s) = &n.val {
        return Some(ObjectiveSpec { kpi: Sp::new(s.clone(), n.span.clone()), minimise: None, constraint: None });
    }
    let o = Obj::open(n, "objective", OBJECTIVE_KEYS, d)?;
    let kpi = o.name("kpi", d)?;
    let minimise = match o.str("direction", d) {
        None => None,
        Some(s) => match s.v.as_str() {
            "minimise" | "minimize" | "lower" => Some(true),
            "maximise" | "maximize" | "higher" => Some(false),
            other => {
                d.error(
                    Some(s.span.clone()),
                    o.key("direction"),
                    format!(
                        "unknown direction `{other}`: expected \"minimise\" or \"maximise\"; {}",
                        crate::scenario::diag::did_you_mean(other, &["minimise", "maximise"])
                    ),
                );
                None
            }
        },
    };
    let constraint = o.str("constraint", d).and_then(|c| {
        let parsed = parse_constraint(&c.v, u);
        if parsed.is_none() {
            d.error(
                Some(c.span.clone()),
                o.key("constraint"),
                "expected `KPI >= VALUE` or `KPI <= VALUE`, e.g. \"service_level >= 0.8\", \"service_level >= 80%\" or \"wait_p90 <= 5min\"",
            );
        }
        parsed.map(|(k, at_least, value)| ConstraintSpec {
            kpi: Sp::new(k, c.span.clone()),
            at_least,
            value,
            text: c.v.trim().to_string(),
        })
    });
    Some(ObjectiveSpec { kpi, minimise, constraint })
}

/// `service_level >= 0.8` → ("service_level", true, 0.8); durations in minutes, `80%` → 0.8.
pub fn parse_constraint(text: &str, u: TimeUnit) -> Option<(String, bool, f64)> {
    let (k, at_least, v) = if let Some((k, v)) = text.split_once(">=") {
        (k, true, v)
    } else {
        let (k, v) = text.split_once("<=")?;
        (k, false, v)
    };
    let k = k.trim();
    let v = v.trim();
    if k.is_empty() || k.contains(char::is_whitespace) {
        return None;
    }
    let name = k.rsplit('.').next().unwrap_or(k);
    let value = if let Some(p) = v.strip_suffix('%') {
        p.trim().parse::<f64>().ok()? / 100.0
    } else if crate::kpi::is_duration(name) {
        match v.parse::<f64>() {
            Ok(x) => x * u.minutes(),
            Err(_) => units::parse_duration(v).ok()?,
        }
    } else {
        v.parse::<f64>().ok()?
    };
    value.is_finite().then(|| (k.to_string(), at_least, value))
}

/// Opening hours per weekday (Monday first): open intervals as clock minutes.
#[derive(Clone, Debug, Serialize)]
pub struct CalendarSpec {
    pub name: Sp<String>,
    pub hours: [Vec<(f64, f64)>; 7],
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelSpec {
    pub name: Sp<String>,
    pub first_step: Option<Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AppointmentSpec {
    pub every: f64,
    pub from: f64,
    pub to: f64,
    pub no_show: f64,
    pub offset_mean: f64,
    pub offset_sd: f64,
    pub calendar: Option<Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BreakSpec {
    /// Clock minutes after midnight.
    pub start: f64,
    pub length: f64,
    pub staff: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct RepeatSpec {
    pub p: f64,
    pub back_to: Option<Sp<String>>,
    pub delay: Option<DistSpec>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BatchSpec {
    pub size: Option<u32>,
    /// Clock times (minutes after midnight) of daily releases.
    pub at: Vec<f64>,
    pub max: u32,
    pub calendar: Option<Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AutomationSpec {
    pub success: f64,
    pub on_failure: Sp<String>,
    pub touchless: f64,
    pub touchless_to: Option<Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CustomerSpec {
    pub name: Sp<String>,
    pub first_step: Option<Sp<String>>,
    pub priority: i64,
    pub patience: Option<DistSpec>,
    pub balk_at: Option<u32>,
    pub case: bool,
    pub tolerance: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArrivalSpec {
    pub name: Sp<String>,
    pub customer: Option<Sp<String>>,
    pub profile: RateSpec,
    pub scale: f64,
    pub channel: Option<Sp<String>>,
    pub first_step: Option<Sp<String>>,
    pub calendar: Option<Sp<String>>,
    /// Rate factor per weekday (Monday first).
    pub day_factors: [f64; 7],
    pub appointments: Option<AppointmentSpec>,
}

#[derive(Clone, Debug, Serialize)]
pub enum RateSpec {
    Constant(f64),
    Piecewise { interval: f64, rates: Vec<f64>, span: Sp<()> },
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceSpec {
    pub name: Sp<String>,
    pub staff: StaffSpec,
    pub cost_per_hour: f64,
    pub skills: Vec<Sp<String>>,
    pub speed: f64,
    pub calendar: Option<Sp<String>>,
    pub breaks: Vec<BreakSpec>,
    pub preempt: bool,
    pub automated: bool,
}

#[derive(Clone, Debug, Serialize)]
pub enum StaffSpec {
    Constant(u32),
    Schedule { interval: f64, staff: Vec<u32>, span: Sp<()> },
}

#[derive(Clone, Debug, Serialize)]
pub struct StepSpec {
    pub name: Sp<String>,
    pub resource: Option<Sp<String>>,
    pub service: Option<DistSpec>,
    pub service_for: Vec<(Sp<String>, DistSpec)>,
    pub next: Option<Vec<RouteSpec>>,
    pub next_for: Vec<(Sp<String>, Vec<RouteSpec>)>,
    pub automation: Option<AutomationSpec>,
    pub repeat_info: Option<RepeatSpec>,
    pub batch: Option<BatchSpec>,
    pub context_factor: f64,
    /// Parallel branches instead of `next` (see `forks`).
    pub fork: Option<super::forks::ForkSpec>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RouteSpec {
    pub step: Sp<String>,
    pub p: Sp<f64>,
}

/// A probability distribution of a duration; parameters in minutes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DistKind {
    Exponential { mean: f64 },
    Deterministic { value: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
    Normal { mean: f64, sd: f64 },
    Lognormal { mean: f64, sd: f64 },
    Gamma { mean: f64, sd: f64 },
    Erlang { k: u32, mean: f64 },
    Weibull { shape: f64, scale: f64 },
    Empirical { values: Vec<f64> },
}

#[derive(Clone, Debug, Serialize)]
pub struct DistSpec {
    pub kind: DistKind,
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
}

pub const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "time_unit",
    "start",
    "horizon",
    "warmup",
    "seed",
    "replications",
    "service_level",
    "timeseries_bin",
    "customers",
    "arrivals",
    "resources",
    "steps",
    "variants",
    "expect",
    "start_day",
    "start_date",
    "utc_offset",
    "calendar",
    "calendars",
    "channels",
    "shifts",
    "objective",
    // Accepted and ignored: editors (Taplo, "Even Better TOML") may use it to find the JSON
    // Schema of the file (`branchsim schema`). Last, so that the help listing valid names
    // starts with the keys that matter.
    "$schema",
];
pub const CUSTOMER_KEYS: &[&str] = &["name", "first_step", "priority", "patience", "balk_at", "kind", "tolerance"];
pub const ARRIVAL_KEYS: &[&str] = &[
    "name",
    "customer",
    "rate",
    "interval",
    "rates",
    "scale",
    "channel",
    "first_step",
    "calendar",
    "day_factors",
    "appointments",
];
pub const RESOURCE_KEYS: &[&str] = &[
    "name",
    "staff",
    "interval",
    "cost_per_hour",
    "skills",
    "speed",
    "calendar",
    "breaks",
    "on_shift_end",
    "automated",
];
pub const STEP_KEYS: &[&str] = &[
    "name",
    "resource",
    "skill",
    "service",
    "service_for",
    "next",
    "next_for",
    "success",
    "on_failure",
    "touchless",
    "repeat_info",
    "batch",
    "context_factor",
    "fork",
];
pub const CHANNEL_KEYS: &[&str] = &["name", "first_step"];
pub const APPOINTMENT_KEYS: &[&str] = &["every", "from", "to", "no_show", "punctuality", "calendar"];
pub const PUNCTUALITY_KEYS: &[&str] = &["mean", "sd"];
pub const BREAK_KEYS: &[&str] = &["start", "length", "staff"];
pub const TOUCHLESS_KEYS: &[&str] = &["share", "to"];
pub const REPEAT_KEYS: &[&str] = &["p", "back_to", "delay"];
pub const BATCH_KEYS: &[&str] = &["size", "at", "max", "calendar"];
pub const ROUTE_KEYS: &[&str] = &["step", "p"];
pub const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const DIST_NAMES: &[&str] = &[
    "exponential",
    "deterministic",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "gamma",
    "erlang",
    "weibull",
    "empirical",
];

/// Longest horizon accepted (10 years): beyond it f64 minutes lose sub-second resolution
/// faster than any bank study needs, and runs would take unreasonably long.
pub const MAX_HORIZON_MIN: f64 = 3650.0 * units::MINUTES_PER_DAY;

impl Scenario {
    /// Reads a whole scenario; problems go to `d`. Returns `None` only when the file is too
    /// broken to say anything more (the diagnostics say why).
    pub fn from_table(root: &Table, default_name: &str, d: &mut Diagnostics) -> Scenario {
        let top = Obj::root(root, TOP_KEYS, d);
        let time_unit = match top.str("time_unit", d) {
            None => TimeUnit::Minutes,
            Some(s) => TimeUnit::parse(&s.v).unwrap_or_else(|| {
                d.error(Some(s.span.clone()), "time_unit", format!("unknown time unit `{}`", s.v))
                    .with_help(format!("expected \"s\", \"min\" or \"h\"; {}", did_you_mean(&s.v, &["s", "min", "h"])));
                TimeUnit::Minutes
            }),
        };
        let u = time_unit;
        let name = top.str("name", d).map(|s| s.v).unwrap_or_else(|| default_name.to_string());
        let description = top.str("description", d).map(|s| s.v).unwrap_or_default();
        let start = match top.str("start", d) {
            None => 0.0,
            Some(s) => units::parse_clock(&s.v).unwrap_or_else(|e| {
                d.error(Some(s.span.clone()), "start", e);
                0.0
            }),
        };
        let horizon = match top.duration("horizon", u, d) {
            Some(h) if h.v <= 0.0 => {
                d.error(Some(h.span.clone()), "horizon", "the horizon must be longer than zero");
                60.0
            }
            Some(h) if h.v > MAX_HORIZON_MIN => {
                d.error(
                    Some(h.span.clone()),
                    "horizon",
                    "the horizon is longer than the supported maximum of 3650 days",
                );
                60.0
            }
            Some(h) => h.v,
            None => {
                if top.get("horizon").is_none() {
                    top.missing("horizon", "a duration such as \"8h\"", d);
                }
                60.0
            }
        };
        let horizon_span = top.span_of("horizon");
        let warmup = match top.duration("warmup", u, d) {
            Some(w) if w.v >= horizon => {
                d.error(Some(w.span.clone()), "warmup", "the warm-up must be shorter than the horizon");
                0.0
            }
            Some(w) => w.v,
            None => 0.0,
        };
        let seed = top.int("seed", 0, i64::MAX, d).map_or(1, |s| s.v as u64);
        let replications = top.int("replications", 1, 10_000_000, d).map_or(1, |s| s.v as u32);
        let service_level = top.duration("service_level", u, d).map_or(5.0, |s| s.v);
        let timeseries_bin = match top.duration("timeseries_bin", u, d) {
            Some(b) if b.v <= 0.0 => {
                d.error(Some(b.span.clone()), "timeseries_bin", "the bin width must be longer than zero");
                15.0
            }
            Some(b) => b.v,
            None => 15.0,
        };

        let customers =
            tables(&top, "customers", d).into_iter().filter_map(|(n, path)| read_customer(n, &path, u, d)).collect();
        let arrivals =
            tables(&top, "arrivals", d).into_iter().filter_map(|(n, path)| read_arrival(n, &path, u, d)).collect();
        let resources =
            tables(&top, "resources", d).into_iter().filter_map(|(n, path)| read_resource(n, &path, u, d)).collect();
        let steps = tables(&top, "steps", d).into_iter().filter_map(|(n, path)| read_step(n, &path, u, d)).collect();
        let start_day_key = top.str("start_day", d);
        let start_day = match &start_day_key {
            None => 0,
            Some(s) => weekday(s, "start_day", d).unwrap_or(0),
        };
        let (epoch, start_day) = super::start_date::read(&top, start_day_key.as_ref().map(|s| (s, start_day)), d);
        let calendar = top.str("calendar", d);
        let calendars = match top.map("calendars", d) {
            None => Vec::new(),
            Some(t) => t
                .entries
                .iter()
                .filter_map(|(k, n)| {
                    super::calendar::read_calendar(Sp::new(k.name.clone(), k.span.clone()), n, &top.key("calendars"), d)
                })
                .collect(),
        };
        let channels =
            tables(&top, "channels", d).into_iter().filter_map(|(n, path)| read_channel(n, &path, d)).collect();
        // Shift templates are read by `branchsim staff`; checked here like every other table.
        let names: Vec<&str> = Vec::<ResourceSpec>::as_slice(&resources).iter().map(|r| r.name.v.as_str()).collect();
        crate::staffing::shifts::read(root, u, &names, d);

        let objective = read_objective(&top, u, d);
        Scenario {
            objective,
            name,
            description,
            time_unit,
            start,
            horizon,
            warmup,
            seed,
            replications,
            service_level,
            timeseries_bin,
            customers,
            arrivals,
            resources,
            steps,
            start_day,
            epoch,
            calendar,
            calendars,
            channels,
            horizon_span,
        }
    }
}

/// A weekday name (`mon` … `sun`) as 0..7.
pub fn weekday(s: &Sp<String>, key: &str, d: &mut Diagnostics) -> Option<usize> {
    let l = s.v.trim().to_lowercase();
    let r = WEEKDAYS.iter().position(|w| l.starts_with(w) && (l.len() == 3 || full_day(w) == l));
    if r.is_none() {
        d.error(Some(s.span.clone()), key, format!("unknown weekday `{}`", s.v)).with_help(format!(
            "one of {}; {}",
            WEEKDAYS.join(", "),
            did_you_mean(&l, WEEKDAYS)
        ));
    }
    r
}

fn full_day(w: &str) -> &'static str {
    match w {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

/// A probability in [0, 1].
fn prob(o: &Obj<'_>, key: &str, d: &mut Diagnostics) -> Option<Sp<f64>> {
    match o.float(key, d) {
        Some(p) if !(0.0..=1.0).contains(&p.v) => {
            d.error(Some(p.span.clone()), o.key(key), format!("probability {} is outside [0, 1]", number(p.v)));
            None
        }
        other => other,
    }
}

/// A positive factor (speeds, context factors, rate factors).
fn factor(o: &Obj<'_>, key: &str, allow_zero: bool, d: &mut Diagnostics) -> Option<f64> {
    let f = o.float(key, d)?;
    if !f.v.is_finite() || f.v < 0.0 || (!allow_zero && f.v == 0.0) || f.v > 1000.0 {
        let what = if allow_zero { "from 0 to 1000" } else { "greater than 0 and at most 1000" };
        d.error(Some(f.span.clone()), o.key(key), format!("`{key}` must be a number {what}, found {}", number(f.v)));
        return None;
    }
    Some(f.v)
}

fn clock(o: &Obj<'_>, key: &str, d: &mut Diagnostics) -> Option<f64> {
    let s = o.str(key, d)?;
    match units::parse_clock(&s.v) {
        Ok(v) => Some(v),
        Err(e) => {
            d.error(Some(s.span.clone()), o.key(key), e);
            None
        }
    }
}

fn read_channel(n: &Node, path: &str, d: &mut Diagnostics) -> Option<ChannelSpec> {
    let o = Obj::open(n, path, CHANNEL_KEYS, d)?;
    let name = o.name("name", d)?;
    Some(ChannelSpec { name, first_step: o.str("first_step", d) })
}

fn read_appointments(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<AppointmentSpec> {
    let o = Obj::open(n, path, APPOINTMENT_KEYS, d)?;
    let errors = d.error_count();
    let every = match o.duration("every", u, d) {
        Some(e) if e.v >= 1.0 => e.v,
        Some(e) => {
            d.error(Some(e.span.clone()), o.key("every"), "appointment slots must be at least 1 minute apart");
            1.0
        }
        None => {
            if o.get("every").is_none() {
                o.missing("every", "a duration between slots, e.g. \"20min\"", d);
            }
            1.0
        }
    };
    let from = clock(&o, "from", d).unwrap_or(9.0 * 60.0);
    let to = clock(&o, "to", d).unwrap_or(17.0 * 60.0);
    if to <= from {
        d.error(Some(o.span_of("to")), o.key("to"), "`to` (no slot starts at or after it) must be after `from`");
    }
    let no_show = prob(&o, "no_show", d).map_or(0.0, |p| p.v);
    let (mut offset_mean, mut offset_sd) = (0.0, 0.0);
    if let Some(pn) = o.get("punctuality") {
        let po = Obj::open(pn, &o.key("punctuality"), PUNCTUALITY_KEYS, d)?;
        offset_mean = po.get("mean").and_then(|m| signed_minutes(m, &po.key("mean"), u, d)).unwrap_or(0.0);
        offset_sd = po.duration("sd", u, d).map_or(0.0, |s| s.v.max(0.0));
    }
    let calendar = o.str("calendar", d);
    (d.error_count() == errors).then_some(AppointmentSpec {
        every,
        from,
        to,
        no_show,
        offset_mean,
        offset_sd,
        calendar,
    })
}

/// A duration that may be negative ("-3min": early).
fn signed_minutes(n: &Node, key: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<f64> {
    if let Val::Str(s) = &n.val
        && let Some(rest) = s.trim().strip_prefix('-')
    {
        let tmp = Node { span: n.span.clone(), val: Val::Str(rest.to_string()) };
        return duration_value(&tmp, key, u, d).map(|v| -v.v);
    }
    if let Some(x) = n.as_f64()
        && x < 0.0
    {
        let tmp = Node { span: n.span.clone(), val: Val::Float(-x) };
        return duration_value(&tmp, key, u, d).map(|v| -v.v);
    }
    duration_value(n, key, u, d).map(|v| v.v)
}

/// The elements of an array of tables such as `[[steps]]`, with their key paths.
pub fn tables<'a>(obj: &Obj<'a>, key: &str, d: &mut Diagnostics) -> Vec<(&'a Node, String)> {
    let Some(arr) = obj.array(key, d) else {
        return Vec::new();
    };
    arr.iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let path = format!("{}[{i}]", obj.key(key));
            if n.as_table().is_some() {
                Some((n, path))
            } else {
                d.error(Some(n.span.clone()), path, format!("expected a table, found {}", n.type_name()));
                None
            }
        })
        .collect()
}

fn read_customer(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<CustomerSpec> {
    let o = Obj::open(n, path, CUSTOMER_KEYS, d)?;
    let name = o.name("name", d);
    let first_step = o.str("first_step", d);
    let priority = o.int("priority", -1_000_000, 1_000_000, d).map_or(0, |p| p.v);
    let patience = o.get("patience").and_then(|p| read_dist(p, &o.key("patience"), u, d));
    let balk_at = o.int("balk_at", 0, i64::from(u32::MAX), d).map(|b| b.v as u32);
    let case = match o.str("kind", d) {
        None => false,
        Some(k) if k.v == "case" => true,
        Some(k) if k.v == "customer" => false,
        Some(k) => {
            d.error(Some(k.span.clone()), o.key("kind"), format!("unknown kind `{}`", k.v)).with_help(format!(
                "\"customer\" (a person who waits) or \"case\" (a file that flows through back-office steps); {}",
                did_you_mean(&k.v, &["customer", "case"])
            ));
            false
        }
    };
    if case {
        for key in ["patience", "balk_at"] {
            if o.get(key).is_some() {
                d.error(
                    Some(o.span_of(key)),
                    o.key(key),
                    format!("a case (kind = \"case\") cannot have `{key}`: cases do not abandon"),
                );
            }
        }
    }
    let tolerance = o.duration("tolerance", u, d).map(|t| t.v);
    Some(CustomerSpec { name: name?, first_step, priority, patience, balk_at, case, tolerance })
}

fn read_arrival(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<ArrivalSpec> {
    let o = Obj::open(n, path, ARRIVAL_KEYS, d)?;
    let customer = o.req_str("customer", d);
    let channel = o.str("channel", d);
    let name = match o.str("name", d) {
        Some(s) => s,
        None => match (&customer, &channel) {
            (Some(c), Some(ch)) => Sp::new(format!("{} ({})", c.v, ch.v), c.span.clone()),
            _ => customer.clone()?,
        },
    };
    let first_step = o.str("first_step", d);
    let calendar = o.str("calendar", d);
    let mut day_factors = [1.0; 7];
    if let Some(t) = o.map("day_factors", d) {
        let fo = Obj { t, path: o.key("day_factors"), span: o.span_of("day_factors") };
        fo.check_keys(WEEKDAYS, d);
        for (i, w) in WEEKDAYS.iter().enumerate() {
            if fo.get(w).is_some() {
                day_factors[i] = factor(&fo, w, true, d).unwrap_or(1.0);
            }
        }
    }
    if let Some(an) = o.get("appointments") {
        for key in ["rate", "rates", "interval"] {
            if o.get(key).is_some() {
                d.error(
                    Some(o.span_of(key)),
                    o.key(key),
                    format!("`{key}` cannot be combined with `appointments`: booked customers arrive by slot"),
                );
            }
        }
        // A bad appointment value is reported; the stream is kept so that nothing cascades.
        let appointments = read_appointments(an, &o.key("appointments"), u, d);
        return Some(ArrivalSpec {
            name,
            customer,
            profile: RateSpec::Constant(0.0),
            scale: 1.0,
            channel,
            first_step,
            calendar,
            day_factors,
            appointments,
        });
    }
    let scale = match o.float("scale", d) {
        Some(s) if s.v < 0.0 => {
            d.error(Some(s.span.clone()), o.key("scale"), "the scale must be >= 0");
            1.0
        }
        Some(s) => s.v,
        None => 1.0,
    };
    let profile = match (o.get("rate"), o.get("rates")) {
        (Some(_), Some(r)) => {
            d.error(
                Some(r.span.clone()),
                o.key("rates"),
                "give either `rate` (constant) or `interval` + `rates`, not both",
            );
            None
        }
        (Some(_), None) => o.rate("rate", u, d).map(|r| RateSpec::Constant(r.v)),
        (None, Some(rn)) => {
            let interval = o.duration("interval", u, d);
            if o.get("interval").is_none() {
                o.missing("interval", "a duration: the length of each entry of `rates`", d);
            }
            let rates = o.array("rates", d).map(|arr| {
                arr.iter()
                    .enumerate()
                    .filter_map(|(i, r)| rate_value(r, &format!("{}[{i}]", o.key("rates")), u, d).map(|s| s.v))
                    .collect::<Vec<_>>()
            });
            match (interval, rates) {
                (Some(iv), Some(rates)) if iv.v > 0.0 && !rates.is_empty() => {
                    Some(RateSpec::Piecewise { interval: iv.v, rates, span: Sp::new((), rn.span.clone()) })
                }
                (Some(iv), _) if iv.v <= 0.0 => {
                    d.error(Some(iv.span.clone()), o.key("interval"), "the interval must be longer than zero");
                    None
                }
                (_, Some(r)) if r.is_empty() => {
                    d.error(Some(rn.span.clone()), o.key("rates"), "`rates` must not be empty");
                    None
                }
                _ => None,
            }
        }
        (None, None) => {
            o.missing("rate", "a rate such as \"90/h\" (or `interval` + `rates` for a profile)", d);
            None
        }
    };
    // A bad rate is already reported; keeping the stream avoids a misleading "no arrivals".
    Some(ArrivalSpec {
        name,
        customer,
        profile: profile.unwrap_or(RateSpec::Constant(0.0)),
        scale,
        channel,
        first_step,
        calendar,
        day_factors,
        appointments: None,
    })
}

fn read_resource(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<ResourceSpec> {
    let o = Obj::open(n, path, RESOURCE_KEYS, d)?;
    let name = o.name("name", d);
    let cost_per_hour = match o.float("cost_per_hour", d) {
        Some(c) if c.v < 0.0 => {
            d.error(Some(c.span.clone()), o.key("cost_per_hour"), "the cost must be >= 0");
            0.0
        }
        Some(c) => c.v,
        None => 0.0,
    };
    let staff = match o.get("staff") {
        None => {
            o.missing("staff", "a whole number of staff, or an array with `interval`", d);
            None
        }
        Some(sn) => match &sn.val {
            Val::Array(arr) => {
                let interval = o.duration("interval", u, d);
                if o.get("interval").is_none() {
                    o.missing("interval", "a duration: the length of each entry of `staff`", d);
                }
                let staff: Vec<u32> = arr
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        int_value(s, &format!("{}[{i}]", o.key("staff")), 0, 100_000, d).map(|v| v.v as u32)
                    })
                    .collect();
                if arr.is_empty() {
                    d.error(Some(sn.span.clone()), o.key("staff"), "the staff schedule must not be empty");
                }
                match interval {
                    Some(iv) if iv.v <= 0.0 => {
                        d.error(Some(iv.span.clone()), o.key("interval"), "the interval must be longer than zero");
                        None
                    }
                    Some(iv) if staff.len() == arr.len() && !staff.is_empty() => {
                        Some(StaffSpec::Schedule { interval: iv.v, staff, span: Sp::new((), sn.span.clone()) })
                    }
                    _ => None,
                }
            }
            _ => {
                if o.get("interval").is_some() {
                    d.warning(
                        Some(o.span_of("interval")),
                        o.key("interval"),
                        "`interval` is ignored: `staff` is a single number",
                    );
                }
                int_value(sn, &o.key("staff"), 0, 100_000, d).map(|v| StaffSpec::Constant(v.v as u32))
            }
        },
    };
    let skills = match o.array("skills", d) {
        None => Vec::new(),
        Some(arr) => arr
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n.as_str() {
                // A skill that is no resource's name becomes a work queue with its own KPIs.
                Some(s) if !name_ok(s, &n.span, &format!("{}[{i}]", o.key("skills")), d) => None,
                Some(s) => Some(Sp::new(s.to_string(), n.span.clone())),
                None => {
                    d.error(
                        Some(n.span.clone()),
                        format!("{}[{i}]", o.key("skills")),
                        format!("expected a skill name, found {}", n.type_name()),
                    );
                    None
                }
            })
            .collect(),
    };
    let speed = if o.get("speed").is_some() { factor(&o, "speed", false, d).unwrap_or(1.0) } else { 1.0 };
    let calendar = o.str("calendar", d);
    let mut breaks = Vec::new();
    if let Some(arr) = o.array("breaks", d) {
        for (i, b) in arr.iter().enumerate() {
            let Some(bo) = Obj::open(b, &format!("{}[{i}]", o.key("breaks")), BREAK_KEYS, d) else {
                continue;
            };
            let start = clock(&bo, "start", d);
            if bo.get("start").is_none() {
                bo.missing("start", "a clock time such as \"12:00\"", d);
            }
            let length = match bo.duration("length", u, d) {
                Some(l) if l.v > 0.0 && l.v <= 1440.0 => Some(l.v),
                Some(l) => {
                    d.error(Some(l.span.clone()), bo.key("length"), "a break lasts more than 0 and at most 24 hours");
                    None
                }
                None => {
                    if bo.get("length").is_none() {
                        bo.missing("length", "a duration such as \"30min\"", d);
                    }
                    None
                }
            };
            let staff = bo.int("staff", 1, 100_000, d).map_or(1, |s| s.v as u32);
            if let (Some(start), Some(length)) = (start, length) {
                breaks.push(BreakSpec { start, length, staff });
            }
        }
    }
    let preempt = match o.str("on_shift_end", d) {
        None => false,
        Some(v) if v.v == "finish" => false,
        Some(v) if v.v == "preempt" => true,
        Some(v) => {
            d.error(Some(v.span.clone()), o.key("on_shift_end"), format!("unknown choice `{}`", v.v))
                .with_help(format!("\"finish\" (the service in progress ends first) or \"preempt\" (it is interrupted and resumed later); {}", did_you_mean(&v.v, &["finish", "preempt"])));
            false
        }
    };
    let automated = o.bool("automated", d).is_some_and(|b| b.v);
    // A bad `staff` is already reported; keeping the resource avoids a misleading
    // "unknown resource" for every step that uses it.
    Some(ResourceSpec {
        name: name?,
        staff: staff.unwrap_or(StaffSpec::Constant(0)),
        cost_per_hour,
        skills,
        speed,
        calendar,
        breaks,
        preempt,
        automated,
    })
}

fn read_step(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<StepSpec> {
    let o = Obj::open(n, path, STEP_KEYS, d)?;
    let name = o.name("name", d);
    let resource = match (o.str("resource", d), o.str("skill", d)) {
        (Some(r), Some(_)) => {
            d.error(Some(o.span_of("skill")), o.key("skill"), "give either `resource` or `skill`, not both").with_help(
                "`skill` names the work; any staff group listing it in `skills` (or named so) serves the step",
            );
            Some(r)
        }
        (r, s) => r.or(s),
    };
    let service = match o.get("service") {
        Some(s) => read_dist(s, &o.key("service"), u, d),
        // Without a resource and a batch, a step without service is a routing-only node.
        None if resource.is_none() && o.get("batch").is_none() && o.get("service_for").is_none() => None,
        None => {
            o.missing("service", "a distribution such as { dist = \"exponential\", mean = \"2min\" }", d);
            None
        }
    };
    let mut service_for = Vec::new();
    if let Some(m) = o.map("service_for", d) {
        for (k, v) in &m.entries {
            if let Some(dist) = read_dist(v, &format!("{}.{}", o.key("service_for"), k.name), u, d) {
                service_for.push((Sp::new(k.name.clone(), k.span.clone()), dist));
            }
        }
    }
    let next = o.get("next").and_then(|n| read_routes(n, &o.key("next"), d));
    let mut next_for = Vec::new();
    if let Some(m) = o.map("next_for", d) {
        for (k, v) in &m.entries {
            if let Some(r) = read_routes(v, &format!("{}.{}", o.key("next_for"), k.name), d) {
                next_for.push((Sp::new(k.name.clone(), k.span.clone()), r));
            }
        }
    }
    let automation = match (o.get("success"), o.get("on_failure")) {
        (None, None) => {
            if o.get("touchless").is_some() {
                d.error(Some(o.span_of("touchless")), o.key("touchless"), "`touchless` needs `success` and `on_failure`: it is the share of automated successes that skip manual work");
            }
            None
        }
        // The value given is checked too: fixing the missing key must not reveal a new error.
        (Some(_), None) => {
            let _ = prob(&o, "success", d);
            o.missing("on_failure", "the step that handles failed automated work, e.g. \"exception_review\"", d);
            None
        }
        (None, Some(_)) => {
            let _ = o.str("on_failure", d);
            o.missing("success", "the probability that the automated work succeeds, e.g. 0.85", d);
            None
        }
        (Some(_), Some(_)) => {
            let success = prob(&o, "success", d).map_or(1.0, |p| p.v);
            let on_failure = o.str("on_failure", d);
            let (touchless, touchless_to) = match o.get("touchless") {
                None => (0.0, None),
                Some(tn) => match Obj::open(tn, &o.key("touchless"), TOUCHLESS_KEYS, d) {
                    None => (0.0, None),
                    Some(to) => {
                        let share = prob(&to, "share", d).map_or(0.0, |p| p.v);
                        if to.get("share").is_none() {
                            to.missing("share", "the share of successful cases that skip manual work", d);
                        }
                        (share, to.req_str("to", d))
                    }
                },
            };
            on_failure.map(|on_failure| AutomationSpec { success, on_failure, touchless, touchless_to })
        }
    };
    let repeat_info = o.get("repeat_info").and_then(|rn| {
        let ro = Obj::open(rn, &o.key("repeat_info"), REPEAT_KEYS, d)?;
        let p = prob(&ro, "p", d);
        if ro.get("p").is_none() {
            ro.missing("p", "the probability that the customer must provide information again", d);
        }
        let back_to = ro.str("back_to", d);
        let delay = ro.get("delay").and_then(|dn| read_dist(dn, &ro.key("delay"), u, d));
        Some(RepeatSpec { p: p?.v, back_to, delay })
    });
    let batch = o.get("batch").and_then(|bn| {
        let bo = Obj::open(bn, &o.key("batch"), BATCH_KEYS, d)?;
        let size = bo.int("size", 1, 1_000_000, d).map(|s| s.v as u32);
        let mut at = Vec::new();
        if let Some(n) = bo.get("at") {
            let items: Vec<&Node> = match &n.val {
                Val::Array(a) => a.iter().collect(),
                _ => vec![n],
            };
            for (i, it) in items.iter().enumerate() {
                match it.as_str().map(units::parse_clock) {
                    Some(Ok(v)) => at.push(v),
                    Some(Err(e)) => {
                        d.error(Some(it.span.clone()), format!("{}[{i}]", bo.key("at")), e);
                    }
                    None => {
                        d.error(
                            Some(it.span.clone()),
                            bo.key("at"),
                            format!("expected a clock time such as \"15:00\", found {}", it.type_name()),
                        );
                    }
                }
            }
            at.sort_by(f64::total_cmp);
            at.dedup();
        }
        // Only when `size` is absent: a bad `size` is reported by itself.
        if bo.get("size").is_none() && bo.get("at").is_none() {
            d.error(
                Some(bn.span.clone()),
                o.key("batch"),
                "a batch needs `size` (release every N cases) or `at` (release at clock times), or both",
            );
        }
        let max = bo.int("max", 1, 1_000_000, d).map_or(u32::MAX, |m| m.v as u32);
        Some(BatchSpec { size, at, max, calendar: bo.str("calendar", d) })
    });
    let context_factor =
        if o.get("context_factor").is_some() { factor(&o, "context_factor", false, d).unwrap_or(1.0) } else { 1.0 };
    let fork = super::forks::read_fork(&o, d);
    // A bad value is already reported (and stops compilation); keeping the step keeps its name
    // known, so routes, `first_step` and `on_failure` naming it are not "unknown step".
    Some(StepSpec {
        name: name?,
        resource,
        service,
        service_for,
        next,
        next_for,
        automation,
        repeat_info,
        batch,
        context_factor,
        fork,
    })
}

fn read_routes(n: &Node, path: &str, d: &mut Diagnostics) -> Option<Vec<RouteSpec>> {
    let Val::Array(arr) = &n.val else {
        d.error(
            Some(n.span.clone()),
            path,
            format!("expected an array of {{ step, p }} tables, found {}", n.type_name()),
        );
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, r) in arr.iter().enumerate() {
        let rp = format!("{path}[{i}]");
        let Some(o) = Obj::open(r, &rp, ROUTE_KEYS, d) else {
            ok = false;
            continue;
        };
        let step = o.req_str("step", d);
        let p = match o.get("p") {
            None => {
                o.missing("p", "a probability from 0 to 1", d);
                None
            }
            Some(_) => match o.float("p", d) {
                Some(p) if !(0.0..=1.0).contains(&p.v) => {
                    d.error(Some(p.span.clone()), o.key("p"), format!("probability {} is outside [0, 1]", number(p.v)));
                    None
                }
                other => other,
            },
        };
        match (step, p) {
            (Some(step), Some(p)) => out.push(RouteSpec { step, p }),
            _ => ok = false,
        }
    }
    let total: f64 = out.iter().map(|r| r.p.v).sum();
    if total > 1.0 + 1e-9 {
        d.error(Some(n.span.clone()), path, format!("routing probabilities sum to {total:.6}, above 1"))
            .with_help("the probabilities of `next` must sum to at most 1; the remainder leaves the process");
        ok = false;
    }
    ok.then_some(out)
}

/// The keys of a distribution table (`dist` and its parameters), `None` for an unknown name.
pub fn dist_keys(dist: &str) -> Option<&'static [&'static str]> {
    Some(match dist {
        "exponential" => &["dist", "mean"],
        "deterministic" => &["dist", "value"],
        "uniform" => &["dist", "min", "max"],
        "triangular" => &["dist", "min", "mode", "max"],
        "normal" | "lognormal" | "gamma" => &["dist", "mean", "sd"],
        "erlang" => &["dist", "k", "mean"],
        "weibull" => &["dist", "shape", "scale"],
        "empirical" => &["dist", "values"],
        _ => return None,
    })
}

/// Reads `{ dist = "...", ... }`; a bare duration means a deterministic time.
pub fn read_dist(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<DistSpec> {
    if matches!(n.val, Val::Str(_) | Val::Int(_) | Val::Float(_)) {
        let v = duration_value(n, path, u, d)?;
        return Some(DistSpec { kind: DistKind::Deterministic { value: v.v }, span: n.span.clone() });
    }
    let Some(t) = n.as_table() else {
        d.error(Some(n.span.clone()), path, format!("expected a distribution table, found {}", n.type_name()))
            .with_help("e.g. { dist = \"exponential\", mean = \"2min\" }");
        return None;
    };
    let Some(dn) = t.get("dist") else {
        d.error(Some(n.span.clone()), path, "missing key `dist` in the distribution")
            .with_help(format!("one of: {}", DIST_NAMES.join(", ")));
        return None;
    };
    let Some(dist) = dn.as_str() else {
        d.error(Some(dn.span.clone()), format!("{path}.dist"), format!("expected a string, found {}", dn.type_name()));
        return None;
    };
    let Some(keys) = dist_keys(dist) else {
        d.error(Some(dn.span.clone()), format!("{path}.dist"), format!("unknown distribution `{dist}`"))
            .with_help(did_you_mean(dist, DIST_NAMES));
        return None;
    };
    let o = Obj::open(n, path, keys, d)?;
    let errors_before = d.error_count();
    let dur = |key: &str, positive: bool, d: &mut Diagnostics| -> f64 {
        match o.get(key) {
            None => {
                o.missing(key, "a duration", d);
                f64::NAN
            }
            Some(_) => match o.duration(key, u, d) {
                Some(v) if positive && v.v <= 0.0 => {
                    d.error(Some(v.span.clone()), o.key(key), format!("`{key}` must be greater than zero"));
                    f64::NAN
                }
                Some(v) => v.v,
                None => f64::NAN,
            },
        }
    };
    let kind = match dist {
        "exponential" => DistKind::Exponential { mean: dur("mean", true, d) },
        "deterministic" => DistKind::Deterministic { value: dur("value", false, d) },
        "uniform" => {
            let (min, max) = (dur("min", false, d), dur("max", false, d));
            if min > max {
                d.error(Some(n.span.clone()), path, "uniform: `min` must not exceed `max`");
            }
            DistKind::Uniform { min, max }
        }
        "triangular" => {
            let (min, mode, max) = (dur("min", false, d), dur("mode", false, d), dur("max", false, d));
            if !(min <= mode && mode <= max) || min == max {
                d.error(Some(n.span.clone()), path, "triangular: need min <= mode <= max with min < max");
            }
            DistKind::Triangular { min, mode, max }
        }
        "normal" | "lognormal" | "gamma" => {
            let mean = dur("mean", true, d);
            let sd = dur("sd", dist == "normal", d);
            // A larger spread overflows the lognormal/gamma parameters (and is no duration).
            if sd > 100.0 * mean && dist != "normal" {
                d.error(Some(o.span_of("sd")), o.key("sd"), format!("{dist}: `sd` must be at most 100 times `mean`"))
                    .with_help(
                        "a coefficient of variation above 100 is not a service or patience time; check the units",
                    );
            }
            match dist {
                "normal" => DistKind::Normal { mean, sd },
                "lognormal" => DistKind::Lognormal { mean, sd },
                _ => {
                    if sd <= 0.0 {
                        d.error(Some(o.span_of("sd")), o.key("sd"), "gamma: `sd` must be greater than zero");
                    }
                    DistKind::Gamma { mean, sd }
                }
            }
        }
        "erlang" => {
            let k = match o.get("k") {
                Some(kn) => int_value(kn, &o.key("k"), 1, 1000, d).map_or(1, |k| k.v as u32),
                None => {
                    o.missing("k", "a whole number of phases >= 1", d);
                    1
                }
            };
            DistKind::Erlang { k, mean: dur("mean", true, d) }
        }
        "weibull" => {
            let shape = match o.float("shape", d) {
                Some(s) if s.v >= 0.1 => s.v,
                Some(s) if s.v > 0.0 => {
                    // Below 0.1 the tail is so heavy that draws overflow to infinity.
                    d.error(Some(s.span.clone()), o.key("shape"), "weibull: `shape` must be at least 0.1")
                        .with_help("the mean is scale × Γ(1 + 1/shape): 3.6 million times `scale` at shape 0.1");
                    f64::NAN
                }
                Some(s) => {
                    d.error(Some(s.span.clone()), o.key("shape"), "weibull: `shape` must be greater than zero");
                    f64::NAN
                }
                None => {
                    if o.get("shape").is_none() {
                        o.missing("shape", "a positive number", d);
                    }
                    f64::NAN
                }
            };
            DistKind::Weibull { shape, scale: dur("scale", true, d) }
        }
        _ => {
            let values = match o.array("values", d) {
                Some(arr) if !arr.is_empty() => arr
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| duration_value(v, &format!("{}[{i}]", o.key("values")), u, d).map(|v| v.v))
                    .collect(),
                Some(_) => {
                    d.error(Some(o.span_of("values")), o.key("values"), "empirical: `values` must not be empty");
                    Vec::new()
                }
                None => {
                    if o.get("values").is_none() {
                        o.missing("values", "an array of durations", d);
                    }
                    Vec::new()
                }
            };
            DistKind::Empirical { values }
        }
    };
    (d.error_count() == errors_before).then_some(DistSpec { kind, span: n.span.clone() })
}
