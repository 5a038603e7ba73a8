//! What `branchsim staff` shows and writes: the per-interval table (SIPP, requirement, rota,
//! each target's estimate with its 95% CI and confidence), a CSV of the same, a chart of
//! required against rostered staff, and the scenario with the optimised schedule appended as
//! a variant that `branchsim run` and `check` accept.

use std::fmt::Write as _;

use super::evaluate::{Plan, Problem};
use super::search::{Requirement, Verification};
use crate::scenario::units::clock_label;

/// Everything to report.
pub struct Report<'a> {
    pub problem: &'a Problem,
    pub requirement: &'a Requirement,
    /// The plan verified (the rota's staff when shifts were planned, else the requirement).
    pub final_plan: &'a Plan,
    pub rota: Option<&'a super::rota::RotaPlan>,
    pub verification: &'a Verification,
    /// The SIPP plan re-simulated on the same replications as `verification`: what the
    /// naive practice achieves.
    pub sipp: &'a Verification,
}

impl Report<'_> {
    fn clock(&self, i: usize) -> String {
        let p = self.problem;
        clock_label(p.model.start_clock, p.grid.start(i), p.model.horizon > 1440.0)
    }

    fn value(&self, t: usize, x: f64) -> String {
        if x.is_nan() {
            return "-".into();
        }
        if self.problem.targets[t].measure.is_duration() {
            format!("{:.2}", self.problem.model.time_unit.from_minutes(x))
        } else {
            format!("{:.3}", x)
        }
    }

    fn name(&self, k: usize) -> &str {
        &self.problem.model.resources[self.problem.resources[k]].name
    }

    /// Cost of a plan's staff hours.
    pub fn plan_cost(&self, plan: &Plan) -> f64 {
        let p = self.problem;
        plan.staff
            .iter()
            .enumerate()
            .map(|(k, row)| {
                let c = p.model.resources[p.resources[k]].cost_per_hour;
                row.iter().map(|&s| f64::from(s) * c * p.grid.width / 60.0).sum::<f64>()
            })
            .sum()
    }

    /// The table printed on the terminal (and the CSV's columns).
    pub fn rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let p = self.problem;
        let mut head = vec!["interval".to_string()];
        for k in 0..p.resources.len() {
            let n = self.name(k);
            head.push(format!("{n} SIPP"));
            head.push(format!("{n} required"));
            if self.rota.is_some() {
                head.push(format!("{n} rostered"));
            }
        }
        for t in &p.targets {
            head.push(format!("SIPP {}", t.text));
            head.push(t.text.clone());
            head.push("95% CI".into());
            head.push("confidence".into());
        }
        let v = self.verification;
        let rows = (0..p.grid.n)
            .map(|i| {
                let mut r = vec![self.clock(i)];
                for k in 0..p.resources.len() {
                    r.push(self.requirement.sipp.staff[k][i].to_string());
                    let mut req = self.requirement.plan.staff[k][i].to_string();
                    if self.requirement.infeasible[i] {
                        req.push('!');
                    }
                    r.push(req);
                    if self.rota.is_some() {
                        r.push(self.final_plan.staff[k][i].to_string());
                    }
                }
                for (t, row) in v.eval.kpi.iter().enumerate() {
                    let e = row[i];
                    let (lo, hi) = e.ci95();
                    r.push(self.value(t, self.sipp.eval.kpi[t][i].value));
                    r.push(self.value(t, e.value));
                    r.push(if e.value.is_nan() {
                        "-".into()
                    } else {
                        format!("{}..{}", self.value(t, lo), self.value(t, hi))
                    });
                    r.push(if e.value.is_nan() { "-".into() } else { format!("{:.1}%", 100.0 * v.confidence[t][i]) });
                }
                r
            })
            .collect();
        (head, rows)
    }

    pub fn table(&self) -> String {
        let (head, rows) = self.rows();
        let width =
            |c: usize| rows.iter().map(|r| r[c].chars().count()).chain([head[c].chars().count()]).max().unwrap_or(0);
        let widths: Vec<usize> = (0..head.len()).map(width).collect();
        let line = |r: &[String]| {
            r.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}")).collect::<Vec<_>>().join("  ").trim_end().to_string()
        };
        let mut out = line(&head) + "\n";
        for r in &rows {
            out += &line(r);
            out.push('\n');
        }
        out
    }

    pub fn csv(&self) -> Result<String, String> {
        let (head, rows) = self.rows();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&head).map_err(|e| e.to_string())?;
        for r in rows {
            w.write_record(&r).map_err(|e| e.to_string())?;
        }
        String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }

    /// Required (dashed) against rostered or final (solid) staff per resource, a step chart.
    pub fn svg(&self) -> String {
        let p = self.problem;
        let (w, h, left, right, top, bottom) = (900.0, 420.0, 60.0, 180.0, 40.0, 50.0);
        let max = self
            .requirement
            .plan
            .staff
            .iter()
            .chain(&self.final_plan.staff)
            .chain(&self.requirement.sipp.staff)
            .flatten()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let n = p.grid.n as f64;
        let x = |i: f64| left + (w - left - right) * i / n;
        let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"22\" font-size=\"15\">{}: staff by interval</text>\n",
            xml(&p.model.name)
        );
        for v in 0..=(max as u32) {
            let yy = y(f64::from(v));
            let _ = writeln!(
                s,
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
                w - right,
                left - 6.0,
                yy + 4.0
            );
        }
        let step = (p.grid.n / 12).max(1);
        for i in (0..p.grid.n).step_by(step) {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(i as f64),
                h - bottom + 18.0,
                xml(&self.clock(i))
            );
        }
        let path = |row: &[u32]| {
            let mut d = String::new();
            for (i, &v) in row.iter().enumerate() {
                let (a, b, yy) = (x(i as f64), x(i as f64 + 1.0), y(f64::from(v)));
                let _ = write!(d, "{}{a:.1},{yy:.1} L{b:.1},{yy:.1} ", if i == 0 { "M" } else { "L" });
            }
            d
        };
        for k in 0..p.resources.len() {
            let c = colours[k % colours.len()];
            let ly = top + 20.0 * k as f64 * 3.0;
            let mut legend = |dash: &str, label: String, dy: f64| {
                let _ = writeln!(
                    s,
                    "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{c}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                    w - right + 10.0,
                    w - right + 35.0,
                    ly + dy,
                    ly + dy,
                    w - right + 40.0,
                    ly + dy + 4.0,
                    xml(&label)
                );
            };
            legend("2,3", format!("{} SIPP", self.name(k)), 0.0);
            legend("6,4", format!("{} required", self.name(k)), 18.0);
            legend("", format!("{} {}", self.name(k), if self.rota.is_some() { "rostered" } else { "planned" }), 36.0);
            let _ = writeln!(
                s,
                "<path d=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1\" stroke-dasharray=\"2,3\"/>",
                path(&self.requirement.sipp.staff[k])
            );
            let _ = writeln!(
                s,
                "<path d=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>",
                path(&self.requirement.plan.staff[k])
            );
            let _ = writeln!(
                s,
                "<path d=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2.5\"/>",
                path(&self.final_plan.staff[k])
            );
        }
        s = s.replacen(&format!("height=\"{h}\""), &format!("height=\"{}\"", h + 260.0 * p.targets.len() as f64), 1);
        for t in 0..p.targets.len() {
            self.kpi_panel(&mut s, t, (w, left, right, h + 260.0 * t as f64), &x);
        }
        s + "</svg>\n"
    }

    /// A panel under the staff chart: target `t` per interval for the final plan (points
    /// with 95% CI bars) and for SIPP (hollow), against the target line.
    fn kpi_panel(&self, s: &mut String, t: usize, (w, left, right, y0): (f64, f64, f64, f64), x: &dyn Fn(f64) -> f64) {
        let (ph, pad) = (200.0, 30.0);
        let kpi = &self.verification.eval.kpi[t];
        let sipp = &self.sipp.eval.kpi[t];
        let target = &self.problem.targets[t];
        let vals = kpi.iter().flat_map(|e| [e.ci95().0, e.ci95().1]).chain(sipp.iter().map(|e| e.value));
        let (mut lo, mut hi) = vals
            .chain([target.value])
            .filter(|v| v.is_finite())
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        if hi - lo < 1e-9 {
            (lo, hi) = (lo - 0.05, hi + 0.05);
        }
        let y = |v: f64| y0 + pad + ph * (1.0 - (v - lo) / (hi - lo));
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"{}\" font-size=\"13\">{} by arrival interval: plan (95% CI) and SIPP (hollow)</text>",
            y0 + 18.0,
            xml(&target.text)
        );
        for v in [lo, target.value, hi] {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                left - 6.0,
                y(v) + 4.0,
                self.value(t, v)
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{0}\" y1=\"{1}\" y2=\"{1}\" stroke=\"#d62728\" stroke-dasharray=\"5,3\"/>",
            w - right,
            y(target.value)
        );
        for (i, (e, q)) in kpi.iter().zip(sipp).enumerate() {
            let cx = (x(i as f64) + x(i as f64 + 1.0)) / 2.0;
            if e.value.is_finite() {
                let (a, b) = e.ci95();
                if a.is_finite() && b.is_finite() {
                    let _ = writeln!(
                        s,
                        "<line x1=\"{cx}\" x2=\"{cx}\" y1=\"{}\" y2=\"{}\" stroke=\"#1f77b4\"/>",
                        y(a),
                        y(b)
                    );
                }
                let _ = writeln!(s, "<circle cx=\"{cx}\" cy=\"{}\" r=\"3\" fill=\"#1f77b4\"/>", y(e.value));
            }
            if q.value.is_finite() {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"none\" stroke=\"#555\"/>",
                    cx + 4.0,
                    y(q.value)
                );
            }
        }
    }

    /// Every text of the chart that comes from the scenario (for choosing a font).
    pub fn chart_texts(&self) -> Vec<&str> {
        let p = self.problem;
        let mut t = vec![p.model.name.as_str()];
        t.extend(p.resources.iter().map(|&r| p.model.resources[r].name.as_str()));
        t.extend(p.targets.iter().map(|x| x.text.as_str()));
        t
    }

    /// The PNG chart (`super::chart`): the same content as `svg`, drawn with the report's
    /// chart machinery.
    pub fn chart(&self, font: &'static str) -> super::chart::StaffChart {
        use super::chart::{KpiPanel, StaffChart, StaffRows};
        let p = self.problem;
        let v = &self.verification.eval.kpi;
        StaffChart {
            font,
            title: format!("{}: staff by interval", p.model.name),
            labels: (0..p.grid.n).map(|i| self.clock(i)).collect(),
            resources: (0..p.resources.len())
                .map(|k| StaffRows {
                    name: self.name(k).to_string(),
                    sipp: self.requirement.sipp.staff[k].clone(),
                    required: self.requirement.plan.staff[k].clone(),
                    rostered: self.final_plan.staff[k].clone(),
                })
                .collect(),
            rostered_label: if self.rota.is_some() { "rostered" } else { "planned" },
            panels: p
                .targets
                .iter()
                .enumerate()
                .map(|(t, target)| {
                    let unit =
                        |x: f64| if target.measure.is_duration() { p.model.time_unit.from_minutes(x) } else { x };
                    KpiPanel {
                        title: format!("{} by arrival interval: plan (95% CI) and SIPP (hollow)", target.text),
                        target: unit(target.value),
                        plan: v[t]
                            .iter()
                            .map(|e| {
                                let (a, b) = e.ci95();
                                (unit(e.value), unit(a), unit(b))
                            })
                            .collect(),
                        sipp: self.sipp.eval.kpi[t].iter().map(|e| unit(e.value)).collect(),
                    }
                })
                .collect(),
        }
    }

    /// The scenario's own text with the optimised schedule appended as a variant.
    pub fn variant_toml(&self, source: &str, existing: &[String]) -> (String, String) {
        let p = self.problem;
        let mut name = "staffed".to_string();
        let mut k = 2;
        while existing.contains(&name) {
            name = format!("staffed_{k}");
            k += 1;
        }
        let mut s = source.trim_end().to_string();
        let cost = self.rota.map_or_else(|| self.plan_cost(self.final_plan), |r| r.rota.cost);
        let _ = write!(
            s,
            "\n\n# Added by `branchsim staff` (targets: {}; seed {}): the cheapest plan found, re-simulated.\n[[variants]]\nname = \"{name}\"\ndescription = \"staffing plan meeting {} in every interval, cost {cost:.0}\"\n",
            p.targets.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(", "),
            p.seed,
            p.targets.iter().map(|t| t.text.replace('"', "'")).collect::<Vec<_>>().join(", ")
        );
        for (k, &r) in p.resources.iter().enumerate() {
            let staff: Vec<String> = self.final_plan.staff[k].iter().map(u32::to_string).collect();
            let _ = write!(
                s,
                "\n[[variants.resources]]\nname = {}\ninterval = \"{}min\"\nstaff = [{}]\n",
                toml_string(&p.model.resources[r].name),
                p.grid.width,
                staff.join(", ")
            );
        }
        (s, name)
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A TOML basic string (quotes, backslashes and control characters escaped).
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out + "\""
}
