//! The shipped regional scenario (issue #25 item 4): fifty branches of three sizes, a contact
//! centre with a chatbot and a shared loan centre, within the format's size limits, and a
//! report that stays readable at that size: network views and the busiest steps as charts,
//! every step and resource in drill-down tables that agree with summary.json.

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::report::aggregate;
use branchsim::scenario;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/regional.toml");

fn run(file: &str, out: &Path, reps: &str) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(["run", file, "-q", "--threads", "2", "-n", reps, "--out"])
        .arg(out)
        .output()
        .expect("run branchsim");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dirs: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn regional_scenario_is_a_region_and_validates_cleanly() {
    let loaded = scenario::load_file(Path::new(FILE)).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(
        loaded.warnings.items.is_empty(),
        "a shipped study validates without warnings:\n{}",
        loaded.warnings.render(&loaded.path, &loaded.source)
    );
    let m = &loaded.baseline().model;
    // Fifty branches: one counter group per standard or small branch, a teller line and an
    // advice desk per flagship (f01.., s01.., k01..).
    let branches: std::collections::BTreeSet<&str> = m
        .steps
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| n.len() > 4 && [b'f', b's', b'k'].contains(&n.as_bytes()[0]) && n.as_bytes()[1].is_ascii_digit())
        .map(|n| &n[..3])
        .collect();
    assert_eq!(branches.len(), 50, "{branches:?}");
    for size in ['f', 's', 'k'] {
        assert!(branches.iter().filter(|b| b.starts_with(size)).count() >= 8, "three sizes: {branches:?}");
    }
    for step in ["chatbot", "cc_phone", "cc_chat", "lc_doc_check", "lc_underwriting"] {
        assert!(m.steps.iter().any(|s| s.name == step), "{step}");
    }
    let variants: Vec<&str> = loaded.variants.iter().map(|v| v.name.as_str()).collect();
    for v in ["close_small", "merge_pairs", "central_loan_files", "cc_long_hours"] {
        assert!(variants.contains(&v), "{variants:?}");
    }
}

/// One run of the region (3 replications) shared by the report tests: it is the slow part.
fn regional_run() -> &'static Path {
    static RUN: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, dir) = RUN.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        let dir = run(FILE, out.path(), "3");
        (out, dir)
    });
    dir
}

#[test]
fn regional_report_shows_the_network_and_drills_down() {
    let dir = regional_run();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let base = &summary["variants"]["baseline"];
    let queued: Vec<&str> = base["timeseries"]["queue"].as_object().unwrap().keys().map(String::as_str).collect();
    assert!(queued.len() > aggregate::LARGE, "{} steps with a queue", queued.len());

    // Charts: the network views, the busiest steps only, and a bounded total.
    let pngs: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert!(pngs.contains(&"network-queue.png".to_string()), "{pngs:?}");
    assert!(pngs.contains(&"step-wait-spread.png".to_string()), "{pngs:?}");
    assert!(pngs.contains(&"group-utilisation.png".to_string()), "{pngs:?}");
    let queue_charts = pngs.iter().filter(|n| n.starts_with("queue-")).count();
    assert!((1..=aggregate::TOP_STEPS).contains(&queue_charts), "{queue_charts} queue charts: {pngs:?}");
    assert!(pngs.len() <= 24, "{} charts for a 50-branch region: {pngs:?}", pngs.len());

    // The drill-down: one row per staffed step, busiest first; every figure as in summary.json.
    let table = between(&html, "<table id=\"drilldown-steps\">", "</table>");
    let rows: Vec<&str> = table.split("<tr data-step=\"").skip(1).collect();
    let mut staffed: Vec<&str> = Vec::new();
    for v in summary["variants"].as_object().unwrap().values() {
        for st in v["model"]["steps"].as_array().unwrap() {
            let name = st["name"].as_str().unwrap();
            if st["resource"].is_string() && !staffed.contains(&name) {
                staffed.push(name);
            }
        }
    }
    assert!(!staffed.contains(&"chatbot"), "a pure delay has no queue to drill into");
    assert_eq!(rows.len(), staffed.len(), "one row per staffed step of any variant");
    let worst = |step: &str| {
        summary["variants"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v["steps"][step]["queue_mean"]["mean"].as_f64())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let order: Vec<&str> = rows.iter().map(|r| &r[..r.find('"').unwrap()]).collect();
    for w in order.windows(2) {
        assert!(worst(w[0]) >= worst(w[1]), "not busiest first: {} before {}", w[0], w[1]);
    }
    let mut checked = 0;
    for (variant, v) in summary["variants"].as_object().unwrap() {
        for step in &order {
            let path = format!("steps.{step}.wait_mean");
            let needle = format!("data-variant=\"{variant}\" data-kpi=\"{path}\">");
            let Some(i) = table.find(&needle) else { continue };
            let text = &table[i + needle.len()..];
            let text = &text[..text.find('<').unwrap()];
            let mean = v["steps"][step]["wait_mean"]["mean"].as_f64().unwrap_or(f64::NAN);
            let expect = if mean.is_finite() { branchsim::report::table::fmt_num(mean) } else { "–".into() };
            assert_eq!(text, expect, "{variant} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 4 * (staffed.len() - 1), "{checked} figures checked");
    // A closed branch's counter is marked removed in its variant, not shown as a wait of 0.
    let colby = rows.iter().find(|r| r.starts_with("k03_colby\"")).expect("k03_colby row");
    assert!(colby.contains("removed"), "{colby}");

    // Every resource once, and the arrival streams of the 50-stream types.
    let res = between(&html, "<table id=\"drilldown-resources\">", "</table>");
    let mut all_res: Vec<&str> = Vec::new();
    for v in summary["variants"].as_object().unwrap().values() {
        for k in v["resources"].as_object().unwrap().keys() {
            if !all_res.contains(&k.as_str()) {
                all_res.push(k);
            }
        }
    }
    assert_eq!(res.matches("<tr data-resource=").count(), all_res.len(), "every resource of any variant once");
    assert!(html.contains("id=\"drilldown-arrivals\""));
    assert!(html.contains("50 streams,"), "the walk-in streams are summarised in one line");
    // No 60-box diagram; the note says why and where the steps are.
    assert!(html.contains("class=\"note diagram-omitted\""));
    assert!(!html.contains("<figure class=\"diagram\">"));
    // The fifty identical loan changes of the centralising variant are one line.
    assert!(html.contains("50 steps ("), "condensed variant changes");
    // The KPI tables list the busiest steps and point at the drill-down.
    assert!(html.contains(&format!("the {} busiest of ", aggregate::TOP_STEPS)), "KPI tables point at the drill-down");
}

/// A branch-sized study keeps its report as it was: all queue charts, no drill-down.
#[test]
fn a_branch_sized_report_does_not_aggregate() {
    let out = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downtown_branch.toml");
    let dir = run(file, out.path(), "2");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("id=\"drilldown\""));
    assert!(html.contains("<figure class=\"diagram\">"));
    assert!(!dir.join("charts/network-queue.png").exists());
}

/// The rows of the table `id`: (attributes of the <tr>, the rest of the row), body only.
fn body_rows<'a>(html: &'a str, id: &str) -> Vec<&'a str> {
    let table = between(html, &format!("<table id=\"{id}\">"), "</table>");
    let body = &table[table.find("<tbody>").unwrap_or_else(|| panic!("{id}: no body"))..];
    body.split("<tr").skip(1).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// A group row's members, from its `data-members` JSON list.
fn members(row: &str) -> Vec<String> {
    let a = row.find("data-members=\"").expect("data-members") + "data-members=\"".len();
    let json = unescape(&row[a..a + row[a..].find('"').unwrap()]);
    serde_json::from_str(&json).unwrap()
}

/// The text of the cell with `data-variant` and `data-kpi` in `row`.
fn cell<'a>(row: &'a str, variant: &str, kpi: &str) -> &'a str {
    let needle = format!("data-variant=\"{variant}\" data-kpi=\"{kpi}\">");
    let i = row.find(&needle).unwrap_or_else(|| panic!("no {variant} {kpi} in {row}")) + needle.len();
    &row[i..i + row[i..].find('<').unwrap()]
}

/// The texts of a row's <td> cells (tags inside kept).
fn tds(row: &str) -> Vec<&str> {
    row.split("<td").skip(1).map(|c| &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()]).collect()
}

/// Whether position `at` of the page lies inside a <details> element (folded by default).
fn folded(html: &str, at: usize) -> bool {
    html[..at].matches("<details").count() > html[..at].matches("</details>").count()
}

/// The report of a 50-branch region stays readable: its Staffing and Steps sections and the
/// drill-down add resources and steps up by group (same hours on duty, the steps they staff),
/// show the busiest few one by one and fold every row of the model away in <details>. Each
/// group's figures are its members' from summary.json (sums, a served-weighted wait, busy
/// over on-duty staff), and no table that is open on the page grows with the model.
#[test]
fn regional_report_summarises_groups_and_bounds_its_tables() {
    let dir = regional_run();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = branchsim::report::Results::from_json(&text).unwrap();
    let variants = summary["variants"].as_object().unwrap();
    let base = &variants["baseline"];
    let model_names = |what: &str| -> Vec<String> {
        base["model"][what].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string()).collect()
    };
    let fmt = branchsim::report::table::fmt_num;
    let mean = |v: &serde_json::Value, group: &str, name: &str, kpi: &str| {
        v[group][name][kpi]["mean"].as_f64().filter(|x| x.is_finite())
    };
    let partition = |rows: &[&str], all: &[String], what: &str| {
        let mut seen: Vec<String> = rows.iter().flat_map(|r| members(r)).collect();
        seen.sort();
        let mut all = all.to_vec();
        all.sort();
        assert_eq!(seen, all, "{what}: every one in exactly one group");
    };

    // Staffing: a row per group; the three branch sizes, the contact and the loan centre.
    let res_all = model_names("resources");
    let groups = body_rows(&html, "staffing-groups");
    assert!((5..=aggregate::MAX_GROUPS).contains(&groups.len()), "{} staffing groups", groups.len());
    partition(&groups, &res_all, "staffing groups");
    let res_model = base["model"]["resources"].as_array().unwrap();
    let info = |n: &str| res_model.iter().find(|x| x["name"] == n).unwrap();
    let mut sizes: Vec<usize> = Vec::new();
    for row in &groups {
        let m = members(row);
        let cells = tds(row);
        assert_eq!(cells[1], m.len().to_string(), "{row}");
        sizes.push(m.len());
        let costs: Vec<f64> = m.iter().map(|n| info(n)["cost_per_hour"].as_f64().unwrap()).collect();
        let (lo, hi) = costs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &c| (l.min(c), h.max(c)));
        let short = branchsim::report::charts::style::num;
        let want = if lo == hi { short(lo) } else { format!("{}–{}", short(lo), short(hi)) };
        assert_eq!(cells[2], want, "cost range of {m:?}");
        // The group's staff on duty is its members' added up: its peak is the peak of the sum.
        let staff: Vec<Vec<u64>> = m
            .iter()
            .map(|n| info(n)["staff"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect())
            .collect();
        let peak = (0..staff[0].len()).map(|i| staff.iter().map(|s| s[i]).sum::<u64>()).max().unwrap();
        let shown: u64 = cells[3]
            .split(['·', '\n'])
            .flat_map(|p| p.split("<br>"))
            .filter_map(|p| p.trim().rsplit(' ').next()?.parse().ok())
            .max()
            .unwrap_or(0);
        assert_eq!(shown, peak, "peak staff of {m:?}: {}", cells[3]);
    }
    sizes.sort();
    assert!(sizes.iter().rev().take(3).all(|&n| n >= 8), "the branch classes are groups: {sizes:?}");
    let busiest = body_rows(&html, "staffing-busiest");
    assert_eq!(busiest.len(), aggregate::TOP_RESOURCES);
    let ranked: Vec<String> =
        aggregate::ranked_resources(&results).into_iter().filter(|n| res_all.contains(n)).take(busiest.len()).collect();
    let listed: Vec<&str> = busiest.iter().map(|r| tds(r)[0]).collect();
    assert_eq!(listed, ranked, "the busiest resources, busiest first");
    assert_eq!(body_rows(&html, "staffing-all").len(), res_all.len());

    // Steps: a row per group of the steps a group's resources staff (and those no one staffs).
    let steps_all = model_names("steps");
    let sgroups = body_rows(&html, "steps-groups");
    partition(&sgroups, &steps_all, "steps groups");
    assert!(sgroups.len() <= aggregate::MAX_GROUPS + 1);
    for row in &sgroups {
        assert_eq!(tds(row)[1], members(row).len().to_string(), "{row}");
    }
    assert_eq!(body_rows(&html, "steps-busiest").len(), aggregate::TOP_STEPS);
    assert_eq!(body_rows(&html, "steps-all").len(), steps_all.len());

    // Drill-down by group: every figure recomputed from the members in summary.json.
    let staffed = aggregate::ranked_steps(&results);
    let rows = body_rows(&html, "drilldown-step-groups");
    partition(&rows, &staffed, "step results by group");
    let mut checked = 0;
    for row in &rows {
        let m = members(row);
        let sum = |kpi: &str| m.iter().filter_map(|n| mean(base, "steps", n, kpi)).sum::<f64>();
        assert_eq!(cell(row, "baseline", "group.served"), fmt(sum("served")), "{m:?}");
        assert_eq!(cell(row, "baseline", "group.queue_mean"), fmt(sum("queue_mean")), "{m:?}");
        for (vn, v) in variants {
            let (mut num, mut den) = (0.0, 0.0);
            for n in &m {
                if let (Some(w), Some(s)) = (mean(v, "steps", n, "wait_mean"), mean(v, "steps", n, "served"))
                    && s > 0.0
                {
                    num += w * s;
                    den += s;
                }
            }
            let want = if den > 0.0 { fmt(num / den) } else { "–".into() };
            assert_eq!(cell(row, vn, "group.wait_mean"), want, "{vn} {m:?}");
            checked += 1;
        }
        // The group's longest queue is named: its member with the largest mean queue.
        assert_eq!(*tds(row).last().unwrap(), m[0]);
    }
    let rows = body_rows(&html, "drilldown-resource-groups");
    let all_res: Vec<String> = aggregate::ranked_resources(&results);
    partition(&rows, &all_res, "resource results by group");
    for row in &rows {
        let m = members(row);
        let cost: f64 = m.iter().filter_map(|n| mean(base, "resources", n, "staff_cost")).sum();
        assert_eq!(cell(row, "baseline", "group.staff_cost"), fmt(cost), "{m:?}");
        for (vn, v) in variants {
            let busy: f64 = m.iter().filter_map(|n| mean(v, "resources", n, "busy_mean")).sum();
            let on: f64 = m.iter().filter_map(|n| mean(v, "resources", n, "staff_mean")).sum();
            let want = if on > 0.0 { format!("{:.1}%", busy / on * 100.0) } else { "–".into() };
            assert_eq!(cell(row, vn, "group.utilisation"), want, "{vn} {m:?}");
            checked += 1;
        }
    }
    assert!(checked >= 5 * 10, "{checked} group figures checked");

    // Customers entering at fifty counters: their first steps by group, not fifty lines.
    for cell in html.split("<td class=\"first-step\">").skip(1).map(|c| &c[..c.find("</td>").unwrap()]) {
        assert!(cell.matches("<br>").count() < aggregate::MAX_GROUPS, "first steps: {cell}");
    }
    assert!(html.contains("<td class=\"first-step\">50 steps: "), "walk-ins enter at 50 branches");
    // Six closed branches' identical staffing change is one line.
    assert!(html.contains("6 resources (k03_colby, "), "condensed resource changes");

    // Every table that lists the whole model is folded; every open table is bounded by the
    // constants, not by the 67 steps, 62 resources and 104 streams of the region.
    for id in ["staffing-all", "steps-all", "drilldown-steps", "drilldown-resources", "drilldown-arrivals"] {
        let at = html.find(&format!("<table id=\"{id}\">")).unwrap_or_else(|| panic!("no {id}"));
        assert!(folded(&html, at), "{id} is not folded away");
    }
    let customers = base["customers"].as_object().unwrap().len();
    let headline = branchsim::report::table::HEADLINE.len();
    let kpi_rows = 1 + 5 + 2 + headline + 6 + customers * 7 + aggregate::TOP_STEPS * 3 + aggregate::TOP_RESOURCES * 2;
    let compare_rows = (variants.len() - 1) * headline + 1;
    let other_rows = (aggregate::MAX_GROUPS + 2).max(aggregate::TOP_RESOURCES + 1).max(variants.len() + 1);
    assert!(other_rows < res_all.len().min(steps_all.len()) / 2, "the bound must tell a full table from a summary");
    let mut open = 0;
    for (at, _) in html.match_indices("<table") {
        if folded(&html, at) {
            continue;
        }
        open += 1;
        let t = &html[at..at + html[at..].find("</table>").unwrap()];
        let n = t.matches("<tr").count();
        let section = html[..at].rsplit("<section id=\"").next().unwrap();
        let bound = if t.starts_with("<table class=\"kpis\"") {
            kpi_rows
        } else if section.starts_with("comparison\"") {
            compare_rows
        } else {
            other_rows
        };
        assert!(n <= bound, "an open table of {n} rows (bound {bound}): {}", &t[..t.len().min(300)]);
    }
    assert!(open >= 8, "{open} open tables");

    // The terminal lists the busiest steps and resources too, and says where the rest are.
    let t = branchsim::report::table::kpi_table(&results);
    assert!(t.lines().count() < 100, "{} terminal lines", t.lines().count());
    let mut with_kpis: Vec<&String> = variants.values().flat_map(|v| v["steps"].as_object().unwrap().keys()).collect();
    with_kpis.sort();
    with_kpis.dedup();
    assert!(t.contains(&format!("The {} busiest of {} steps", aggregate::TOP_STEPS, with_kpis.len())), "{t}");
    assert!(t.contains(&format!("The {} busiest of {} resources", aggregate::TOP_RESOURCES, all_res.len())), "{t}");
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> &'a str {
    let i = s.find(a).unwrap_or_else(|| panic!("no {a}"));
    let rest = &s[i..];
    &rest[..rest.find(b).unwrap()]
}
