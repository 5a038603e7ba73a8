//! From the BPMN graph to branchsim's step graph.
//!
//! Exclusive gateways disappear: the probability of each path through a chain of them is
//! multiplied into the `next` list of the activity before (a case choosing between tasks is
//! what `next` already is, and it keeps serial, XOR and loop models within the format the
//! engine has always read). Parallel and inclusive gateways become routing-only steps with
//! `fork` (split) and the step their branches meet at (join), in the agreed fork/join syntax.
//! Sub-processes are flattened: a flow into one continues at its start event, and its end
//! events continue at its outgoing flow.

use std::collections::{HashMap, HashSet, VecDeque};

use super::bpmn::{Bpmn, Kind};

/// Longest chain of exclusive gateways without an activity between them: the routing through
/// them is computed recursively, and a machine-made file must not exhaust the stack.
const MAX_GATEWAY_CHAIN: usize = 1_000;

/// Where a case goes: a BPMN node that becomes a step, or out of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Node(usize),
    Leave,
}

pub type Routes = Vec<(Target, f64)>;

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// An activity: served by a resource.
    Task,
    /// A timer or other intermediate event: a pure delay.
    Delay,
    /// A parallel (all branches) or inclusive (each branch with its probability) split.
    Split { inclusive: bool },
    /// The gateway where a split's branches meet.
    Join,
    /// An exclusive choice kept as a routing-only step: needed where one step must be named
    /// (the first step of a fork branch).
    Choice,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub node: usize,
    pub kind: StepKind,
    pub next: Routes,
    /// Split: first node of each branch and its probability; join node.
    pub branches: Vec<(usize, f64)>,
    pub join: Option<usize>,
}

/// A start event's cases: the process they belong to and their first steps.
#[derive(Clone, Debug)]
pub struct Entry {
    pub start: usize,
    pub first: Routes,
}

pub struct Graph {
    pub steps: Vec<Step>,
    pub step_of: HashMap<usize, usize>,
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
    /// Gateways that had no branching probabilities (equal shares were used).
    pub defaulted_gateways: Vec<usize>,
}

struct Builder<'a> {
    b: &'a Bpmn,
    probs: &'a HashMap<String, f64>,
    known: &'a HashSet<String>,
    steps: Vec<Step>,
    step_of: HashMap<usize, usize>,
    queue: VecDeque<usize>,
    warnings: Vec<String>,
    defaulted: Vec<usize>,
}

/// Builds the step graph. `probs` maps a sequence-flow id to its branching probability and
/// `known` holds the gateway ids that have probabilities.
pub fn build(b: &Bpmn, probs: &HashMap<String, f64>, known: &HashSet<String>) -> Result<Graph, String> {
    let mut g = Builder {
        b,
        probs,
        known,
        steps: Vec::new(),
        step_of: HashMap::new(),
        queue: VecDeque::new(),
        warnings: Vec::new(),
        defaulted: Vec::new(),
    };
    let mut entries = Vec::new();
    for (n, node) in b.nodes.iter().enumerate() {
        if node.kind != Kind::Start || node.parent.is_some() {
            continue;
        }
        let first = match node.outgoing.as_slice() {
            [] => return Err(format!("{} has no outgoing sequence flow", b.describe(n))),
            [f] => g.cont(*f, &mut Vec::new())?,
            _ => return Err(implicit_split(b, n)),
        };
        for t in first.iter().filter_map(|r| match r.0 {
            Target::Node(x) => Some(x),
            Target::Leave => None,
        }) {
            g.step_for(t);
        }
        if let Some((_, p)) = first.iter().find(|r| r.0 == Target::Leave) {
            g.warnings.push(format!(
                "{}: {:.1}% of its cases reach an end event without any activity; they are not simulated",
                b.describe(n),
                100.0 * p
            ));
        }
        entries.push(Entry { start: n, first });
    }
    if entries.is_empty() {
        return Err("the process has no start event: branchsim needs one to know where cases arrive".into());
    }
    while let Some(s) = g.queue.pop_front() {
        g.expand(s)?;
    }
    for (n, node) in b.nodes.iter().enumerate() {
        if matches!(node.kind, Kind::Task | Kind::Timer) && !g.step_of.contains_key(&n) {
            g.warnings.push(format!("{} cannot be reached from a start event: not imported", b.describe(n)));
        }
    }
    let graph =
        Graph { steps: g.steps, step_of: g.step_of, entries, warnings: g.warnings, defaulted_gateways: g.defaulted };
    check_exits(b, &graph)?;
    Ok(graph)
}

fn implicit_split(b: &Bpmn, n: usize) -> String {
    format!(
        "{} has {} outgoing sequence flows without a gateway (an implicit parallel split): draw a parallel or exclusive gateway after it",
        b.describe(n),
        b.nodes[n].outgoing.len()
    )
}

impl Builder<'_> {
    fn step_for(&mut self, n: usize) -> usize {
        if let Some(&s) = self.step_of.get(&n) {
            return s;
        }
        let kind = match self.b.nodes[n].kind {
            Kind::Task => StepKind::Task,
            Kind::Timer | Kind::Intermediate => StepKind::Delay,
            Kind::Parallel | Kind::Inclusive if self.b.nodes[n].outgoing.len() > 1 => {
                StepKind::Split { inclusive: self.b.nodes[n].kind == Kind::Inclusive }
            }
            Kind::Parallel | Kind::Inclusive => StepKind::Join,
            _ => StepKind::Choice,
        };
        let s = self.steps.len();
        self.steps.push(Step { node: n, kind, next: Vec::new(), branches: Vec::new(), join: None });
        self.step_of.insert(n, s);
        self.queue.push_back(s);
        s
    }

    /// Routes of a sequence flow: where a case following it is served next.
    fn cont(&mut self, f: usize, stack: &mut Vec<usize>) -> Result<Routes, String> {
        self.enter(self.b.flows[f].target, stack)
    }

    fn enter(&mut self, n: usize, stack: &mut Vec<usize>) -> Result<Routes, String> {
        let b = self.b;
        let node = &b.nodes[n];
        match node.kind {
            Kind::Task | Kind::Timer | Kind::Intermediate => Ok(vec![(Target::Node(n), 1.0)]),
            Kind::End => match node.parent {
                Some(sp) => self.leave_sub(sp, stack),
                None => Ok(vec![(Target::Leave, 1.0)]),
            },
            Kind::Start => match node.outgoing.as_slice() {
                [] => Err(format!("{} has no outgoing sequence flow", b.describe(n))),
                [f] => self.cont(*f, stack),
                _ => Err(implicit_split(b, n)),
            },
            Kind::SubProcess => {
                let starts: Vec<usize> = (0..b.nodes.len())
                    .filter(|&x| b.nodes[x].parent == Some(n) && b.nodes[x].kind == Kind::Start)
                    .collect();
                match starts.as_slice() {
                    [s] => self.enter(*s, stack),
                    [] => {
                        Err(format!("{} has no start event inside: cannot tell where its work begins", b.describe(n)))
                    }
                    _ => Err(format!("{} has {} start events: only one is supported", b.describe(n), starts.len())),
                }
            }
            Kind::Complex => Err(format!(
                "{}: complex gateways have conditions branchsim cannot evaluate; redraw it as an exclusive, parallel or inclusive gateway",
                b.describe(n)
            )),
            Kind::Exclusive | Kind::EventBased => {
                if node.outgoing.is_empty() {
                    return Err(format!(
                        "{} has no outgoing sequence flow: cases reaching it could never continue",
                        b.describe(n)
                    ));
                }
                if stack.len() >= MAX_GATEWAY_CHAIN {
                    return Err(format!(
                        "more than {MAX_GATEWAY_CHAIN} exclusive gateways follow each other without an activity (from {}): not a process branchsim can import",
                        b.describe(stack[0])
                    ));
                }
                if stack.contains(&n) {
                    let cycle: Vec<String> = stack.iter().map(|&x| b.describe(x)).collect();
                    return Err(format!(
                        "gateways form a cycle with no activity and no exit: {} → back to {}",
                        cycle.join(" → "),
                        b.describe(n)
                    ));
                }
                if node.kind == Kind::EventBased && !self.defaulted.contains(&n) && !self.known.contains(&node.id) {
                    self.warnings.push(format!(
                        "{}: imported as an exclusive choice with branching probabilities (branchsim does not race events)",
                        b.describe(n)
                    ));
                }
                let shares = self.shares(n);
                stack.push(n);
                let mut out: Routes = Vec::new();
                for (f, p) in shares {
                    if p <= 0.0 {
                        continue;
                    }
                    for (t, q) in self.cont(f, stack)? {
                        match out.iter_mut().find(|r| r.0 == t) {
                            Some(r) => r.1 += p * q,
                            None => out.push((t, p * q)),
                        }
                    }
                }
                stack.pop();
                Ok(out)
            }
            Kind::Parallel | Kind::Inclusive => {
                let (ins, outs) = (node.incoming.len(), node.outgoing.len());
                if outs == 0 {
                    return Err(format!(
                        "{} has no outgoing sequence flow: cases reaching it could never continue",
                        b.describe(n)
                    ));
                }
                if ins > 1 && outs > 1 {
                    return Err(format!(
                        "{} both joins ({ins} incoming flows) and splits ({outs} outgoing): draw a join gateway followed by a split gateway",
                        b.describe(n)
                    ));
                }
                if ins <= 1 && outs == 1 {
                    return self.cont(node.outgoing[0], stack);
                }
                Ok(vec![(Target::Node(n), 1.0)])
            }
        }
    }

    /// Where a case goes when a sub-process ends.
    fn leave_sub(&mut self, sp: usize, stack: &mut Vec<usize>) -> Result<Routes, String> {
        let node = &self.b.nodes[sp];
        match node.outgoing.as_slice() {
            [] => match node.parent {
                Some(p) => self.leave_sub(p, stack),
                None => Ok(vec![(Target::Leave, 1.0)]),
            },
            [f] => self.cont(*f, stack),
            _ => Err(implicit_split(self.b, sp)),
        }
    }

    /// Outgoing flows of a gateway with their probabilities (parameters, else equal shares).
    fn shares(&mut self, g: usize) -> Vec<(usize, f64)> {
        let node = &self.b.nodes[g];
        if node.outgoing.len() == 1 && node.kind != Kind::Inclusive {
            return vec![(node.outgoing[0], 1.0)];
        }
        if self.known.contains(&node.id) {
            let raw: Vec<(usize, f64)> = node
                .outgoing
                .iter()
                .map(|&f| (f, self.probs.get(&self.b.flows[f].id).copied().unwrap_or(0.0)))
                .collect();
            let total: f64 = raw.iter().map(|r| r.1).sum();
            if total > 0.0 {
                if (total - 1.0).abs() > 1e-6 && node.kind != Kind::Inclusive {
                    self.warnings.push(format!(
                        "{}: branching probabilities sum to {total:.4}; they were scaled to sum to 1",
                        self.b.describe(g)
                    ));
                }
                return if node.kind == Kind::Inclusive {
                    raw
                } else {
                    raw.into_iter().map(|(f, p)| (f, p / total)).collect()
                };
            }
        }
        if !self.defaulted.contains(&g) {
            self.defaulted.push(g);
        }
        let k = node.outgoing.len() as f64;
        let p = if node.kind == Kind::Inclusive { 0.5 } else { 1.0 / k };
        node.outgoing.iter().map(|&f| (f, p)).collect()
    }

    fn expand(&mut self, s: usize) -> Result<(), String> {
        let n = self.steps[s].node;
        let b = self.b;
        match self.steps[s].kind.clone() {
            StepKind::Task | StepKind::Delay | StepKind::Join => {
                let next = match b.nodes[n].outgoing.as_slice() {
                    [] => vec![(Target::Leave, 1.0)],
                    [f] => self.cont(*f, &mut Vec::new())?,
                    _ => return Err(implicit_split(b, n)),
                };
                self.link(s, next);
            }
            StepKind::Choice => {
                let next = self.enter(n, &mut Vec::new())?;
                self.link(s, next);
            }
            StepKind::Split { inclusive } => {
                let join = self.matching_join(n)?;
                let shares =
                    if inclusive { self.shares(n) } else { b.nodes[n].outgoing.iter().map(|&f| (f, 1.0)).collect() };
                let mut branches = Vec::new();
                for (f, p) in shares {
                    let routes = self.cont(f, &mut Vec::new())?;
                    let first = match routes.as_slice() {
                        [(Target::Node(x), q)] if (*q - 1.0).abs() < 1e-12 => *x,
                        _ if routes.iter().any(|r| r.0 == Target::Leave) => {
                            return Err(format!(
                                "a branch of {} (sequenceFlow {}, line {}) reaches an end event before the join {}: every branch must end at the join",
                                b.describe(n),
                                b.flows[f].id,
                                b.flows[f].line,
                                b.describe(join)
                            ));
                        }
                        _ => b.flows[f].target,
                    };
                    if first == join {
                        continue; // an empty branch: the join waits for nothing on it
                    }
                    if p > 0.0 {
                        branches.push((first, p));
                    }
                }
                self.step_for(join);
                for &(x, _) in &branches {
                    self.step_for(x);
                }
                self.steps[s].branches = branches;
                self.steps[s].join = Some(join);
            }
        }
        Ok(())
    }

    fn link(&mut self, s: usize, next: Routes) {
        for r in &next {
            if let Target::Node(x) = r.0 {
                self.step_for(x);
            }
        }
        self.steps[s].next = next;
    }

    /// The join of a split: the nearest converging gateway of the same type that every
    /// branch reaches.
    fn matching_join(&self, split: usize) -> Result<usize, String> {
        let b = self.b;
        let kind = b.nodes[split].kind;
        let mut common: Option<HashMap<usize, usize>> = None;
        for &f in &b.nodes[split].outgoing {
            let mut dist: HashMap<usize, usize> = HashMap::new();
            let mut seen = HashSet::new();
            let mut q = VecDeque::from([(b.flows[f].target, 1usize)]);
            while let Some((x, d)) = q.pop_front() {
                if !seen.insert(x) || x == split {
                    continue;
                }
                let node = &b.nodes[x];
                if node.kind == kind && node.incoming.len() > 1 {
                    dist.insert(x, d);
                }
                for &o in &node.outgoing {
                    q.push_back((b.flows[o].target, d + 1));
                }
                if node.kind == Kind::SubProcess {
                    for (i, c) in b.nodes.iter().enumerate() {
                        if c.parent == Some(x) && c.kind == Kind::Start {
                            q.push_back((i, d + 1));
                        }
                    }
                }
                if node.kind == Kind::End
                    && let Some(sp) = node.parent
                {
                    for &o in &b.nodes[sp].outgoing {
                        q.push_back((b.flows[o].target, d + 1));
                    }
                }
            }
            common = Some(match common {
                None => dist,
                Some(c) => c.into_iter().filter_map(|(k, v)| dist.get(&k).map(|w| (k, v.max(*w)))).collect(),
            });
        }
        common
            .unwrap_or_default()
            .into_iter()
            .min_by_key(|&(k, d)| (d, k))
            .map(|(k, _)| k)
            .ok_or_else(|| {
                format!(
                    "{} splits, but its branches never meet again at a converging {}: branchsim needs the join where they wait for each other",
                    b.describe(split),
                    b.nodes[split].tag
                )
            })
    }
}

/// Every step must have a way out of the process: a cycle that cases can enter but never
/// leave (all its gateway paths loop back) is an error, naming its BPMN elements.
fn check_exits(b: &Bpmn, g: &Graph) -> Result<(), String> {
    let n = g.steps.len();
    let succ: Vec<Vec<Target>> = g
        .steps
        .iter()
        .map(|s| {
            let mut v: Vec<Target> = s.next.iter().filter(|r| r.1 > 0.0).map(|r| r.0).collect();
            v.extend(s.branches.iter().map(|x| Target::Node(x.0)));
            if let Some(j) = s.join {
                v.push(Target::Node(j));
            }
            v
        })
        .collect();
    let mut exits = vec![false; n];
    loop {
        let mut changed = false;
        for s in 0..n {
            if exits[s] {
                continue;
            }
            let out = &succ[s];
            if out.iter().any(|t| match t {
                Target::Leave => true,
                Target::Node(x) => g.step_of.get(x).is_some_and(|&y| exits[y]),
            }) || (out.is_empty() && !matches!(g.steps[s].kind, StepKind::Split { .. }))
            {
                exits[s] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let trapped: Vec<String> = (0..n).filter(|&s| !exits[s]).map(|s| b.describe(g.steps[s].node)).collect();
    if trapped.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a cycle with no exit: cases reaching {} can never reach an end event (every gateway path leads back into the loop)",
            trapped.join(", ")
        ))
    }
}
