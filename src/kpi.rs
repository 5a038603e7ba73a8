//! The KPI catalogue: which numbers a replication reports, in which order, under which names.
//!
//! KPI names are a contract (summary.json, CSV files, `check` expectations). A replication
//! reports a flat vector of values in catalogue order; the catalogue says what each value is.

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// KPIs reported overall and for each customer type.
pub const CUSTOMER_KPIS: &[&str] = &[
    "arrived",
    "served",
    "abandoned",
    "reneged",
    "balked",
    "abandon_rate",
    "wait_mean",
    "wait_p50",
    "wait_p90",
    "wait_p95",
    "wait_max",
    "wait_prob",
    "cycle_time_mean",
    "cycle_time_p50",
    "cycle_time_p90",
    "cycle_time_p95",
    "service_level",
    "throughput_per_hour",
    "satisfied_rate",
    "cycle_time_work_mean",
    "no_shows",
    "service_level_arrivals",
];
/// KPIs reported only overall.
pub const OVERALL_EXTRA_KPIS: &[&str] = &["in_system_mean", "unfinished", "staff_cost"];
pub const STEP_KPIS: &[&str] = &["wait_mean", "queue_mean", "queue_max", "served", "repeats", "failed"];
pub const RESOURCE_KPIS: &[&str] = &["utilisation", "staff_cost", "busy_mean", "staff_mean"];
/// KPIs reported for join steps only (steps where the branches of a fork meet), after the
/// resources, so that a model without forks reports exactly what it did before.
pub const JOIN_KPIS: &[&str] = &["sync_wait"];

/// KPIs measured in time (converted to the scenario's time unit on output).
pub fn is_duration(name: &str) -> bool {
    name.starts_with("wait_") && name != "wait_prob" || name.starts_with("cycle_time_") || name == "sync_wait"
}

/// KPIs that are shares (0–1, shown as percentages, changes in percentage points).
pub fn is_share(name: &str) -> bool {
    matches!(
        name,
        "abandon_rate" | "service_level" | "service_level_arrivals" | "utilisation" | "wait_prob" | "satisfied_rate"
    )
}

/// The precise definitions of the two service levels, with the threshold as the reader sees
/// it (`"5 min"`): the served-based one is what branch reports quote, the arrivals-based one
/// is what contact centres quote (a customer who gave up was not answered in time).
pub fn service_level_definition(name: &str, threshold: &str) -> Option<String> {
    match name {
        "service_level" => Some(format!(
            "share of served customers who waited at most {threshold} (customers who gave up are not counted)"
        )),
        "service_level_arrivals" => Some(format!(
            "customers served within {threshold} as a share of all who were served or gave up (abandoned customers count as not answered in time)"
        )),
        _ => None,
    }
}

/// Whether larger is better (for comparisons and objective defaults).
pub fn higher_is_better(name: &str) -> bool {
    matches!(
        name,
        "served"
            | "service_level"
            | "service_level_arrivals"
            | "throughput_per_hour"
            | "utilisation"
            | "satisfied_rate"
    )
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Overall,
    Customer,
    Step,
    Resource,
}

/// One KPI of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiId {
    pub group: Group,
    /// Customer type, step or resource name (empty for overall KPIs).
    pub entity: String,
    pub kpi: String,
}

impl KpiId {
    /// The dotted path used in `check` expectations: `wait_mean`, `customers.retail.wait_mean`,
    /// `steps.teller.queue_mean`, `resources.teller.utilisation`.
    pub fn path(&self) -> String {
        match self.group {
            Group::Overall => self.kpi.clone(),
            Group::Customer => format!("customers.{}.{}", self.entity, self.kpi),
            Group::Step => format!("steps.{}.{}", self.entity, self.kpi),
            Group::Resource => format!("resources.{}.{}", self.entity, self.kpi),
        }
    }
}

/// Offsets of each group in the flat KPI vector of a model.
#[derive(Clone, Debug)]
pub struct Layout {
    pub n_types: usize,
    pub n_steps: usize,
    pub n_resources: usize,
    /// The join steps, in step order.
    pub joins: Vec<usize>,
}

impl Layout {
    pub fn of(m: &Model) -> Layout {
        Layout {
            n_types: m.customers.len(),
            n_steps: m.steps.len(),
            n_resources: m.resources.len(),
            joins: (0..m.steps.len()).filter(|&s| m.steps[s].join_of.is_some()).collect(),
        }
    }

    pub fn overall(&self) -> usize {
        0
    }

    pub fn overall_extra(&self) -> usize {
        CUSTOMER_KPIS.len()
    }

    pub fn customer(&self, c: usize) -> usize {
        CUSTOMER_KPIS.len() + OVERALL_EXTRA_KPIS.len() + c * CUSTOMER_KPIS.len()
    }

    pub fn step(&self, s: usize) -> usize {
        self.customer(self.n_types) + s * STEP_KPIS.len()
    }

    pub fn resource(&self, r: usize) -> usize {
        self.step(self.n_steps) + r * RESOURCE_KPIS.len()
    }

    /// The KPIs of the `k`-th join step (`joins[k]`).
    pub fn join(&self, k: usize) -> usize {
        self.resource(self.n_resources) + k * JOIN_KPIS.len()
    }

    pub fn len(&self) -> usize {
        self.join(self.joins.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The catalogue of a model, in the order of its KPI vector.
pub fn catalogue(m: &Model) -> Vec<KpiId> {
    let mut out = Vec::new();
    let id = |group: Group, entity: &str, kpi: &str| KpiId { group, entity: entity.to_string(), kpi: kpi.to_string() };
    for k in CUSTOMER_KPIS.iter().chain(OVERALL_EXTRA_KPIS) {
        out.push(id(Group::Overall, "", k));
    }
    for c in &m.customers {
        for k in CUSTOMER_KPIS {
            out.push(id(Group::Customer, &c.name, k));
        }
    }
    for s in &m.steps {
        for k in STEP_KPIS {
            out.push(id(Group::Step, &s.name, k));
        }
    }
    for r in &m.resources {
        for k in RESOURCE_KPIS {
            out.push(id(Group::Resource, &r.name, k));
        }
    }
    for s in m.steps.iter().filter(|s| s.join_of.is_some()) {
        for k in JOIN_KPIS {
            out.push(id(Group::Step, &s.name, k));
        }
    }
    out
}

pub fn index_of(list: &[&str], name: &str) -> usize {
    list.iter().position(|k| *k == name).unwrap_or(usize::MAX)
}
