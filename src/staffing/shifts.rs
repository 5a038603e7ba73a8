//! Shift templates (`[[shifts]]` in a scenario) and the rota that covers a staffing
//! requirement at least cost, solved as an integer program.
//!
//! ```toml
//! [[shifts]]
//! name = "full_day"
//! resource = "teller"
//! starts = ["09:00", "09:30"]          # clock times a shift of this template may start
//! length = "8h"
//! lunch = { from = "11:30", to = "14:00", length = "30min" }   # unpaid, anywhere in the window
//! cost_per_hour = 32                   # default: the resource's cost_per_hour
//! min = 0                              # head-count of this template over all its starts
//! max = 6
//! ```
//!
//! Every (template, start, lunch start) is a column covering the intervals its person is on
//! duty for; the integer program picks how many people work each column so that every
//! interval's requirement is covered, each template's head-count stays within [min, max], and
//! the paid hours cost least. The solver is good_lp's microlp backend (pure Rust branch and
//! bound), not a hand-written search.

use good_lp::{Expression, Solution, SolverModel, Variable, microlp, variable, variables};

use super::evaluate::Grid;
use crate::scenario::diag::{Diagnostics, did_you_mean};
use crate::scenario::reader::{Obj, Sp};
use crate::scenario::schema::tables;
use crate::scenario::tree::Table;
use crate::scenario::units::{self, TimeUnit};

pub const SHIFT_KEYS: &[&str] = &["name", "resource", "starts", "length", "lunch", "cost_per_hour", "min", "max"];
pub const LUNCH_KEYS: &[&str] = &["from", "to", "length"];

/// One shift template, times as clock minutes after midnight.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub name: String,
    pub resource: Sp<String>,
    pub starts: Vec<f64>,
    pub length: f64,
    /// (window start, window end, length), clock minutes.
    pub lunch: Option<(f64, f64, f64)>,
    pub cost_per_hour: Option<f64>,
    pub min: u32,
    pub max: Option<u32>,
}

/// Reads and validates `[[shifts]]` (unknown keys rejected with the nearest valid one; errors
/// carry the line and column). Resource names are checked against `resources`.
pub fn read(root: &Table, u: TimeUnit, resources: &[&str], d: &mut Diagnostics) -> Vec<Template> {
    let top = Obj { t: root, path: String::new(), span: 0..0 };
    let mut out: Vec<Template> = Vec::new();
    for (n, path) in tables(&top, "shifts", d) {
        let Some(o) = Obj::open(n, &path, SHIFT_KEYS, d) else { continue };
        let name = o.name("name", d);
        let resource = o.req_str("resource", d);
        if let Some(r) = &resource
            && !resources.contains(&r.v.as_str())
        {
            d.error(Some(r.span.clone()), o.key("resource"), format!("unknown resource `{}`", r.v))
                .with_help(did_you_mean(&r.v, resources));
        }
        let mut starts = Vec::new();
        match o.array("starts", d) {
            None if o.get("starts").is_none() => o.missing("starts", "clock times such as [\"09:00\", \"12:00\"]", d),
            None => {}
            Some(arr) => {
                for (i, s) in arr.iter().enumerate() {
                    let key = format!("{}[{i}]", o.key("starts"));
                    match s.as_str().map(units::parse_clock) {
                        Some(Ok(t)) => starts.push(t),
                        Some(Err(e)) => {
                            d.error(Some(s.span.clone()), key, e);
                        }
                        None => {
                            d.error(
                                Some(s.span.clone()),
                                key,
                                format!("expected a clock time such as \"09:00\", found {}", s.type_name()),
                            );
                        }
                    }
                }
                if arr.is_empty() {
                    d.error(
                        Some(o.span_of("starts")),
                        o.key("starts"),
                        "a shift template needs at least one start time",
                    );
                }
            }
        }
        let length = match o.duration("length", u, d) {
            Some(l) if l.v <= 0.0 || l.v > 24.0 * 60.0 => {
                d.error(Some(l.span.clone()), o.key("length"), "a shift lasts more than zero and at most 24 hours");
                None
            }
            Some(l) => Some(l.v),
            None => {
                if o.get("length").is_none() {
                    o.missing("length", "a duration such as \"8h\"", d);
                }
                None
            }
        };
        let lunch = o.get("lunch").and_then(|l| {
            let lo = Obj::open(l, &o.key("lunch"), LUNCH_KEYS, d)?;
            let clock = |k: &str, d: &mut Diagnostics| -> Option<f64> {
                let s = lo.req_str(k, d)?;
                units::parse_clock(&s.v).map_err(|e| d.error(Some(s.span.clone()), lo.key(k), e)).ok()
            };
            let (from, to) = (clock("from", d), clock("to", d));
            let len = lo.duration("length", u, d).map(|x| x.v);
            if len.is_none() && lo.get("length").is_none() {
                lo.missing("length", "a duration such as \"30min\"", d);
            }
            let (from, to, len) = (from?, to?, len?);
            if to - from < len || len <= 0.0 {
                d.error(
                    Some(lo.span.clone()),
                    lo.key("to"),
                    "the lunch window must be at least as long as the lunch (and the lunch longer than zero)",
                );
                return None;
            }
            Some((from, to, len))
        });
        let cost_per_hour = o.float("cost_per_hour", d).map(|c| c.v);
        if cost_per_hour.is_some_and(|c| c.is_nan() || c < 0.0 || !c.is_finite()) {
            d.error(Some(o.span_of("cost_per_hour")), o.key("cost_per_hour"), "the cost per hour must be zero or more");
        }
        let min = o.int("min", 0, 100_000, d).map_or(0, |x| x.v as u32);
        let max = o.int("max", 0, 100_000, d).map(|x| x.v as u32);
        if max.is_some_and(|m| m < min) {
            d.error(Some(o.span_of("max")), o.key("max"), "`max` is smaller than `min`");
        }
        let (Some(name), Some(resource), Some(length)) = (name, resource, length) else { continue };
        if out.iter().any(|t| t.name == name.v) {
            d.error(
                Some(name.span.clone()),
                o.key("name"),
                format!("a shift template named `{}` already exists", name.v),
            );
            continue;
        }
        out.push(Template { name: name.v, resource, starts, length, lunch, cost_per_hour, min, max });
    }
    out
}

/// One way to work a template: a start and a lunch start, and the intervals it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub template: usize,
    /// Simulation minutes (from t = 0).
    pub start: f64,
    pub lunch: Option<f64>,
    /// Index of the staffed resource it covers.
    pub resource: usize,
    pub cover: Vec<bool>,
    pub cost: f64,
}

/// Every column of every template on `grid`. Times are turned from clock time to simulation
/// time with `start_clock`; starts, lengths and lunches must fall on interval boundaries.
/// `resource_of` maps a resource name to (index into the staffed resources, its cost per hour).
pub fn columns(
    templates: &[Template],
    grid: &Grid,
    start_clock: f64,
    resource_of: &dyn Fn(&str) -> Option<(usize, f64)>,
) -> Result<Vec<Column>, String> {
    let w = grid.width;
    let aligned = |x: f64| ((x / w) - (x / w).round()).abs() < 1e-9;
    let sim = |clock: f64| (clock - start_clock).rem_euclid(24.0 * 60.0);
    let mut out = Vec::new();
    for (ti, t) in templates.iter().enumerate() {
        let (k, res_cost) = resource_of(&t.resource.v)
            .ok_or_else(|| format!("shift `{}`: resource `{}` is not being staffed", t.name, t.resource.v))?;
        let cost_h = t.cost_per_hour.unwrap_or(res_cost);
        let lunches: Vec<Option<(f64, f64)>> = match t.lunch {
            None => vec![None],
            Some((from, to, len)) => {
                let mut v = Vec::new();
                let mut l = sim(from);
                while l + len <= sim(from) + (to - from) + 1e-9 {
                    v.push(Some((l, len)));
                    l += w;
                }
                v
            }
        };
        if !aligned(t.length) || t.lunch.is_some_and(|(f, _, l)| !aligned(sim(f)) || !aligned(l)) {
            return Err(format!(
                "shift `{}`: its length and lunch must be whole multiples of the {} staffing interval",
                t.name,
                units::human_duration(w)
            ));
        }
        for &s in &t.starts {
            let s = sim(s);
            if !aligned(s) {
                return Err(format!(
                    "shift `{}`: start {} is not on a {} interval boundary",
                    t.name,
                    units::clock_label(start_clock, s, false),
                    units::human_duration(w)
                ));
            }
            for l in &lunches {
                // A lunch outside the shift does not make a column.
                if let Some((ls, ll)) = l
                    && (*ls < s || ls + ll > s + t.length)
                {
                    continue;
                }
                let cover = (0..grid.n)
                    .map(|i| {
                        let (a, b) = (grid.start(i), grid.start(i + 1));
                        let on = a >= s - 1e-9 && b <= s + t.length + 1e-9;
                        let at_lunch = l.is_some_and(|(ls, ll)| a >= ls - 1e-9 && b <= ls + ll + 1e-9);
                        on && !at_lunch
                    })
                    .collect();
                let paid = t.length - l.map_or(0.0, |x| x.1);
                out.push(Column {
                    template: ti,
                    start: s,
                    lunch: l.map(|x| x.0),
                    resource: k,
                    cover,
                    cost: cost_h * paid / 60.0,
                });
            }
        }
    }
    Ok(out)
}

/// A rota: how many people work each column.
#[derive(Clone, Debug, PartialEq)]
pub struct Rota {
    pub counts: Vec<u32>,
    pub cost: f64,
}

impl Rota {
    /// Staff on duty per staffed resource and interval.
    pub fn coverage(&self, cols: &[Column], resources: usize, n: usize) -> Vec<Vec<u32>> {
        let mut s = vec![vec![0u32; n]; resources];
        for (c, &x) in cols.iter().zip(&self.counts) {
            for (i, &on) in c.cover.iter().enumerate() {
                if on {
                    s[c.resource][i] += x;
                }
            }
        }
        s
    }
}

/// The least-cost rota covering `req` (per staffed resource and interval), or why none does.
pub fn solve(templates: &[Template], cols: &[Column], req: &[Vec<u32>]) -> Result<Rota, String> {
    for (k, row) in req.iter().enumerate() {
        for (i, &r) in row.iter().enumerate() {
            if r > 0 && !cols.iter().any(|c| c.resource == k && c.cover[i]) {
                return Err(format!("interval {} needs staff but no shift template covers it", i + 1));
            }
        }
    }
    let mut vars = variables!();
    let x: Vec<Variable> = cols.iter().map(|_| vars.add(variable().integer().min(0))).collect();
    let objective: Expression = cols.iter().zip(&x).map(|(c, &v)| c.cost * v).sum();
    let mut model = vars.minimise(objective).using(microlp);
    for (k, row) in req.iter().enumerate() {
        for (i, &r) in row.iter().enumerate() {
            if r > 0 {
                let on: Expression =
                    cols.iter().zip(&x).filter(|(c, _)| c.resource == k && c.cover[i]).map(|(_, &v)| v).sum();
                model = model.with(on.geq(f64::from(r)));
            }
        }
    }
    for (ti, t) in templates.iter().enumerate() {
        let all: Expression = cols.iter().zip(&x).filter(|(c, _)| c.template == ti).map(|(_, &v)| v).sum();
        if t.min > 0 {
            model = model.with(all.clone().geq(f64::from(t.min)));
        }
        if let Some(m) = t.max {
            model = model.with(all.leq(f64::from(m)));
        }
    }
    let sol = model.solve().map_err(|e| match e {
        good_lp::ResolutionError::Infeasible => {
            "no rota covers the requirement within the templates' head-count limits (raise a template's `max`)"
                .to_string()
        }
        e => format!("the shift integer program failed: {e}"),
    })?;
    let counts: Vec<u32> = x.iter().map(|&v| sol.value(v).round().max(0.0) as u32).collect();
    let cost = cols.iter().zip(&counts).map(|(c, &n)| c.cost * f64::from(n)).sum();
    Ok(Rota { counts, cost })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(
        name: &str,
        starts: &[f64],
        length: f64,
        lunch: Option<(f64, f64, f64)>,
        cost: f64,
        max: Option<u32>,
    ) -> Template {
        Template {
            name: name.into(),
            resource: Sp::new("r".into(), 0..0),
            starts: starts.to_vec(),
            length,
            lunch,
            cost_per_hour: Some(cost),
            min: 0,
            max,
        }
    }

    /// The cheapest rota by enumerating every head-count vector up to `limit` per column.
    fn brute_force(templates: &[Template], cols: &[Column], req: &[u32], limit: u32) -> Option<f64> {
        let mut best: Option<f64> = None;
        let mut x = vec![0u32; cols.len()];
        loop {
            let rota = Rota { counts: x.clone(), cost: 0.0 };
            let cov = rota.coverage(cols, 1, req.len());
            let per_template =
                |t: usize| cols.iter().zip(&x).filter(|(c, _)| c.template == t).map(|(_, &n)| n).sum::<u32>();
            let ok = cov[0].iter().zip(req).all(|(c, r)| c >= r)
                && templates.iter().enumerate().all(|(t, tp)| {
                    let n = per_template(t);
                    n >= tp.min && tp.max.is_none_or(|m| n <= m)
                });
            if ok {
                let cost: f64 = cols.iter().zip(&x).map(|(c, &n)| c.cost * f64::from(n)).sum();
                if best.is_none_or(|b| cost < b - 1e-9) {
                    best = Some(cost);
                }
            }
            // Next vector (odometer).
            let mut j = 0;
            loop {
                if j == x.len() {
                    return best;
                }
                x[j] += 1;
                if x[j] <= limit {
                    break;
                }
                x[j] = 0;
                j += 1;
            }
        }
    }

    /// On small instances (8 one-hour intervals, templates with several starts, a lunch window,
    /// part-time shifts and head-count limits) the integer program's cost equals the best of
    /// every rota with up to 4 people per column, and its rota covers the requirement.
    #[test]
    fn ilp_cost_equals_brute_force() {
        let grid = Grid { width: 60.0, n: 8 };
        let instances: Vec<(Vec<Template>, Vec<u32>)> = vec![
            (
                vec![
                    template("full", &[0.0, 60.0], 360.0, Some((120.0, 300.0, 60.0)), 30.0, None),
                    template("part", &[120.0, 240.0, 300.0], 180.0, None, 34.0, None),
                ],
                vec![2, 3, 3, 4, 3, 3, 2, 1],
            ),
            (
                vec![
                    template("full", &[0.0, 120.0], 480.0, None, 25.0, Some(1)),
                    template("morning", &[0.0, 60.0], 240.0, None, 28.0, None),
                    template("late", &[240.0, 300.0], 180.0, Some((300.0, 420.0, 60.0)), 31.0, Some(3)),
                ],
                vec![1, 2, 2, 1, 2, 3, 2, 2],
            ),
            (
                vec![template("short", &[0.0, 120.0, 240.0, 360.0], 120.0, None, 40.0, None)],
                vec![1, 0, 2, 1, 0, 0, 3, 1],
            ),
        ];
        for (k, (templates, req)) in instances.iter().enumerate() {
            let cols = columns(templates, &grid, 0.0, &|_| Some((0, 20.0))).unwrap();
            let rota = solve(templates, &cols, std::slice::from_ref(req)).unwrap();
            let cov = rota.coverage(&cols, 1, grid.n);
            assert!(cov[0].iter().zip(req).all(|(c, r)| c >= r), "instance {k}: {cov:?} does not cover {req:?}");
            let best = brute_force(templates, &cols, req, 4).unwrap();
            assert!((rota.cost - best).abs() < 1e-6, "instance {k}: ILP {} brute force {best}", rota.cost);
        }
    }

    /// A lunch window yields one column per lunch start, and the lunch interval is not covered.
    #[test]
    fn lunch_columns_leave_a_gap() {
        let grid = Grid { width: 60.0, n: 6 };
        let t = [template("f", &[0.0], 360.0, Some((120.0, 300.0, 60.0)), 10.0, None)];
        let cols = columns(&t, &grid, 0.0, &|_| Some((0, 0.0))).unwrap();
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[0].cover, vec![true, true, false, true, true, true]);
        assert!((cols[0].cost - 50.0).abs() < 1e-9, "5 paid hours");
        let bad = [template("f", &[30.0], 360.0, None, 10.0, None)];
        assert!(columns(&bad, &grid, 0.0, &|_| Some((0, 0.0))).unwrap_err().contains("boundary"));
    }
}
