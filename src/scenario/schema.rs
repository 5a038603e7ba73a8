//! The scenario as the user wrote it (format v1), read from the spanned tree.
//!
//! Values are already in engine units (minutes, events per minute) but names are still names:
//! resolving them to indices, and checking that the pieces fit together, is `compile`'s job.

use serde::Serialize;

use super::diag::{Diagnostics, did_you_mean};
use super::reader::{Obj, Sp, duration_value, int_value, rate_value};
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
    #[serde(skip)]
    pub horizon_span: std::ops::Range<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CustomerSpec {
    pub name: Sp<String>,
    pub first_step: Option<Sp<String>>,
    pub priority: i64,
    pub patience: Option<DistSpec>,
    pub balk_at: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArrivalSpec {
    pub name: Sp<String>,
    pub customer: Option<Sp<String>>,
    pub profile: RateSpec,
    pub scale: f64,
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
];
pub const CUSTOMER_KEYS: &[&str] = &["name", "first_step", "priority", "patience", "balk_at"];
pub const ARRIVAL_KEYS: &[&str] = &["name", "customer", "rate", "interval", "rates", "scale"];
pub const RESOURCE_KEYS: &[&str] = &["name", "staff", "interval", "cost_per_hour"];
pub const STEP_KEYS: &[&str] = &["name", "resource", "service", "service_for", "next", "next_for"];
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

        Scenario {
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
            horizon_span,
        }
    }
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
    let first_step = o.req_str("first_step", d);
    let priority = o.int("priority", -1_000_000, 1_000_000, d).map_or(0, |p| p.v);
    let patience = o.get("patience").and_then(|p| read_dist(p, &o.key("patience"), u, d));
    let balk_at = o.int("balk_at", 0, i64::from(u32::MAX), d).map(|b| b.v as u32);
    Some(CustomerSpec { name: name?, first_step, priority, patience, balk_at })
}

fn read_arrival(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<ArrivalSpec> {
    let o = Obj::open(n, path, ARRIVAL_KEYS, d)?;
    let customer = o.req_str("customer", d);
    let name = match o.str("name", d) {
        Some(s) => s,
        None => customer.clone()?,
    };
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
    Some(ArrivalSpec { name, customer, profile: profile.unwrap_or(RateSpec::Constant(0.0)), scale })
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
    // A bad `staff` is already reported; keeping the resource avoids a misleading
    // "unknown resource" for every step that uses it.
    Some(ResourceSpec { name: name?, staff: staff.unwrap_or(StaffSpec::Constant(0)), cost_per_hour })
}

fn read_step(n: &Node, path: &str, u: TimeUnit, d: &mut Diagnostics) -> Option<StepSpec> {
    let o = Obj::open(n, path, STEP_KEYS, d)?;
    let name = o.name("name", d);
    let resource = o.str("resource", d);
    let service = match o.get("service") {
        Some(s) => read_dist(s, &o.key("service"), u, d),
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
    Some(StepSpec { name: name?, resource, service, service_for, next, next_for })
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
        let Some(o) = Obj::open(r, &rp, &["step", "p"], d) else {
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
                    d.error(Some(p.span.clone()), o.key("p"), format!("probability {} is outside [0, 1]", p.v));
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
    let keys: &[&str] = match dist {
        "exponential" => &["dist", "mean"],
        "deterministic" => &["dist", "value"],
        "uniform" => &["dist", "min", "max"],
        "triangular" => &["dist", "min", "mode", "max"],
        "normal" | "lognormal" | "gamma" => &["dist", "mean", "sd"],
        "erlang" => &["dist", "k", "mean"],
        "weibull" => &["dist", "shape", "scale"],
        "empirical" => &["dist", "values"],
        other => {
            d.error(Some(dn.span.clone()), format!("{path}.dist"), format!("unknown distribution `{other}`"))
                .with_help(did_you_mean(other, DIST_NAMES));
            return None;
        }
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
