//! The saved results of a run (`summary.json`, schema version 1).
//!
//! This is the contract between a run and everything that reads it afterwards: CI pipelines,
//! `branchsim report` (charts and HTML re-rendered without simulating), `check --baseline`.
//! It holds no wall-clock fields, so the same seed gives the same bytes. Durations are in the
//! scenario's `time_unit`; undefined values (NaN) are written as `null`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::experiment::compare::{self, Bottleneck, CostPoint, Difference, Ranking};
use crate::experiment::precision::Outcome;
use crate::experiment::{Band, VariantResult};
use crate::kpi::{self, Group};
use crate::scenario::Loaded;
use crate::scenario::units::{self, TimeUnit};
use crate::stats::{Summary, nan_serde};

pub const SCHEMA_VERSION: u32 = 1;

/// A KPI across replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stat {
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub sd: f64,
    #[serde(deserialize_with = "nan_serde::pair")]
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci95: [f64; 2],
    pub n: u64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub min: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub max: f64,
}

impl Stat {
    /// A summary with values multiplied by `scale` (e.g. minutes → the time unit).
    pub fn from(s: &Summary, scale: f64) -> Stat {
        Stat {
            mean: s.mean * scale,
            sd: s.sd * scale,
            ci95: [s.ci95[0] * scale, s.ci95[1] * scale],
            n: s.n,
            min: s.min * scale,
            max: s.max * scale,
        }
    }

    pub fn half_width(&self) -> f64 {
        (self.ci95[1] - self.ci95[0]) / 2.0
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    pub file: String,
    pub content_hash: String,
    pub time_unit: TimeUnit,
    /// Clock label of t = 0.
    pub start: String,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub start_minutes: f64,
    pub horizon: f64,
    pub warmup: f64,
    pub service_level: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BandOut {
    #[serde(deserialize_with = "nan_serde::vec")]
    #[schemars(with = "Vec<Option<f64>>")]
    pub mean: Vec<f64>,
    #[serde(deserialize_with = "nan_serde::vec")]
    #[schemars(with = "Vec<Option<f64>>")]
    pub p05: Vec<f64>,
    #[serde(deserialize_with = "nan_serde::vec")]
    #[schemars(with = "Vec<Option<f64>>")]
    pub p95: Vec<f64>,
}

impl BandOut {
    fn from(b: &Band, scale: f64) -> BandOut {
        let s = |v: &[f64]| v.iter().map(|x| x * scale).collect();
        BandOut { mean: s(&b.mean), p05: s(&b.p05), p95: s(&b.p95) }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeSeries {
    /// Bin width in the time unit.
    pub bin_width: f64,
    /// Start of each bin in the time unit (from t = 0).
    pub bin_start: Vec<f64>,
    /// Clock label of each bin start ("09:00", or "d2 09:00" for multi-day horizons).
    pub labels: Vec<String>,
    /// Mean number waiting per step.
    pub queue: IndexMap<String, BandOut>,
    /// Busy staff / scheduled staff per resource.
    pub utilisation: IndexMap<String, BandOut>,
    /// Mean wait (time unit) of served customers by the bin they arrived in.
    pub wait_by_arrival: BandOut,
}

/// A pooled distribution as histogram bins `[lower, upper, count]` in the time unit.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Distribution {
    pub n: u64,
    pub bins: Vec<(f64, f64, u64)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Distributions {
    pub wait: Distribution,
    pub cycle_time: Distribution,
    pub wait_by_customer: IndexMap<String, Distribution>,
    pub cycle_time_by_customer: IndexMap<String, Distribution>,
}

/// The process as simulated, for assumption tables and the process diagram.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelInfo {
    pub customers: Vec<CustomerInfo>,
    pub arrivals: Vec<ArrivalInfo>,
    pub resources: Vec<ResourceInfo>,
    pub steps: Vec<StepInfo>,
    /// Every outcome of every step (rework, automation, routing, leaving) with its
    /// probability, for the process diagram (absent in older summary.json files).
    #[serde(default)]
    pub flow: crate::report::charts::flow::Flow,
    /// When t = 0 falls: clock time and weekday, so that readers (and the chart axes) can
    /// name the days of a multi-day run. Absent in files written before it existed.
    #[serde(default)]
    pub start: Option<StartInfo>,
}

/// The clock and weekday of t = 0.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct StartInfo {
    /// Clock time, "09:00".
    pub clock: String,
    /// The same in minutes after midnight.
    pub clock_minutes: f64,
    /// Weekday, "mon" … "sun" (the scenario's `start_day`).
    pub weekday: String,
}

/// Weekday keys as scenarios write them, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerInfo {
    pub name: String,
    pub first_step: String,
    pub priority: i64,
    /// Mean patience in the time unit (null: customers never renege).
    pub patience_mean: Option<f64>,
    pub balk_at: Option<u32>,
    /// A back-office case (`kind = "case"`: a file, not a person who waits). Absent in older
    /// summary.json files.
    #[serde(default)]
    pub case: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArrivalInfo {
    pub name: String,
    pub customer: String,
    /// Rates per hour: one value (constant) or one per interval.
    pub rates_per_hour: Vec<f64>,
    /// Interval of `rates_per_hour` in the time unit (null for a constant rate).
    pub interval: Option<f64>,
    /// Expected arrivals over the horizon (for booked appointments: slots × (1 − no-show)).
    pub expected: f64,
    /// Booked appointments (null for Poisson walk-ins): the rates above are then the booked
    /// slots per hour times the share that shows up.
    #[serde(default)]
    pub appointments: Option<AppointmentInfo>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppointmentInfo {
    /// Slots booked over the horizon.
    pub slots: u64,
    pub no_show: f64,
}

/// Appointment slot times (minutes) before the horizon: the first week at most, like the
/// hourly profiles, then repeated weeks counted arithmetically would over-engineer this.
fn slot_times(ap: &crate::model::Appointments, horizon: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut n = 0u64;
    while let Some(t) = ap.slots.nth(n) {
        if t >= horizon || out.len() > 1_000_000 {
            break;
        }
        out.push(t);
        n += 1;
    }
    out
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResourceInfo {
    pub name: String,
    /// Staff: one value (constant) or one per interval.
    pub staff: Vec<u32>,
    pub interval: Option<f64>,
    pub cost_per_hour: f64,
    /// Work queues this group serves, in its order of preference (own queue first).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Service-time factor (1.1 = 10% slower).
    #[serde(default = "one")]
    pub speed: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RouteInfo {
    pub to: String,
    pub p: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepInfo {
    pub name: String,
    pub resource: Option<String>,
    /// Mean service time (time unit) per customer type.
    pub service_mean: IndexMap<String, f64>,
    /// Where each customer type goes next; the rest leaves.
    pub routes: IndexMap<String, Vec<RouteInfo>>,
    /// Removed by this variant (customers pass through in zero time).
    pub removed: bool,
    /// Probability that information is asked again (`repeat_info`), null without.
    #[serde(default)]
    pub repeat_p: Option<f64>,
    /// Success probability of an automated step, null for a manual one.
    #[serde(default)]
    pub automation_success: Option<f64>,
    /// Factor on the next service time after this step (context hand-over).
    #[serde(default = "one")]
    pub context_factor: f64,
    /// The parallel branches a case splits into when this step ends (`fork`), null without.
    #[serde(default)]
    pub fork: Option<ForkInfo>,
}

/// A fork: the branches (each taken with probability `p`, 1 for every case) and the step
/// where they meet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForkInfo {
    pub branches: Vec<RouteInfo>,
    pub join: String,
}

/// Hour starts over the horizon, at most one week (for showing repeating profiles).
fn hourly(horizon: f64) -> impl Iterator<Item = f64> {
    let n = (horizon.min(crate::model::WEEK) / 60.0).ceil() as usize;
    (0..n).map(|h| h as f64 * 60.0)
}

impl ModelInfo {
    pub fn of(m: &crate::model::Model) -> ModelInfo {
        use crate::model::{RateProfile, Staffing};
        let tu = m.time_unit;
        let cname = |i: usize| m.customers.get(i).map_or(String::new(), |c| c.name.clone());
        let start = Some(StartInfo {
            clock: units::clock_label(m.start_clock, 0.0, false),
            clock_minutes: m.start_clock,
            weekday: WEEKDAYS[m.start_day % 7].to_string(),
        });
        ModelInfo {
            start,
            customers: m
                .customers
                .iter()
                .map(|c| CustomerInfo {
                    name: c.name.clone(),
                    first_step: m.steps.get(c.first_step).map_or(String::new(), |s| s.name.clone()),
                    priority: c.priority,
                    patience_mean: c.patience.as_ref().map(|p| tu.from_minutes(crate::scenario::compile::dist_mean(p))),
                    balk_at: c.balk_at,
                    case: c.case,
                })
                .collect(),
            arrivals: m
                .arrivals
                .iter()
                .map(|a| {
                    if let Some(ap) = &a.appointments {
                        let slots = slot_times(ap, m.horizon);
                        let show = 1.0 - ap.no_show;
                        let rates_per_hour = hourly(m.horizon)
                            .map(|h| slots.iter().filter(|&&t| t >= h && t < h + 60.0).count() as f64 * show)
                            .collect();
                        return ArrivalInfo {
                            name: a.name.clone(),
                            customer: cname(a.customer),
                            rates_per_hour,
                            interval: Some(tu.from_minutes(60.0)),
                            expected: slots.len() as f64 * show,
                            appointments: Some(AppointmentInfo { slots: slots.len() as u64, no_show: ap.no_show }),
                        };
                    }
                    let (rates_per_hour, interval) = match &a.profile {
                        RateProfile::Constant(r) => (vec![r * 60.0], None),
                        RateProfile::Piecewise { interval, rates } => {
                            (rates.iter().map(|r| r * 60.0).collect(), Some(tu.from_minutes(*interval)))
                        }
                        // Repeating profiles are shown hour by hour over the first week at most.
                        RateProfile::Timeline(tl) => (
                            hourly(m.horizon).map(|t| tl.integral(t + 60.0) - tl.integral(t)).collect(),
                            Some(tu.from_minutes(60.0)),
                        ),
                    };
                    ArrivalInfo {
                        name: a.name.clone(),
                        customer: cname(a.customer),
                        rates_per_hour,
                        interval,
                        expected: a.profile.integral(m.horizon),
                        appointments: None,
                    }
                })
                .collect(),
            resources: m
                .resources
                .iter()
                .map(|r| {
                    let (staff, interval) = match &r.staff {
                        Staffing::Constant(n) => (vec![*n], None),
                        Staffing::Schedule { interval, staff } => (staff.clone(), Some(tu.from_minutes(*interval))),
                        Staffing::Timeline(tl) => {
                            (hourly(m.horizon).map(|t| tl.at(t) as u32).collect(), Some(tu.from_minutes(60.0)))
                        }
                    };
                    ResourceInfo {
                        name: r.name.clone(),
                        staff,
                        interval,
                        cost_per_hour: r.cost_per_hour,
                        // Queues no step feeds (a group's own queue when it only has skills) are left out.
                        skills: r
                            .skills
                            .iter()
                            .filter(|&&p| m.steps.iter().any(|s| s.pool == Some(p)))
                            .filter_map(|p| m.pools.get(*p))
                            .map(|p| p.name.clone())
                            .collect(),
                        speed: r.speed,
                    }
                })
                .collect(),
            steps: m
                .steps
                .iter()
                .map(|s| StepInfo {
                    name: s.name.clone(),
                    resource: s.pool.and_then(|p| m.pools.get(p)).map(|p| p.name.clone()),
                    service_mean: m
                        .customers
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.name.clone(), tu.from_minutes(m.dist_means[s.service[i]])))
                        .collect(),
                    routes: m
                        .customers
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let r = &s.route[i];
                            let mut prev = 0.0;
                            let list =
                                r.to.iter()
                                    .zip(&r.cum)
                                    .map(|(t, c)| {
                                        let p = c - prev;
                                        prev = *c;
                                        RouteInfo { to: m.steps[*t].name.clone(), p }
                                    })
                                    .collect();
                            (c.name.clone(), list)
                        })
                        .collect(),
                    removed: s.pass_through,
                    repeat_p: s.repeat.as_ref().map(|r| r.p),
                    automation_success: s.automation.as_ref().map(|a| a.success),
                    context_factor: s.context_factor,
                    fork: s.fork.as_ref().map(|f| ForkInfo {
                        branches: f
                            .branches
                            .iter()
                            .map(|b| RouteInfo { to: m.steps[b.step].name.clone(), p: b.p })
                            .collect(),
                        join: m.steps[f.join].name.clone(),
                    }),
                })
                .collect(),
            flow: crate::report::charts::flow::Flow::of(m),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VariantSummary {
    pub description: String,
    pub replications: u64,
    /// The process this variant simulated.
    pub model: ModelInfo,
    pub kpis: IndexMap<String, Stat>,
    pub customers: IndexMap<String, IndexMap<String, Stat>>,
    pub steps: IndexMap<String, IndexMap<String, Stat>>,
    pub resources: IndexMap<String, IndexMap<String, Stat>>,
    pub bottleneck: Bottleneck,
    /// Replications stopped by a safety cap, with the reason (empty when all completed).
    pub stopped_early: Vec<(u64, String)>,
    pub timeseries: TimeSeries,
    pub distributions: Distributions,
}

impl VariantSummary {
    /// A KPI by path: `wait_mean`, `customers.retail.wait_mean`, `steps.teller.queue_mean`.
    pub fn get(&self, path: &str) -> Option<&Stat> {
        if let Some(s) = self.kpis.get(path) {
            return Some(s);
        }
        let (group, rest) = path.split_once('.')?;
        let (entity, kpi) = rest.rsplit_once('.')?;
        let g = match group {
            "customers" => &self.customers,
            "steps" => &self.steps,
            "resources" => &self.resources,
            _ => return None,
        };
        g.get(entity)?.get(kpi)
    }

    /// Every KPI path with its stat, in file order.
    pub fn all(&self) -> Vec<(String, &Stat)> {
        let mut out: Vec<(String, &Stat)> = self.kpis.iter().map(|(k, s)| (k.clone(), s)).collect();
        for (g, map) in [("customers", &self.customers), ("steps", &self.steps), ("resources", &self.resources)] {
            for (e, kp) in map {
                for (k, s) in kp {
                    out.push((format!("{g}.{e}.{k}"), s));
                }
            }
        }
        out
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrecisionRow {
    pub variant: String,
    pub kpi: String,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub half_width: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub target: f64,
    pub met: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrecisionReport {
    pub replications: u64,
    pub all_met: bool,
    pub targets: Vec<PrecisionRow>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    /// Variants compared with the baseline (Bonferroni m).
    pub compared: usize,
    pub differences: Vec<Difference>,
    pub ranking: Option<Ranking>,
    pub cost: Vec<CostPoint>,
}

/// Steps and resources of a variant above which summary.json is written without indentation.
pub const COMPACT_ABOVE: usize = 1_000;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Results {
    pub schema_version: u32,
    pub branchsim_version: String,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub replications: u64,
    pub precision: Option<PrecisionReport>,
    pub variants: IndexMap<String, VariantSummary>,
    pub comparison: Option<Comparison>,
}

/// Options that shape the comparison section.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    pub objective: Option<String>,
    pub maximise: Option<bool>,
    /// Indifference amount in engine units (minutes for durations).
    pub indifference: f64,
    /// A bound a recommended variant must meet: (KPI path, at least?, value in engine units,
    /// text as written).
    pub constraint: Option<(String, bool, f64, String)>,
    /// Where the objective came from ("scenario" or "--objective").
    pub source: String,
}

impl CompareOptions {
    /// The scenario's own `objective`, used when no `--objective` flag overrides it.
    pub fn from_scenario(o: &crate::scenario::schema::ObjectiveSpec) -> CompareOptions {
        CompareOptions {
            objective: Some(o.kpi.v.clone()),
            maximise: o.minimise.map(|m| !m),
            indifference: 0.0,
            constraint: o.constraint.as_ref().map(|c| (c.kpi.v.clone(), c.at_least, c.value, c.text.clone())),
            source: "scenario".into(),
        }
    }
}

impl Results {
    pub fn build(
        loaded: &Loaded,
        seed: u64,
        variants: &[VariantResult],
        precision: Option<&Outcome>,
        opts: &CompareOptions,
    ) -> Results {
        let base = loaded.baseline();
        let m = &base.model;
        let tu = m.time_unit;
        let multi_day = m.start_clock + m.horizon > units::MINUTES_PER_DAY;
        let scenario = ScenarioInfo {
            name: m.name.clone(),
            description: m.description.clone(),
            file: loaded.path.clone(),
            content_hash: loaded.content_hash.clone(),
            time_unit: tu,
            start: units::clock_label(m.start_clock, 0.0, false),
            start_minutes: m.start_clock,
            horizon: tu.from_minutes(m.horizon),
            warmup: tu.from_minutes(m.warmup),
            service_level: tu.from_minutes(m.service_level),
        };
        let precision = precision.map(|o| PrecisionReport {
            replications: o.replications,
            all_met: o.all_met(),
            targets: o
                .rows
                .iter()
                .map(|r| {
                    let scale =
                        if kpi::is_duration(r.kpi.rsplit('.').next().unwrap_or("")) { 1.0 / tu.minutes() } else { 1.0 };
                    PrecisionRow {
                        variant: r.variant.clone(),
                        kpi: r.kpi.clone(),
                        mean: r.mean * scale,
                        half_width: r.half_width * scale,
                        target: r.goal * scale,
                        met: r.met,
                    }
                })
                .collect(),
        });
        // The summaries (per variant) and the paired comparison run side by side on the
        // caller's rayon pool: this is serial work between the last replication and the output
        // files, and it was about 1% of a 1,000-replication run of the main job.
        let summaries = || -> IndexMap<String, VariantSummary> {
            use rayon::prelude::*;
            let list: Vec<(String, VariantSummary)> =
                variants.par_iter().map(|v| (v.name.clone(), variant_summary(v, tu, multi_day))).collect();
            list.into_iter().collect()
        };
        let comparison = || {
            (variants.len() > 1).then(|| {
                let others: Vec<&VariantResult> = variants[1..].iter().collect();
                let mut differences = compare::differences(&variants[0], &others);
                for d in &mut differences {
                    if kpi::is_duration(d.kpi.rsplit('.').next().unwrap_or("")) {
                        let s = 1.0 / tu.minutes();
                        d.baseline_mean *= s;
                        d.variant_mean *= s;
                        d.diff *= s;
                        for ci in [&mut d.ci95, &mut d.ci_adjusted, &mut d.ci95_unpaired] {
                            ci[0] *= s;
                            ci[1] *= s;
                        }
                    }
                }
                let all: Vec<&VariantResult> = variants.iter().collect();
                let ranking = opts.objective.as_ref().and_then(|obj| {
                    let minimise = opts.maximise.map_or_else(|| compare::lower_is_better(obj), |mx| !mx);
                    compare::rank(&all, obj, minimise, opts.indifference).map(|mut r| {
                        r.source = opts.source.clone();
                        if let Some((ck, at_least, value, text)) = &opts.constraint {
                            r.constraint = Some(text.clone());
                            r.infeasible = all
                                .iter()
                                .filter(|v| {
                                    let m = v.find(ck).map_or(f64::NAN, |k| v.summary(k).mean);
                                    !(if *at_least { m >= *value } else { m <= *value })
                                })
                                .map(|v| v.name.clone())
                                .collect();
                        }
                        if kpi::is_duration(obj.rsplit('.').next().unwrap_or("")) {
                            for o in &mut r.order {
                                o.1 /= tu.minutes();
                            }
                            r.indifference /= tu.minutes();
                        }
                        r
                    })
                });
                Comparison { compared: others.len(), differences, ranking, cost: compare::cost_view(&all) }
            })
        };
        let (out, comparison) = rayon::join(summaries, comparison);
        Results {
            schema_version: SCHEMA_VERSION,
            branchsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario,
            seed,
            replications: variants.first().map_or(0, |v| v.replications() as u64),
            precision,
            variants: out,
            comparison,
        }
    }

    /// The file's text: indented for reading, except for a large model (more than
    /// `COMPACT_ABOVE` steps and resources in a variant), where indentation would be most of
    /// the bytes (36 MB instead of 14 MB for 10,000 steps) and nobody reads it by eye.
    pub fn to_json(&self) -> String {
        let large = self.variants.values().any(|v| v.steps.len() + v.resources.len() > COMPACT_ABOVE);
        let text = if large { serde_json::to_string(self) } else { serde_json::to_string_pretty(self) };
        let mut s = text.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Results, String> {
        let r: Results = serde_json::from_str(text).map_err(|e| format!("not a branchsim summary.json: {e}"))?;
        if r.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "summary.json has schema_version {}, this branchsim reads {SCHEMA_VERSION}",
                r.schema_version
            ));
        }
        Ok(r)
    }

    /// The service-level threshold as a reader sees it: "5 min".
    pub fn sl_threshold(&self) -> String {
        let x = self.scenario.service_level;
        let n = if x.is_finite() {
            format!("{:.3}", x).trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            "–".into()
        };
        format!("{n} {}", self.scenario.time_unit.label())
    }

    pub fn baseline(&self) -> Option<&VariantSummary> {
        self.variants.get("baseline").or_else(|| self.variants.values().next())
    }
}

fn variant_summary(v: &VariantResult, tu: TimeUnit, multi_day: bool) -> VariantSummary {
    let m = &v.model;
    let mut kpis = IndexMap::new();
    let mut customers: IndexMap<String, IndexMap<String, Stat>> = IndexMap::new();
    let mut steps: IndexMap<String, IndexMap<String, Stat>> = IndexMap::new();
    let mut resources: IndexMap<String, IndexMap<String, Stat>> = IndexMap::new();
    let removed: std::collections::HashSet<&str> =
        m.steps.iter().filter(|s| s.pass_through).map(|s| s.name.as_str()).collect();
    for (k, id) in v.catalogue.iter().enumerate() {
        let scale = if kpi::is_duration(&id.kpi) { 1.0 / tu.minutes() } else { 1.0 };
        let st = Stat::from(&v.summary(k), scale);
        match id.group {
            Group::Overall => {
                kpis.insert(id.kpi.clone(), st);
            }
            Group::Customer => {
                customers.entry(id.entity.clone()).or_default().insert(id.kpi.clone(), st);
            }
            Group::Step => {
                if !removed.contains(id.entity.as_str()) {
                    steps.entry(id.entity.clone()).or_default().insert(id.kpi.clone(), st);
                }
            }
            Group::Resource => {
                resources.entry(id.entity.clone()).or_default().insert(id.kpi.clone(), st);
            }
        }
    }
    let bw = v.bin_width;
    let bin_start: Vec<f64> = (0..v.n_bins).map(|b| tu.from_minutes(b as f64 * bw)).collect();
    let labels = (0..v.n_bins).map(|b| units::clock_label(m.start_clock, b as f64 * bw, multi_day)).collect();
    let mut queue = IndexMap::new();
    // Only steps where somebody waited (see `VariantResult::queue_bands`): the others'
    // series would be zeros, and a model of thousands of steps has few that queue.
    for (s, b) in v.queue_bands() {
        if !m.steps[s].pass_through {
            queue.insert(m.steps[s].name.clone(), BandOut::from(&b, 1.0));
        }
    }
    let utilisation =
        m.resources.iter().zip(v.util_bands()).map(|(r, b)| (r.name.clone(), BandOut::from(&b, 1.0))).collect();
    let timeseries = TimeSeries {
        bin_width: tu.from_minutes(bw),
        bin_start,
        labels,
        queue,
        utilisation,
        wait_by_arrival: BandOut::from(&v.wait_band(), 1.0 / tu.minutes()),
    };
    let dist = |h: &crate::stats::Histogram| Distribution {
        n: h.n(),
        bins: h.bins().into_iter().map(|(a, b, c)| (tu.from_minutes(a), tu.from_minutes(b), c)).collect(),
    };
    let distributions = Distributions {
        wait: dist(&v.wait_hist[0]),
        cycle_time: dist(&v.cycle_hist[0]),
        wait_by_customer: m
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), dist(&v.wait_hist[i + 1])))
            .collect(),
        cycle_time_by_customer: m
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), dist(&v.cycle_hist[i + 1])))
            .collect(),
    };
    let mut bottleneck = compare::bottleneck(v);
    bottleneck.utilisation = if bottleneck.utilisation.is_finite() { bottleneck.utilisation } else { f64::NAN };
    VariantSummary {
        description: v.description.clone(),
        replications: v.replications() as u64,
        model: ModelInfo::of(m),
        kpis,
        customers,
        steps,
        resources,
        bottleneck,
        stopped_early: v.stops.clone(),
        timeseries,
        distributions,
    }
}
