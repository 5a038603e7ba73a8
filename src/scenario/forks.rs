//! Parallel work in the scenario: `fork = { branches = [...], join = "STEP" }` on a step.
//!
//! Reading the key, resolving its names, and the checks that make the engine's simple token
//! rule safe: a branch token that routes into the join step has arrived there, so every path
//! of a branch must end at the join (never leave the system, never loop forever), and nothing
//! outside the fork may reach its branches or its join (a join reached otherwise would wait
//! for branches that never started). Nested forks must nest properly (an inner fork's
//! branches meet at its own join before the outer join).

use serde::Serialize;

use super::diag::Diagnostics;
use super::reader::{Obj, Sp, number};
use super::schema::Scenario;
use super::tree::Val;
use crate::model::{ArrivalStream, Branch, CustomerType, Fork, Step, stream_key};

pub const FORK_KEYS: &[&str] = &["branches", "join"];
pub const BRANCH_KEYS: &[&str] = &["step", "p"];

/// `fork` as written.
#[derive(Clone, Debug, Serialize)]
pub struct ForkSpec {
    pub branches: Vec<BranchSpec>,
    pub join: Sp<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BranchSpec {
    pub step: Sp<String>,
    /// Probability that the branch is taken (1: always, an AND split).
    pub p: f64,
}

/// Reads a step's `fork` (`None` when absent or wrong; problems go to `d`).
pub fn read_fork(o: &Obj, d: &mut Diagnostics) -> Option<ForkSpec> {
    let n = o.get("fork")?;
    for other in ["next", "next_for"] {
        if o.get(other).is_some() {
            d.error(Some(o.span_of(other)), o.key(other), format!("a step has either `{other}` or `fork`, not both"))
                .with_help("`fork` sends the case down every branch; the join step's own `next` says where it goes after the branches meet");
        }
    }
    let fo = Obj::open(n, &o.key("fork"), FORK_KEYS, d)?;
    let join = fo.req_str("join", d);
    let key = fo.key("branches");
    let mut branches: Vec<BranchSpec> = Vec::new();
    let mut ok = true;
    match fo.get("branches").map(|b| (b, &b.val)) {
        None => {
            fo.missing(
                "branches",
                "a list of branch steps, e.g. [\"credit_check\", \"appraisal\"] or [{ step = \"appraisal\", p = 0.6 }]",
                d,
            );
            ok = false;
        }
        Some((_, Val::Array(items))) if !items.is_empty() => {
            for (i, it) in items.iter().enumerate() {
                let path = format!("{key}[{i}]");
                let b = match &it.val {
                    Val::Str(s) => Some(BranchSpec { step: Sp::new(s.clone(), it.span.clone()), p: 1.0 }),
                    Val::Table(_) => read_branch(it, &path, d),
                    _ => {
                        d.error(
                            Some(it.span.clone()),
                            path,
                            format!("expected a step name or a {{ step, p }} table, found {}", it.type_name()),
                        );
                        None
                    }
                };
                match b {
                    Some(b) if branches.iter().any(|x| x.step.v == b.step.v) => {
                        d.error(
                            Some(b.step.span.clone()),
                            format!("{key}[{i}]"),
                            format!("branch `{}` is listed twice", b.step.v),
                        )
                        .with_help("each branch is one parallel path; list a step once");
                        ok = false;
                    }
                    Some(b) => branches.push(b),
                    None => ok = false,
                }
            }
        }
        Some((b, Val::Array(_))) => {
            d.error(Some(b.span.clone()), key, "a fork needs at least one branch");
            ok = false;
        }
        Some((b, _)) => {
            d.error(
                Some(b.span.clone()),
                key,
                format!("expected an array of step names or {{ step, p }} tables, found {}", b.type_name()),
            );
            ok = false;
        }
    }
    (ok && !branches.is_empty()).then_some(())?;
    Some(ForkSpec { branches, join: join? })
}

fn read_branch(n: &super::tree::Node, path: &str, d: &mut Diagnostics) -> Option<BranchSpec> {
    let bo = Obj::open(n, path, BRANCH_KEYS, d)?;
    let step = bo.req_str("step", d);
    let p = match bo.get("p") {
        None => Some(1.0),
        Some(_) => match bo.float("p", d) {
            Some(p) if !(0.0..=1.0).contains(&p.v) => {
                d.error(Some(p.span.clone()), bo.key("p"), format!("probability {} is outside [0, 1]", number(p.v)))
                    .with_help(
                        "`p` is the chance that this branch is taken; each branch is drawn on its own (inclusive OR)",
                    );
                None
            }
            Some(p) => {
                if p.v == 0.0 {
                    d.warning(Some(p.span.clone()), bo.key("p"), "a branch with p = 0 is never taken");
                }
                Some(p.v)
            }
            None => None,
        },
    };
    Some(BranchSpec { step: step?, p: p? })
}

/// Resolves a step name (reporting an unknown one at the key given) to its index.
pub type StepLookup<'a> = dyn FnMut(&Sp<String>, String, &mut Diagnostics) -> Option<usize> + 'a;

/// Resolves the `fork` names of every step into `steps` (`fork`, `join_of`), reporting
/// unknown names and forks that cannot work whatever the routing: a join that is the fork
/// step itself or one of its branches, a join shared by two forks.
pub fn resolve(s: &Scenario, steps: &mut [Step], lookup: &mut StepLookup, d: &mut Diagnostics) {
    for (i, st) in s.steps.iter().enumerate() {
        let Some(f) = &st.fork else { continue };
        let key = format!("steps[{i}].fork");
        let join = lookup(&f.join, format!("{key}.join"), d);
        let mut branches = Vec::new();
        for (k, b) in f.branches.iter().enumerate() {
            if let Some(t) = lookup(&b.step, format!("{key}.branches[{k}]"), d) {
                branches.push(Branch { step: t, p: b.p, key: stream_key("branch", &b.step.v) });
            }
        }
        let Some(join) = join else { continue };
        if join == i {
            d.error(
                Some(f.join.span.clone()),
                format!("{key}.join"),
                format!("step `{}` cannot join its own fork", st.name.v),
            )
            .with_help("the join is a later step where the branches meet, e.g. the decision after the checks");
            continue;
        }
        if let Some(b) = f.branches.iter().find(|b| b.step.v == f.join.v || b.step.v == st.name.v) {
            let what = if b.step.v == f.join.v { "the join step" } else { "the fork step itself" };
            d.error(Some(b.step.span.clone()), format!("{key}.branches"), format!("branch `{}` is {what}", b.step.v))
                .with_help("a branch starts at the first step of one parallel path; the path then routes to the join");
            continue;
        }
        if let Some(other) = steps[join].join_of {
            d.error(
                Some(f.join.span.clone()),
                format!("{key}.join"),
                format!("step `{}` is already the join of the fork at `{}`", f.join.v, steps[other].name),
            )
            .with_help("each fork needs its own join step; add a routing-only step (no resource, no service) as the second join");
            continue;
        }
        steps[join].join_of = Some(i);
        steps[i].fork = Some(Fork { branches, join });
    }
}

/// One problem found by `check`, before deduplication (several customer types may find it).
struct Problem {
    step: usize,
    key: String,
    msg: String,
    help: String,
}

/// Checks every fork against the routing of every customer type that can reach it (see the
/// module doc). Returns whether it found errors.
pub fn check(
    s: &Scenario,
    customers: &[CustomerType],
    arrivals: &[ArrivalStream],
    steps: &[Step],
    d: &mut Diagnostics,
) -> bool {
    let forks: Vec<usize> = (0..steps.len()).filter(|&x| steps[x].fork.is_some()).collect();
    if forks.is_empty() {
        return false;
    }
    let n = steps.len();
    let name = |x: usize| steps[x].name.as_str();
    let mut problems: Vec<Problem> = Vec::new();
    for (ci, c) in customers.iter().enumerate() {
        let mut starts: Vec<usize> = arrivals.iter().filter(|a| a.customer == ci).map(|a| a.first_step).collect();
        if starts.is_empty() && c.first_step < n {
            starts.push(c.first_step);
        }
        let outs: Vec<Vec<usize>> =
            (0..n).map(|x| steps[x].outcomes(x, ci).into_iter().filter(|o| o.1 > 0.0).map(|o| o.0).collect()).collect();
        let leave: Vec<f64> = (0..n).map(|x| 1.0 - steps[x].outcomes(x, ci).iter().map(|o| o.1).sum::<f64>()).collect();
        let seen = closure(&starts, &outs, None);
        let mut regions: Vec<(usize, Vec<bool>)> = Vec::new();
        for &f in &forks {
            let Some(fk) = &steps[f].fork else { continue };
            let j = fk.join;
            let region =
                closure(&fk.branches.iter().filter(|b| b.p > 0.0).map(|b| b.step).collect::<Vec<_>>(), &outs, Some(j));
            // Checked for the types that reach the fork, its branches or its join.
            if !(0..n).any(|x| seen[x] && (x == f || x == j || region[x])) {
                continue;
            }
            let fork_key = format!("steps[{f}].fork");
            if region[f] {
                problems.push(Problem {
                    step: f,
                    key: fork_key.clone(),
                    msg: format!("the fork at `{}` is reached again from its own branches before they meet at `{}`", name(f), name(j)),
                    help: "a branch may fork again only with its own, inner join; to repeat the whole fork, route back to it after the join".into(),
                });
                continue;
            }
            for x in (0..n).filter(|&x| region[x]) {
                if leave[x] > 1e-9 {
                    problems.push(Problem {
                        step: x,
                        key: format!("steps[{x}].next"),
                        msg: format!(
                            "step `{}` is on a branch of the fork at `{}`, but customers of type `{}` can leave the system there (probability {}): every path of a branch must end at the join `{}`",
                            name(x), name(f), c.name, number((leave[x] * 1e6).round() / 1e6), name(j)
                        ),
                        help: format!("route the rest of `{}` to `{}` or to another step of the branch", name(x), name(j)),
                    });
                }
            }
            // Steps of the region from which the join can be reached.
            let mut to_join = vec![false; n];
            to_join[j] = true;
            loop {
                let mut changed = false;
                for x in 0..n {
                    if region[x] && !to_join[x] && outs[x].iter().any(|&t| to_join[t]) {
                        to_join[x] = true;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            if let Some(x) = (0..n).find(|&x| region[x] && !to_join[x] && leave[x] <= 1e-9) {
                problems.push(Problem {
                    step: x,
                    key: format!("steps[{x}].next"),
                    msg: format!(
                        "a branch of the fork at `{}` never reaches its join `{}`: customers of type `{}` at step `{}` loop without a way to it",
                        name(f), name(j), c.name, name(x)
                    ),
                    help: format!("give a step of the loop a route to `{}`", name(j)),
                });
            }
            // Entries from outside: arrivals, other steps, the fork step's own rework and
            // automation outcomes.
            let inside = |t: usize| region[t] || t == j;
            for &st in starts.iter().filter(|&&st| inside(st)) {
                problems.push(Problem {
                    step: st,
                    key: format!("customers[{ci}].first_step"),
                    msg: format!(
                        "customers of type `{}` start at `{}`, inside the fork at `{}` (joining at `{}`)",
                        c.name,
                        name(st),
                        name(f),
                        name(j)
                    ),
                    help: "a case enters a fork's branches only through its fork step".into(),
                });
            }
            // After the join (up to the fork again), a route back to the join is rework of the
            // join step by the whole case, not an arrival of a branch.
            let after = closure(&[j], &outs, Some(f));
            for x in (0..n).filter(|&x| seen[x] && !region[x] && x != f) {
                if let Some(&t) = outs[x].iter().find(|&&t| region[t] || (t == j && !after[x])) {
                    problems.push(outside(x, t, f, j, &name));
                }
            }
            let own = steps[f].outcomes(f, ci);
            let non_fork = &own[..own.len() - fk.branches.len() - 1];
            if let Some(&(t, _)) = non_fork.iter().find(|o| o.1 > 0.0 && inside(o.0)) {
                problems.push(outside(f, t, f, j, &name));
            }
            regions.push((f, region));
        }
        // Nesting: a fork inside another's branches has its join inside them too, and a
        // branch never runs into the join of a fork it is not part of.
        for (f2, r2) in &regions {
            for (f1, _) in &regions {
                let Some(j1) = steps[*f1].fork.as_ref().map(|k| k.join) else { continue };
                if f1 != f2 && r2[j1] && !r2[*f1] {
                    problems.push(Problem {
                        step: *f2,
                        key: format!("steps[{f2}].fork"),
                        msg: format!(
                            "a branch of the fork at `{}` runs into `{}`, the join of the fork at `{}`, before its own join `{}`: nested forks must meet at their own join first",
                            name(*f2), name(j1), name(*f1), steps[*f2].fork.as_ref().map_or("", |k| name(k.join))
                        ),
                        help: "route the inner branches to the inner join, and the inner join on to the outer one".into(),
                    });
                }
            }
        }
    }
    let mut found = false;
    let mut shown: Vec<(String, String)> = Vec::new();
    for p in problems {
        if shown.iter().any(|(k, m)| *k == p.key && *m == p.msg) {
            continue;
        }
        shown.push((p.key.clone(), p.msg.clone()));
        let span = s.steps.get(p.step).map(|st| st.name.span.clone());
        d.error(span, p.key, p.msg).with_help(p.help);
        found = true;
    }
    found
}

fn outside<'a>(x: usize, t: usize, f: usize, j: usize, name: &dyn Fn(usize) -> &'a str) -> Problem {
    let what =
        if t == j { format!("the join `{}`", name(j)) } else { format!("`{}`, a step of its branches", name(t)) };
    Problem {
        step: x,
        key: format!("steps[{x}].next"),
        msg: format!(
            "step `{}` is outside the fork at `{}` but leads to {what}: a join is reached only by the branches of its fork",
            name(x),
            name(f)
        ),
        help: format!(
            "route `{}` to the fork step `{}`, or make `{}` a step of its own outside the fork",
            name(x),
            name(f),
            name(t)
        ),
    }
}

/// Steps reachable from `from` along `outs`, not going through `stop` (which is not marked).
fn closure(from: &[usize], outs: &[Vec<usize>], stop: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; outs.len()];
    let mut stack: Vec<usize> = Vec::new();
    for &x in from {
        if Some(x) != stop && !seen[x] {
            seen[x] = true;
            stack.push(x);
        }
    }
    while let Some(x) = stack.pop() {
        for &t in &outs[x] {
            if Some(t) != stop && !seen[t] {
                seen[t] = true;
                stack.push(t);
            }
        }
    }
    seen
}
