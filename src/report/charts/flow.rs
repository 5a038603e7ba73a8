//! The process as a graph of what the engine simulates: every way a customer can leave a step
//! (routing, automation failure, touchless shortcut, rework loop, leaving), with its
//! probability per customer type, plus the entries (arrival streams and their channels) and
//! what each step does beyond queueing (batches, automation).
//!
//! It is built from the compiled model with the same arithmetic as `Step::outcomes`, which
//! the engine's routing follows, and saved in summary.json; the process diagram draws this
//! list and nothing else, so the picture cannot disagree with the simulation.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::{Batch, Model, WEEK};
use crate::scenario::units;

/// Nodes and labelled edges of the process diagram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Flow {
    pub entries: Vec<FlowEntry>,
    pub steps: Vec<FlowStep>,
    pub edges: Vec<FlowEdge>,
}

/// Where an arrival stream's customers start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FlowEntry {
    pub stream: String,
    pub customer: String,
    /// The channel the stream arrives through (a hand-off into its first step).
    pub channel: Option<String>,
    pub to: String,
}

/// What a step does beyond "queue and be served", in words for its box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FlowStep {
    pub name: String,
    /// Batch release rule ("batch: released 15:00, 2× a week, max 40").
    pub batch: Option<String>,
    /// Served by automation (its success share).
    pub automated: Option<f64>,
}

/// Why a customer takes an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// The step's `next` routing (after automation success, when automated).
    Route,
    /// Automation failed: to the human exception step.
    Failure,
    /// Automation succeeded and the case skips manual work.
    Touchless,
    /// Information asked again: back to an earlier step, or the same step redone later.
    Rework,
    /// Done: leaves the process.
    Leave,
    /// A parallel branch of a fork: taken by every case (or with its probability), all
    /// branches taken at the same time.
    Fork,
}

impl EdgeKind {
    /// The word in front of the probability on the arrow ("" for plain routing).
    pub fn word(self) -> &'static str {
        match self {
            EdgeKind::Route | EdgeKind::Leave => "",
            EdgeKind::Failure => "fails ",
            EdgeKind::Touchless => "touchless ",
            EdgeKind::Rework => "rework ",
            EdgeKind::Fork => "parallel ",
        }
    }
}

/// One arrow: from a step to a step (or out, `to: None`) for one reason, with the probability
/// per customer type that reaches `from` (types that never reach it are left out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FlowEdge {
    pub from: String,
    pub to: Option<String>,
    pub kind: EdgeKind,
    pub p: IndexMap<String, f64>,
}

/// Below this a probability is treated as zero (a route a variant switched off).
const EPS: f64 = 1e-12;

impl Flow {
    /// The flow of a compiled model.
    pub fn of(m: &Model) -> Flow {
        let ns = m.steps.len();
        let reach = reachable(m);
        let entries = m
            .arrivals
            .iter()
            .filter_map(|a| {
                Some(FlowEntry {
                    stream: a.name.clone(),
                    customer: m.customers.get(a.customer)?.name.clone(),
                    channel: a.channel.clone(),
                    to: m.steps.get(a.first_step)?.name.clone(),
                })
            })
            .collect();
        let steps = m
            .steps
            .iter()
            .map(|s| FlowStep {
                name: s.name.clone(),
                batch: s.batch.as_ref().map(|b| batch_rule(b, m.start_clock)),
                automated: s.automation.as_ref().map(|a| a.success),
            })
            .collect();
        let mut edges: Vec<FlowEdge> = Vec::new();
        for (si, st) in m.steps.iter().enumerate() {
            // Edges from this step are all made in this pass: look only among them (a model
            // of thousands of steps has thousands of edges).
            let first = edges.len();
            for (ci, c) in m.customers.iter().enumerate() {
                if !reach[ci][si] {
                    continue;
                }
                let mut add = |to: Option<usize>, kind: EdgeKind, p: f64| {
                    if p <= EPS || to.is_some_and(|t| t >= ns) {
                        return;
                    }
                    let to = to.map(|t| m.steps[t].name.clone());
                    let i = match edges[first..].iter().position(|e| e.from == st.name && e.to == to && e.kind == kind)
                    {
                        Some(i) => first + i,
                        None => {
                            edges.push(FlowEdge { from: st.name.clone(), to, kind, p: IndexMap::new() });
                            edges.len() - 1
                        }
                    };
                    *edges[i].p.entry(c.name.clone()).or_insert(0.0) += p;
                };
                // The same order and arithmetic as `Step::outcomes`.
                let mut rest = 1.0;
                if let Some(rp) = &st.repeat {
                    add(Some(rp.back_to.unwrap_or(si)), EdgeKind::Rework, rp.p);
                    rest *= 1.0 - rp.p;
                }
                if let Some(a) = &st.automation {
                    add(Some(a.on_failure), EdgeKind::Failure, rest * (1.0 - a.success));
                    rest *= a.success;
                    if let Some(t) = a.touchless_to {
                        add(Some(t), EdgeKind::Touchless, rest * a.touchless);
                        rest *= 1.0 - a.touchless;
                    }
                }
                if let Some(f) = &st.fork {
                    // Every branch taken is visited; with none taken the case goes straight on.
                    let mut none = rest;
                    for b in &f.branches {
                        add(Some(b.step), EdgeKind::Fork, rest * b.p);
                        none *= 1.0 - b.p;
                    }
                    add(Some(f.join), EdgeKind::Route, none);
                    continue;
                }
                let r = &st.route[ci];
                let mut prev = 0.0;
                for (t, cum) in r.to.iter().zip(&r.cum) {
                    add(Some(*t), EdgeKind::Route, rest * (cum - prev));
                    prev = *cum;
                }
                add(None, EdgeKind::Leave, rest * r.leave_probability());
            }
        }
        Flow { entries, steps, edges }
    }
}

/// `reach[customer][step]`: the step can be visited by that type (from any stream's entry,
/// following every outcome with a positive probability).
fn reachable(m: &Model) -> Vec<Vec<bool>> {
    let ns = m.steps.len();
    let mut reach = vec![vec![false; ns]; m.customers.len()];
    for (ci, row) in reach.iter_mut().enumerate() {
        let mut stack: Vec<usize> = m.arrivals.iter().filter(|a| a.customer == ci).map(|a| a.first_step).collect();
        if let Some(c) = m.customers.get(ci) {
            stack.push(c.first_step);
        }
        while let Some(s) = stack.pop() {
            if s >= ns || row[s] {
                continue;
            }
            row[s] = true;
            stack.extend(m.steps[s].outcomes(s, ci).into_iter().filter(|o| o.1 > EPS).map(|o| o.0));
        }
    }
    reach
}

/// The release rule of a batch in words.
fn batch_rule(b: &Batch, start_clock: f64) -> String {
    let mut parts = Vec::new();
    if let Some(n) = b.size {
        parts.push(format!("when {n} wait"));
    }
    if let Some(at) = &b.at {
        let mut clocks: Vec<String> = at.times.iter().map(|t| units::clock_label(start_clock, *t, false)).collect();
        let per = at.times.len();
        clocks.sort();
        clocks.dedup();
        let when = clocks.join(", ");
        let days = if (at.period - WEEK).abs() < 1e-6 && per > 0 && per != 7 * clocks.len() {
            format!(" ({per}× a week)")
        } else {
            String::new()
        };
        parts.push(format!("at {when}{days}"));
    }
    let mut s = format!("batch: {}", parts.join(" or "));
    if b.max < u32::MAX {
        s.push_str(&format!(", max {}", b.max));
    }
    s
}
