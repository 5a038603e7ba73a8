//! The process diagram of the report: arrivals, steps and routing probabilities as an SVG
//! drawn by hand (boxes in columns by distance from the arrivals, arrows labelled with the
//! probability of taking them; loops back are drawn as arcs under the boxes).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;

use super::style::{PALETTE, num};
use crate::report::html::escape;
use crate::report::results::ModelInfo;

const COL: f64 = 215.0;
const NODE_W: f64 = 172.0;
const NODE_H: f64 = 60.0;
const ROW: f64 = 100.0;
const PAD: f64 = 24.0;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Arrival(usize),
    Step(usize),
    Leave,
}

struct Node {
    kind: Kind,
    layer: usize,
    x: f64,
    y: f64,
}

fn pct(p: f64) -> String {
    let v = p * 100.0;
    if (v - v.round()).abs() < 0.05 { format!("{v:.0}%") } else { format!("{v:.1}%") }
}

fn cut(s: &str, n: usize) -> String {
    let s = super::fonts::clean(s, n);
    escape(&s)
}

fn rgb(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// The diagram as an `<svg>` element (empty string when there are no steps). `unit` is the
/// time unit of the service means. Steps a variant removed are drawn dashed.
pub fn process_svg(m: &ModelInfo, unit: &str, id: &str) -> String {
    let id = super::file_part(id);
    let ns = m.steps.len();
    if ns == 0 {
        return String::new();
    }
    let index: HashMap<&str, usize> = m.steps.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    // Steps each customer type can reach (so labels show only types that get there).
    let mut visits: Vec<Vec<bool>> = vec![vec![false; m.customers.len()]; ns];
    for (ci, c) in m.customers.iter().enumerate() {
        let Some(&first) = index.get(c.first_step.as_str()) else {
            continue;
        };
        let mut q = VecDeque::from([first]);
        visits[first][ci] = true;
        while let Some(s) = q.pop_front() {
            if let Some(list) = m.steps[s].routes.get(&c.name) {
                for ri in list {
                    let (to, p) = (&ri.to, &ri.p);
                    if let Some(&t) = index.get(to.as_str()) {
                        if *p > 0.0 && !visits[t][ci] {
                            visits[t][ci] = true;
                            q.push_back(t);
                        }
                    }
                }
            }
        }
    }
    // Layers: longest path from the entry steps once the edges that loop back (found by a
    // depth-first search) are set aside, so the main flow reads left to right.
    let succ: Vec<Vec<usize>> = m
        .steps
        .iter()
        .map(|st| {
            let mut v: Vec<usize> = st
                .routes
                .values()
                .flatten()
                .filter(|ri| ri.p > 0.0)
                .filter_map(|ri| index.get(ri.to.as_str()).copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut roots: Vec<usize> = m.customers.iter().filter_map(|c| index.get(c.first_step.as_str()).copied()).collect();
    roots.extend(0..ns);
    let mut state = vec![0u8; ns]; // 0 new, 1 on stack, 2 done
    let mut back: Vec<(usize, usize)> = Vec::new();
    let mut topo: Vec<usize> = Vec::new();
    for r in roots {
        if state[r] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(r, 0)];
        state[r] = 1;
        while let Some(&mut (n, ref mut k)) = stack.last_mut() {
            if let Some(&t) = succ[n].get(*k) {
                *k += 1;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 => back.push((n, t)),
                    _ => {}
                }
            } else {
                state[n] = 2;
                topo.push(n);
                stack.pop();
            }
        }
    }
    topo.reverse();
    let mut layer = vec![0usize; ns];
    for &n in &topo {
        for &t in &succ[n] {
            if !back.contains(&(n, t)) {
                layer[t] = layer[t].max(layer[n] + 1);
            }
        }
    }
    let max_layer = layer.iter().copied().max().unwrap_or(0);
    // Nodes: each arrival just left of its first step, steps in 1 + layer, leaving at the end.
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_col: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut push = |kind: Kind, col: usize, nodes: &mut Vec<Node>| {
        nodes.push(Node { kind, layer: col, x: 0.0, y: 0.0 });
        by_col.entry(col).or_default().push(nodes.len() - 1);
    };
    for (s, l) in layer.iter().enumerate() {
        push(Kind::Step(s), 1 + l, &mut nodes);
    }
    for (ci, c) in m.customers.iter().enumerate() {
        let col = index.get(c.first_step.as_str()).map_or(0, |f| layer[*f]);
        push(Kind::Arrival(ci), col, &mut nodes);
    }
    let leave_col = max_layer + 2;
    push(Kind::Leave, leave_col, &mut nodes);
    let rows = by_col.values().map(Vec::len).max().unwrap_or(1) as f64;
    let body_h = rows * ROW;
    for ids in by_col.values() {
        let n = ids.len() as f64;
        for (k, id) in ids.iter().enumerate() {
            let col = nodes[*id].layer as f64;
            nodes[*id].x = PAD + col * COL;
            nodes[*id].y = (body_h - n * ROW) / 2.0 + k as f64 * ROW + (ROW - NODE_H) / 2.0;
        }
    }
    let node_of = |k: Kind| nodes.iter().position(|n| n.kind == k);
    // Edges: (from node, to node, label).
    let mut edges: Vec<(usize, usize, String)> = Vec::new();
    for (ci, c) in m.customers.iter().enumerate() {
        let (Some(a), Some(s)) =
            (node_of(Kind::Arrival(ci)), index.get(c.first_step.as_str()).and_then(|s| node_of(Kind::Step(*s))))
        else {
            continue;
        };
        edges.push((a, s, String::new()));
    }
    for (si, st) in m.steps.iter().enumerate() {
        let Some(from) = node_of(Kind::Step(si)) else {
            continue;
        };
        // Probabilities per target, per customer type that reaches this step.
        let mut targets: BTreeMap<Option<usize>, Vec<(String, f64)>> = BTreeMap::new();
        for (cust, list) in &st.routes {
            let Some(ci) = m.customers.iter().position(|c| &c.name == cust) else {
                continue;
            };
            if !visits[si][ci] {
                continue;
            }
            for ri in list {
                if ri.p > 0.0 {
                    if let Some(&t) = index.get(ri.to.as_str()) {
                        targets.entry(Some(t)).or_default().push((cust.clone(), ri.p));
                    }
                }
            }
            let leave = 1.0 - list.iter().map(|ri| ri.p).sum::<f64>();
            if leave > 1e-9 {
                targets.entry(None).or_default().push((cust.clone(), leave));
            }
        }
        let reaching = visits[si].iter().filter(|v| **v).count();
        for (t, ps) in targets {
            let to = match t {
                Some(t) => node_of(Kind::Step(t)),
                None => node_of(Kind::Leave),
            };
            let Some(to) = to else { continue };
            let same = ps.len() == reaching && ps.iter().all(|p| (p.1 - ps[0].1).abs() < 1e-9);
            let label = if same {
                pct(ps[0].1)
            } else {
                ps.iter()
                    .map(|(c, p)| format!("{} {}", super::fonts::clean(c, 12), pct(*p)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            };
            edges.push((from, to, label));
        }
    }
    let cols: Vec<i64> = nodes.iter().map(|n| n.layer as i64).collect();
    let span = |a: usize, b: usize| cols[b] - cols[a];
    let above = edges.iter().filter(|(a, b, _)| span(*a, *b) > 1).count() as f64;
    let below = edges.iter().filter(|(a, b, _)| span(*a, *b) <= 0).count() as f64;
    let top = PAD + if above > 0.0 { 40.0 + above.min(8.0) * 16.0 } else { 0.0 };
    let bottom_room = if below > 0.0 { 40.0 + below.min(8.0) * 16.0 } else { 0.0 };
    for n in &mut nodes {
        n.y += top;
    }
    let width = PAD * 2.0 + leave_col as f64 * COL + NODE_W;
    let height = top + body_h + bottom_room + PAD;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="process" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="Process diagram: steps and routing probabilities" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="bs-arrow-{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>
"##
    );
    let mut labels = String::new();
    let (mut k_above, mut k_below) = (0.0f64, 0.0f64);
    for (a, b, label) in &edges {
        let (na, nb) = (&nodes[*a], &nodes[*b]);
        let sp = span(*a, *b);
        let (d, lx, ly) = if sp == 1 {
            let (x1, y1) = (na.x + NODE_W, na.y + NODE_H / 2.0);
            let (x2, y2) = (nb.x - 2.0, nb.y + NODE_H / 2.0);
            let mx = (x1 + x2) / 2.0;
            (format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}"), mx, (y1 + y2) / 2.0 - 6.0)
        } else if sp > 1 {
            // Skips columns: an arc above the boxes.
            k_above += 1.0;
            let peak = top - 30.0 - (k_above - 1.0).min(7.0) * 16.0;
            let (x1, y1) = (na.x + NODE_W * 0.7, na.y);
            let (x2, y2) = (nb.x + NODE_W * 0.3, nb.y - 2.0);
            let c = peak - (y1.min(y2) - peak) * 0.3;
            (
                format!("M{x1:.1},{y1:.1} C{x1:.1},{c:.1} {x2:.1},{c:.1} {x2:.1},{y2:.1}"),
                (x1 + x2) / 2.0,
                peak + 0.06 * (y1 - peak) - 4.0,
            )
        } else {
            // Loops back: an arc below the boxes.
            k_below += 1.0;
            let low = top + body_h + 24.0 + (k_below - 1.0).min(7.0) * 16.0;
            let (x1, y1) = (na.x + NODE_W * 0.6, na.y + NODE_H);
            let (x2, y2) = (nb.x + NODE_W * 0.4, nb.y + NODE_H + 2.0);
            let c = low + (low - y1.max(y2)) * 0.3;
            (format!("M{x1:.1},{y1:.1} C{x1:.1},{c:.1} {x2:.1},{c:.1} {x2:.1},{y2:.1}"), (x1 + x2) / 2.0, low + 14.0)
        };
        let _ = writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="#444" stroke-width="1.6" marker-end="url(#bs-arrow-{id})"/>"##
        );
        if !label.is_empty() {
            let _ = writeln!(
                labels,
                r##"<text x="{lx:.1}" y="{ly:.1}" text-anchor="middle" font-size="14" fill="#222" stroke="#fff" stroke-width="4" paint-order="stroke">{}</text>"##,
                escape(label)
            );
        }
    }
    for n in &nodes {
        let (x, y) = (n.x, n.y);
        match n.kind {
            Kind::Arrival(ci) => {
                let c = &m.customers[ci];
                let colour = rgb(PALETTE[(ci + 1) % PALETTE.len()]);
                let rate: Vec<f64> = m
                    .arrivals
                    .iter()
                    .filter(|a| a.customer == c.name)
                    .map(|a| a.rates_per_hour.iter().sum::<f64>() / a.rates_per_hour.len().max(1) as f64)
                    .collect();
                let sub = if rate.is_empty() {
                    "arrivals".to_string()
                } else {
                    format!("arrive ≈ {:.0}/h on average", rate.iter().sum::<f64>())
                };
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="28" fill="#fff" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12.5" fill="#444">{}</text>"##,
                    x + NODE_W / 2.0,
                    y + 25.0,
                    cut(&c.name, 22),
                    x + NODE_W / 2.0,
                    y + 45.0,
                    escape(&sub)
                );
            }
            Kind::Step(si) => {
                let st = &m.steps[si];
                let res = st.resource.as_deref().map_or("no staff".to_string(), |r| super::fonts::clean(r, 16));
                let means = st.service_mean.values().copied().filter(|v| v.is_finite());
                let range = means
                    .fold(None, |acc: Option<(f64, f64)>, v| Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v)))));
                let mean = match range {
                    Some((a, b)) if (b - a).abs() > 1e-9 => format!("{}–{} {unit}", num(a), num(b)),
                    Some((a, _)) => format!("{} {unit}", num(a)),
                    None => "-".into(),
                };
                let (fill, stroke, dash, note) = if st.removed {
                    ("#f4f4f4", "#888", r#" stroke-dasharray="6 4""#, " (removed)")
                } else {
                    ("#eef4fa", "#0072b2", "", "")
                };
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">{}{note}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12.5" fill="#444">{} · mean {}</text>"##,
                    x + NODE_W / 2.0,
                    y + 25.0,
                    cut(&st.name, if st.removed { 12 } else { 22 }),
                    x + NODE_W / 2.0,
                    y + 45.0,
                    escape(&res),
                    escape(&mean)
                );
            }
            Kind::Leave => {
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="28" fill="#f4f4f4" stroke="#666" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">leave the branch</text>"##,
                    x + NODE_W / 2.0,
                    y + 35.0
                );
            }
        }
    }
    s.push_str(&labels);
    s.push_str("</svg>\n");
    s
}
