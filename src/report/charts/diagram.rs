//! The process diagram of the report: arrivals, steps and routing probabilities as an SVG
//! drawn by hand (boxes in columns by distance from the arrivals, arrows labelled with the
//! probability of taking them; loops back are drawn as arcs under the boxes).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::flow::{EdgeKind, Flow, FlowEdge, FlowEntry, FlowStep};
use super::style::{PALETTE, num};
use crate::report::html::escape;
use crate::report::results::ModelInfo;

const COL: f64 = 215.0;
const NODE_W: f64 = 184.0;
const NODE_H: f64 = 68.0;
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

/// Rough advance width of `text` at `size` px: DejaVu Sans averages about 0.6 em a
/// character (0.66 em bold), CJK and other wide characters take a full em.
fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let narrow = if bold { 0.66 } else { 0.6 };
    text.chars().map(|c| if is_wide(c) { 1.0 } else { narrow }).sum::<f64>() * size
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A centred `<text>` that stays inside a box: a text wider than the box is first cut with an
/// ellipsis to at most 1.4 times the room, then squeezed to the room with `textLength`.
fn text_in(cx: f64, y: f64, text: &str, size: f64, bold: bool, fill: &str) -> String {
    let room = NODE_W - 14.0;
    let mut t = super::fonts::clean(text, 60);
    while text_width(&t, size, bold) > room * 1.4 && t.chars().count() > 4 {
        let n = t.chars().count();
        t = super::fonts::clean(&t.trim_end_matches('…').chars().take(n - 2).collect::<String>(), n - 2);
        if !t.ends_with('…') {
            t.push('…');
        }
    }
    let squeeze = if text_width(&t, size, bold) > room {
        format!(r#" textLength="{room:.0}" lengthAdjust="spacingAndGlyphs""#)
    } else {
        String::new()
    };
    format!(
        r##"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle" font-size="{size}"{} fill="{fill}"{squeeze}>{}</text>"##,
        if bold { r#" font-weight="bold""# } else { "" },
        escape(&t)
    )
}

fn rgb(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// The flow to draw: the saved one, or for a summary.json written before it was saved, the
/// routing alone (entries from the customer types, every route and the rest leaving).
fn flow_of(m: &ModelInfo) -> Flow {
    if m.flow.steps.len() == m.steps.len() && !m.flow.steps.is_empty() {
        return m.flow.clone();
    }
    let mut f = Flow::default();
    for c in &m.customers {
        f.entries.push(FlowEntry {
            stream: c.name.clone(),
            customer: c.name.clone(),
            channel: None,
            to: c.first_step.clone(),
        });
    }
    for st in &m.steps {
        f.steps.push(FlowStep { name: st.name.clone(), batch: None, automated: None });
        for (cust, list) in &st.routes {
            let mut add = |to: Option<String>, kind: EdgeKind, p: f64| {
                if p <= 1e-12 {
                    return;
                }
                match f.edges.iter_mut().find(|e| e.from == st.name && e.to == to && e.kind == kind) {
                    Some(e) => *e.p.entry(cust.clone()).or_insert(0.0) += p,
                    None => f.edges.push(FlowEdge {
                        from: st.name.clone(),
                        to,
                        kind,
                        p: [(cust.clone(), p)].into_iter().collect(),
                    }),
                }
            };
            for ri in list {
                add(Some(ri.to.clone()), EdgeKind::Route, ri.p);
            }
            add(None, EdgeKind::Leave, 1.0 - list.iter().map(|ri| ri.p).sum::<f64>());
        }
    }
    f
}

/// One arrow of the diagram as drawn: its end nodes and label (several outcomes between the
/// same two boxes share an arrow and list their labels).
pub struct DiagramEdge {
    pub from: String,
    /// `None`: leaves the process.
    pub to: Option<String>,
    pub label: String,
}

/// The labelled arrows the diagram draws between steps, from the flow. Each label is
/// "[fails|touchless|rework ]NN%" for every outcome between the two boxes, per customer type
/// where the types that reach the step differ.
pub fn diagram_edges(m: &ModelInfo) -> Vec<DiagramEdge> {
    let f = flow_of(m);
    let mut out: Vec<DiagramEdge> = Vec::new();
    for e in &f.edges {
        let reaching: Vec<&String> = {
            let mut v: Vec<&String> = f.edges.iter().filter(|x| x.from == e.from).flat_map(|x| x.p.keys()).collect();
            v.sort();
            v.dedup();
            v
        };
        let first = e.p.values().next().copied().unwrap_or(0.0);
        let same = e.p.len() == reaching.len() && e.p.values().all(|p| (p - first).abs() < 1e-9);
        let label = if same {
            format!("{}{}", e.kind.word(), pct(first))
        } else {
            let per: Vec<String> =
                e.p.iter().map(|(c, p)| format!("{} {}", super::fonts::clean(c, 12), pct(*p))).collect();
            format!("{}{}", e.kind.word(), per.join(" · "))
        };
        match out.iter_mut().find(|d| d.from == e.from && d.to == e.to) {
            Some(d) => {
                d.label.push_str(" + ");
                d.label.push_str(&label);
            }
            None => out.push(DiagramEdge { from: e.from.clone(), to: e.to.clone(), label }),
        }
    }
    out
}

/// The end node's words, from the model: customers who can give up (patience, balking) are
/// people waiting in a branch or on a line, who leave once served; a process of cases
/// (`kind = "case"`: a loan file, an account opening) or where nobody can give up ends with
/// the case done, not with anyone leaving a branch.
pub fn end_label(m: &ModelInfo) -> &'static str {
    let people = m.customers.iter().any(|c| !c.case);
    if people && m.customers.iter().any(|c| c.patience_mean.is_some() || c.balk_at.is_some()) {
        "served, leaves"
    } else {
        "case complete"
    }
}

/// The diagram as an `<svg>` element (empty string when there are no steps). `unit` is the
/// time unit of the service means. Steps a variant removed are drawn dashed.
pub fn process_svg(m: &ModelInfo, unit: &str, id: &str) -> String {
    let id = super::file_part(id);
    let ns = m.steps.len();
    if ns == 0 {
        return String::new();
    }
    let flow = flow_of(m);
    let index: HashMap<&str, usize> = m.steps.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    let dedges = diagram_edges(m);
    // Layers: longest path from the entry steps once the edges that loop back (found by a
    // depth-first search) are set aside, so the main flow reads left to right.
    let succ: Vec<Vec<usize>> = m
        .steps
        .iter()
        .map(|st| {
            let mut v: Vec<usize> = dedges
                .iter()
                .filter(|e| e.from == st.name)
                .filter_map(|e| e.to.as_deref().and_then(|t| index.get(t).copied()))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    // Entry nodes: one per (customer type, channel, first step).
    let mut entries: Vec<(String, Option<String>, usize, Vec<usize>)> = Vec::new();
    for e in &flow.entries {
        let Some(&to) = index.get(e.to.as_str()) else { continue };
        let ai: Vec<usize> =
            m.arrivals.iter().enumerate().filter(|(_, a)| a.name == e.stream).map(|(i, _)| i).collect();
        match entries.iter_mut().find(|x| x.0 == e.customer && x.1 == e.channel && x.2 == to) {
            Some(x) => x.3.extend(ai),
            None => entries.push((e.customer.clone(), e.channel.clone(), to, ai)),
        }
    }
    let mut roots: Vec<usize> = entries.iter().map(|e| e.2).collect();
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
    // Nodes: each entry just left of its first step, steps in 1 + layer, leaving at the end.
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_col: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut push = |kind: Kind, col: usize, nodes: &mut Vec<Node>| {
        nodes.push(Node { kind, layer: col, x: 0.0, y: 0.0 });
        by_col.entry(col).or_default().push(nodes.len() - 1);
    };
    for (s, l) in layer.iter().enumerate() {
        push(Kind::Step(s), 1 + l, &mut nodes);
    }
    for (ei, e) in entries.iter().enumerate() {
        push(Kind::Arrival(ei), layer[e.2], &mut nodes);
    }
    let leave_col = max_layer + 2;
    push(Kind::Leave, leave_col, &mut nodes);
    let rows = by_col.values().map(Vec::len).max().unwrap_or(1) as f64;
    let body_h = rows * ROW;
    for ids in by_col.values() {
        let n = ids.len() as f64;
        for (k, id) in ids.iter().enumerate() {
            nodes[*id].y = (body_h - n * ROW) / 2.0 + k as f64 * ROW + (ROW - NODE_H) / 2.0;
        }
    }
    let node_of = |k: Kind| nodes.iter().position(|n| n.kind == k);
    // Edges: (from node, to node, label).
    let mut edges: Vec<(usize, usize, String)> = Vec::new();
    for (ei, e) in entries.iter().enumerate() {
        let (Some(a), Some(s)) = (node_of(Kind::Arrival(ei)), node_of(Kind::Step(e.2))) else {
            continue;
        };
        let label = e.1.as_deref().map(|c| format!("via {}", super::fonts::clean(c, 20))).unwrap_or_default();
        edges.push((a, s, label));
    }
    for d in &dedges {
        let Some(from) = index.get(d.from.as_str()).and_then(|s| node_of(Kind::Step(*s))) else {
            continue;
        };
        let to = match &d.to {
            Some(t) => index.get(t.as_str()).and_then(|s| node_of(Kind::Step(*s))),
            None => node_of(Kind::Leave),
        };
        let Some(to) = to else { continue };
        edges.push((from, to, d.label.clone()));
    }
    let cols: Vec<i64> = nodes.iter().map(|n| n.layer as i64).collect();
    let span = |a: usize, b: usize| cols[b] - cols[a];
    // Columns sit as far apart as the widest label between them needs: a label centred in a
    // fixed narrow gap ("touchless 51%") lay over the boxes on both sides.
    let mut gaps = vec![COL - NODE_W; leave_col + 1];
    for (a, b, label) in &edges {
        if span(*a, *b) == 1 && !label.is_empty() {
            let c = cols[*a] as usize;
            gaps[c] = gaps[c].max(text_width(label, 14.0, false) * 1.1 + 24.0);
        }
    }
    let col_x: Vec<f64> = (0..=leave_col).map(|c| PAD + c as f64 * NODE_W + gaps[..c].iter().sum::<f64>()).collect();
    for n in &mut nodes {
        n.x = col_x[n.layer];
    }
    // An arrow that skips columns runs over the boxes or under them, whichever side leaves
    // its two ends without passing through another box of their columns: drawn above from a
    // lower box, it ran behind the box over it and read as that box's arrow.
    let place: HashMap<usize, (usize, usize)> =
        by_col.values().flat_map(|ids| ids.iter().enumerate().map(move |(k, id)| (*id, (k, ids.len())))).collect();
    // (over the boxes?, leaves or enters through another box vertically?) per arrow.
    let side: Vec<(bool, bool)> = edges
        .iter()
        .map(|(a, b, _)| {
            let (ka, na) = place.get(a).copied().unwrap_or((0, 1));
            let (kb, nb) = place.get(b).copied().unwrap_or((0, 1));
            let (up_cost, down_cost) = (ka + kb, (na - 1 - ka) + (nb - 1 - kb));
            let up = span(*a, *b) > 1 && up_cost <= down_cost;
            (up, span(*a, *b) > 1 && up_cost.min(down_cost) > 0)
        })
        .collect();
    let over: Vec<bool> = side.iter().map(|s| s.0).collect();
    let above = over.iter().filter(|o| **o).count() as f64;
    let below = edges.iter().zip(&over).filter(|((a, b, _), o)| !**o && span(*a, *b) != 1).count() as f64;
    let top = PAD + if above > 0.0 { 40.0 + above.min(8.0) * 16.0 } else { 0.0 };
    let bottom_room = if below > 0.0 { 40.0 + below.min(8.0) * 16.0 } else { 0.0 };
    for n in &mut nodes {
        n.y += top;
    }
    let width = col_x[leave_col] + NODE_W + PAD;
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
    for ((a, b, label), (up, boxed)) in edges.iter().zip(&side) {
        let (na, nb) = (&nodes[*a], &nodes[*b]);
        let sp = span(*a, *b);
        let (d, lx, ly) = if *boxed {
            // Any way up or down from the end boxes passes through a box of their columns:
            // the arrow leaves from the right side, climbs (or drops) in the free gap between
            // columns to the band over (under) the boxes, and comes down the gap left of the
            // target into its left side. Parallel arrows are set a few pixels apart.
            let k = if *up {
                k_above += 1.0;
                k_above
            } else {
                k_below += 1.0;
                k_below
            };
            let band = if *up {
                top - 30.0 - (k - 1.0).min(7.0) * 16.0
            } else {
                top + body_h + 24.0 + (k - 1.0).min(7.0) * 16.0
            };
            let off = ((k - 1.0) % 3.0) * 5.0 - 5.0;
            let (x1, y1) = (na.x + NODE_W, na.y + NODE_H / 2.0);
            let (x2, y2) = (nb.x - 2.0, nb.y + NODE_H / 2.0);
            let gx1 = x1 + gaps[na.layer] / 2.0 + off;
            let gx2 = nb.x - gaps[nb.layer - 1] / 2.0 + off;
            (
                format!(
                    "M{x1:.1},{y1:.1} L{gx1:.1},{y1:.1} L{gx1:.1},{band:.1} L{gx2:.1},{band:.1} L{gx2:.1},{y2:.1} L{x2:.1},{y2:.1}"
                ),
                (gx1 + gx2) / 2.0,
                if *up { band - 5.0 } else { band + 14.0 },
            )
        } else if sp == 1 {
            let (x1, y1) = (na.x + NODE_W, na.y + NODE_H / 2.0);
            let (x2, y2) = (nb.x - 2.0, nb.y + NODE_H / 2.0);
            let mx = (x1 + x2) / 2.0;
            (format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}"), mx, (y1 + y2) / 2.0 - 6.0)
        } else if *up {
            // Skips columns: an arc above the boxes.
            k_above += 1.0;
            let peak = top - 30.0 - (k_above - 1.0).min(7.0) * 16.0;
            let (x1, y1) = (na.x + NODE_W * 0.7, na.y);
            let (x2, y2) = (nb.x + NODE_W * 0.3, nb.y - 2.0);
            let c = peak - (y1.min(y2) - peak) * 0.3;
            // The label sits where the arc is highest, and never lower than the band above the
            // boxes (an arc between rows far apart dips into the boxes' band before that).
            let at = |t: f64| {
                let u = 1.0 - t;
                let x = u * u * u * x1 + 3.0 * u * t * (u * x1 + t * x2) + t * t * t * x2;
                let y = u * u * u * y1 + 3.0 * u * t * c + t * t * t * y2;
                (x, y)
            };
            let (hx, hy) =
                (0..=50).map(|i| at(i as f64 / 50.0)).fold((x1, f64::INFINITY), |m, p| if p.1 < m.1 { p } else { m });
            (format!("M{x1:.1},{y1:.1} C{x1:.1},{c:.1} {x2:.1},{c:.1} {x2:.1},{y2:.1}"), hx, (hy - 5.0).min(top + 2.0))
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
        let cx = x + NODE_W / 2.0;
        match n.kind {
            Kind::Arrival(ei) => {
                let (cust, channel, _, streams) = &entries[ei];
                let ci = m.customers.iter().position(|c| &c.name == cust).unwrap_or(0);
                let colour = rgb(PALETTE[(ci + 1) % PALETTE.len()]);
                let rate: f64 = streams
                    .iter()
                    .filter_map(|a| m.arrivals.get(*a))
                    .map(|a| a.rates_per_hour.iter().sum::<f64>() / a.rates_per_hour.len().max(1) as f64)
                    .sum();
                let mut sub = if streams.is_empty() {
                    "arrivals".to_string()
                } else {
                    format!("≈ {}/h on average", super::style::num(rate))
                };
                if let Some(c) = channel {
                    sub = format!("{} · {sub}", super::fonts::clean(c, 14));
                }
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="28" fill="#fff" stroke="{colour}" stroke-width="3"/>{}{}"##,
                    text_in(cx, y + 30.0, cust, 15.0, true, "#222"),
                    text_in(cx, y + 50.0, &sub, 12.5, false, "#444"),
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
                let fs = flow.steps.iter().find(|f| f.name == st.name);
                let extra = fs.and_then(|f| {
                    f.batch.clone().or_else(|| f.automated.map(|p| format!("automated: {} succeed", pct(p))))
                });
                let (y1, y2) = if extra.is_some() { (y + 22.0, y + 41.0) } else { (y + 28.0, y + 50.0) };
                let _ = write!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{}"{dash}/>{}{}"##,
                    if extra.as_deref().is_some_and(|e| e.starts_with("batch")) { 3.5 } else { 2.0 },
                    text_in(cx, y1, &format!("{}{note}", super::fonts::clean(&st.name, 40)), 15.0, true, "#222"),
                    text_in(cx, y2, &format!("{res} · mean {mean}"), 12.5, false, "#444"),
                );
                if let Some(e) = extra {
                    s.push_str(&text_in(cx, y + 59.0, &e, 12.5, false, "#8a4b00"));
                }
                s.push('\n');
            }
            Kind::Leave => {
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="28" fill="#f4f4f4" stroke="#666" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">{}</text>"##,
                    x + NODE_W / 2.0,
                    y + 39.0,
                    end_label(m)
                );
            }
        }
    }
    s.push_str(&labels);
    s.push_str("</svg>\n");
    s
}
