//! Charts and the HTML report: every file is written, PNGs decode, SVGs hold the expected
//! labels and legend entries, names in any script never break rendering, and hostile names
//! are escaped everywhere.

use std::path::{Path, PathBuf};

use branchsim::cli::{Cli, Command, run};
use branchsim::report::Results;
use branchsim::report::charts::{self, SweepGrid, fonts};
use branchsim::scenario;
use clap::Parser;

/// Simulates a fixture scenario with the library and returns its results.
fn results(fixture: &str) -> Results {
    let path = format!("{}/tests/fixtures/charts/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = match scenario::load_str(&text, fixture) {
        Ok(l) => l,
        Err(e) => panic!("{}", e.render()),
    };
    let Command::Run(args) =
        Cli::try_parse_from(["branchsim", "run", fixture, "-q", "--threads", "2"]).unwrap().command
    else {
        unreachable!()
    };
    run::simulate(&loaded, &args, None).unwrap().results
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-charts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Decodes a PNG fully and returns its size.
fn png_size(p: &Path) -> (u32, u32) {
    let f = std::fs::File::open(p).unwrap();
    let mut dec = png::Decoder::new(std::io::BufReader::new(f)).read_info().unwrap();
    let mut buf = vec![0; dec.output_buffer_size()];
    let info = dec.next_frame(&mut buf).unwrap();
    // Not blank: a chart has many colours.
    let distinct: std::collections::HashSet<&[u8]> = buf.chunks(3).take(1_000_000).collect();
    assert!(distinct.len() > 20, "{} looks blank", p.display());
    (info.width, info.height)
}

/// The text content of every `<text>` element, unescaped.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let Some(gt) = rest.find('>') else { break };
        let Some(end) = rest.find("</text>") else { break };
        let raw = rest[gt + 1..end].trim();
        out.push(
            raw.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        );
        rest = &rest[end + 7..];
    }
    out
}

/// A well-formed enough SVG: one root, balanced tags we know, no raw markup in text.
fn check_svg(p: &Path) -> String {
    let s = read(p);
    assert!(s.starts_with("<svg"), "{}: does not start with <svg", p.display());
    assert!(s.trim_end().ends_with("</svg>"), "{}: does not end with </svg>", p.display());
    assert!(s.contains("viewBox=\"0 0 "), "{}", p.display());
    for tag in ["text", "svg"] {
        let open = s.matches(&format!("<{tag} ")).count() + s.matches(&format!("<{tag}>")).count();
        let close = s.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "{}: <{tag}> not balanced", p.display());
    }
    assert!(!s.to_lowercase().contains("<script"), "{}: raw <script>", p.display());
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{}: control characters", p.display());
    s
}

const ALWAYS: &[&str] = &[
    "cycle-time-distribution",
    "wait-distribution",
    "wait-by-arrival-hour",
    "kpi-wait-mean",
    "kpi-cycle-time-p90",
    "kpi-service-level",
    "kpi-abandon-rate",
    "kpi-staff-cost",
    "utilisation-heatmap",
    "cost-vs-service",
];

fn has(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

#[test]
fn every_chart_is_written_valid_and_labelled() {
    let r = results("tiny.toml");
    let dir = temp_dir("tiny");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let cd = dir.join("charts");
    let mut stems: Vec<String> = ALWAYS.iter().map(|s| s.to_string()).collect();
    // tiny's customers abandon: the arrivals-based service level has its chart too.
    stems.extend(
        ["queue-1-reception", "queue-2-teller", "queue-3-advisor", "kpi-service-level-arrivals"].map(String::from),
    );
    for stem in &stems {
        let (w, h) = png_size(&cd.join(format!("{stem}.png")));
        assert_eq!(w, 1200, "{stem}");
        assert!(h >= 700, "{stem}");
        let svg = check_svg(&cd.join(format!("{stem}.svg")));
        let texts = svg_texts(&svg);
        assert!(has(&texts, "Tiny branch — "), "{stem}: no title in {texts:?}");
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&cd).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), stems.len() * 2, "unexpected files: {names:?}");

    let variants = ["baseline", "extra_teller", "fewer_visits"];
    let texts = |stem: &str| svg_texts(&read(&cd.join(format!("{stem}.svg"))));
    // 1. Queue over the day: clock axis, y label, legend with every variant and the band.
    let q = texts("queue-2-teller");
    for want in ["customers waiting", "time of day", "09:00", "10:00", "12:00", "shaded: 5–95% range", "“teller”"]
    {
        assert!(has(&q, want), "queue chart lacks {want:?}: {q:?}");
    }
    // 2. Distributions: axis with unit, mean and p90 in the legend.
    let c = texts("cycle-time-distribution");
    for want in ["cycle time x, arrival to departure (min)", "mean", "p90 (mean of replications)"] {
        assert!(has(&c, want), "cycle-time chart lacks {want:?}: {c:?}");
    }
    assert!(has(&texts("wait-distribution"), "total waiting time x (min)"));
    // 3. Wait by arrival hour.
    let w = texts("wait-by-arrival-hour");
    for want in ["hour of arrival", "mean wait (min)", "09:00", "11:00", "threshold 5 min"] {
        assert!(has(&w, want), "wait-by-hour lacks {want:?}: {w:?}");
    }
    // 4. KPI comparison: baseline marked, CI legend, change labels.
    let k = texts("kpi-wait-mean");
    for want in ["baseline level", "dot: mean; bar: 95% CI", "mean wait (min)", "variant"] {
        assert!(has(&k, want), "KPI chart lacks {want:?}: {k:?}");
    }
    assert!(k.iter().any(|t| t.ends_with('%') || t.ends_with("n.s.") || t.ends_with('*')), "{k:?}");
    assert!(has(&texts("kpi-service-level"), "% of served customers who waited at most 5 min"));
    // 5. Heatmap: resources, hours, colour scale.
    let u = texts("utilisation-heatmap");
    for want in ["greeter", "teller", "advisor", "100%", "0%", "utilisation (busy /", "variant: extra_teller"] {
        assert!(has(&u, want), "heatmap lacks {want:?}: {u:?}");
    }
    // 6. Cost vs service: labelled points, non-dominated highlighted.
    let cs = texts("cost-vs-service");
    for want in ["filled: non-dominated", "hollow: dominated", "staff cost over the horizon (currency)"] {
        assert!(has(&cs, want), "cost chart lacks {want:?}: {cs:?}");
    }
    for stem in ["queue-1-reception", "cycle-time-distribution", "wait-by-arrival-hour", "kpi-staff-cost"] {
        let t = texts(stem);
        for v in variants {
            assert!(has(&t, v), "{stem}: legend lacks {v}: {t:?}");
        }
    }
    for v in variants {
        assert!(cs.iter().filter(|t| t.contains(v)).count() >= 2, "cost chart: {v} not labelled and in legend");
    }

    // The report holds every chart inline and the tables.
    let html = read(&dir.join("report.html"));
    for stem in &stems {
        assert!(html.contains(&format!("<figure class=\"chart\" id=\"chart-{stem}\">")), "{stem} not in report");
    }
    assert_eq!(html.matches("<figure class=\"chart\"").count(), stems.len());
    for want in [
        "Content-Security-Policy",
        "default-src 'none'",
        "Verdict",
        "KPIs by variant",
        "Where to act next",
        "Comparison with the baseline",
        "<svg class=\"process\"",
        "reception",
        "teller: staff 09:00 4 · 10:00 3 · 11:00 4 (was 09:00 3 · 10:00 2 · 11:00 3)",
        "demand: retail: ",
        "(-25.0%)",
        "09:00 3 · 10:00 2 · 11:00 3",
        "teller 85%, advisor 15%",
    ] {
        assert!(html.contains(want), "report lacks {want:?}");
    }
    assert!(!html.contains("<script"), "the report must not run scripts");
}

#[test]
fn report_is_rebuilt_from_summary_json_and_stale_charts_go() {
    let r = results("tiny.toml");
    let dir = temp_dir("rebuild");
    std::fs::create_dir_all(dir.join("charts")).unwrap();
    std::fs::write(dir.join("charts/queue-9-old-step.png"), b"old").unwrap();
    std::fs::write(dir.join("charts/notes.txt"), b"mine").unwrap();
    // Round trip through summary.json, as `branchsim report DIR` does.
    let back = Results::from_json(&r.to_json()).unwrap();
    charts::write_charts_and_report(&back, &dir, None).unwrap();
    assert!(!dir.join("charts/queue-9-old-step.png").exists(), "stale chart kept");
    assert!(dir.join("charts/notes.txt").exists(), "a non-chart file was removed");
    assert!(dir.join("charts/queue-2-teller.svg").exists());
    // Rendering is deterministic: the same results give the same bytes.
    let first = std::fs::read(dir.join("charts/kpi-wait-mean.png")).unwrap();
    let html1 = read(&dir.join("report.html"));
    charts::write_charts_and_report(&back, &dir, None).unwrap();
    assert_eq!(first, std::fs::read(dir.join("charts/kpi-wait-mean.png")).unwrap());
    assert_eq!(html1, read(&dir.join("report.html")));
}

#[test]
fn cjk_names_render_and_reach_the_svg_text() {
    let r = results("cjk.toml");
    let dir = temp_dir("cjk");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let cd = dir.join("charts");
    // Nobody can abandon (no patience): that chart is left out.
    assert!(!cd.join("kpi-abandon-rate.png").exists());
    // Non-ASCII step names get numbered ASCII file names.
    let shown = ALWAYS.iter().filter(|s| **s != "kpi-abandon-rate").map(|s| s.to_string());
    for stem in shown.chain(["queue-1".into(), "queue-2".into()]) {
        png_size(&cd.join(format!("{stem}.png")));
        check_svg(&cd.join(format!("{stem}.svg")));
    }
    let q = svg_texts(&read(&cd.join("queue-1.svg")));
    assert!(has(&q, "城东支行 工作日 — queue at step “柜台”"), "{q:?}");
    assert!(has(&q, "午餐轮班"), "{q:?}");
    let u = svg_texts(&read(&cd.join("utilisation-heatmap.svg")));
    assert!(has(&u, "柜员") && has(&u, "variant: 午餐轮班"), "{u:?}");
    let q2 = svg_texts(&read(&cd.join("queue-2.svg")));
    assert!(has(&q2, "理财顾问 αβγ مرحبا"), "{q2:?}");
    let html = read(&dir.join("report.html"));
    assert!(html.contains("<h1 id=\"top\">城东支行 工作日</h1>"));
    // With a CJK font installed it is found automatically; Chinese is then covered.
    let font = fonts::choose(None, &["城东支行", "柜台"]).unwrap();
    let installed = [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    ]
    .iter()
    .any(|p| Path::new(p).exists());
    if installed {
        assert!(font.missing.is_empty(), "CJK font installed but not used: {font:?}");
        assert!(font.source.contains("CJK"), "{font:?}");
    } else {
        eprintln!("note: no Noto Sans CJK installed; Chinese shows as boxes in PNGs ({font:?})");
    }
}

#[test]
fn hostile_names_are_escaped_everywhere() {
    let r = results("hostile.toml");
    let dir = temp_dir("hostile");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let html = read(&dir.join("report.html"));
    let lower = html.to_lowercase();
    for bad in ["<script", "<iframe", "<img", "<b>", "</style><", "<!--"] {
        assert!(!lower.contains(bad), "report holds raw {bad:?}");
    }
    for want in [
        "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; &quot;Bank&quot;",
        "&lt;iframe src=&#39;http://example.com&#39;&gt;",
        "&lt;b&gt;walk-in&lt;/b&gt;",
        "desk &amp; &quot;co&quot; &lt;/svg&gt;",
        "&lt;img src=x onerror=alert(1)&gt; description &amp; &lt;/style&gt;",
    ] {
        assert!(html.contains(want), "report lacks escaped {want:?}");
    }
    // No attribute may point anywhere: no src, no external href, url() only to local #ids.
    assert!(!html.contains("src=\"") && !html.contains("href=\"http"));
    assert!(html.match_indices("url(").all(|(k, _)| html[k + 4..].starts_with('#')));
    // Chart files stay in charts/ with plain names; their text is escaped too.
    let cd = dir.join("charts");
    let mut files: Vec<String> =
        std::fs::read_dir(&cd).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert!(files.contains(&"queue-1-script-step-script.svg".to_string()), "{files:?}");
    assert!(files.contains(&"queue-2-etc-passwd.svg".to_string()), "{files:?}");
    for f in &files {
        assert!(f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'), "{f}");
        if f.ends_with(".svg") {
            check_svg(&cd.join(f));
        } else {
            png_size(&cd.join(f));
        }
    }
    let q = svg_texts(&read(&cd.join("queue-1-script-step-script.svg")));
    assert!(has(&q, "“<script>step</script>”"), "{q:?}");
    assert!(has(&q, "<iframe src='http://exam"), "{q:?}");
}

#[test]
fn user_font_is_used_and_a_bad_one_is_an_error() {
    let r = results("tiny.toml");
    let dir = temp_dir("font");
    let bad = dir.join("not-a-font.ttf");
    std::fs::write(&bad, b"definitely not a font").unwrap();
    let e = charts::write_charts_and_report(&r, &dir, Some(&bad)).unwrap_err();
    assert!(e.contains("cannot use font"), "{e}");
    let e = charts::write_charts_and_report(&r, &dir, Some(&dir.join("missing.ttf"))).unwrap_err();
    assert!(e.contains("cannot use font"), "{e}");
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/DejaVuSans.ttf");
    charts::write_charts_and_report(&r, &dir, Some(&good)).unwrap();
    let svg = read(&dir.join("charts/kpi-wait-mean.svg"));
    assert!(svg.contains("font-family=\"DejaVuSans, DejaVu Sans, sans-serif\""), "user font not used");
}

/// The text chunks of a PNG as (keyword, text), decoded by the `png` crate: iTXt (UTF-8)
/// first, then Latin-1 tEXt.
fn png_texts(bytes: &[u8]) -> Vec<(String, String)> {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let info = dec.info();
    let mut out: Vec<(String, String)> =
        info.utf8_text.iter().map(|t| (t.keyword.clone(), t.get_text().unwrap())).collect();
    out.extend(info.uncompressed_latin1_text.iter().map(|t| (t.keyword.clone(), t.text.clone())));
    out
}

/// Chart PNGs carry their provenance in iTXt chunks a PNG decoder reads back: the scenario's
/// Chinese name as `Title` (tEXt is Latin-1 and would lose it), the version as `Software`, and
/// the content hash, seed and replications as `Comment`; the same seed gives the same bytes.
#[test]
fn png_provenance_is_itxt_and_keeps_chinese_names() {
    let r = results("cjk.toml");
    let (a, b) = (temp_dir("stamp-a"), temp_dir("stamp-b"));
    charts::write_charts_and_report(&r, &a, None).unwrap();
    charts::write_charts_and_report(&results("cjk.toml"), &b, None).unwrap();
    let bytes = std::fs::read(a.join("charts/queue-1.png")).unwrap();
    let texts = png_texts(&bytes);
    let get = |k: &str| texts.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("Title").as_deref(), Some("城东支行 工作日"), "{texts:?}");
    assert_eq!(get("Software"), Some(format!("branchsim {}", env!("CARGO_PKG_VERSION"))));
    let comment = get("Comment").unwrap_or_default();
    assert!(comment.contains(&r.scenario.content_hash), "{comment}");
    assert!(
        comment.contains(&format!("seed {}", r.seed)) && comment.contains(&format!("{} replications", r.replications))
    );
    // Only the chunks the png crate wrote: no hand-spliced tEXt left.
    assert_eq!(texts.len(), 3, "{texts:?}");
    let svg = read(&a.join("charts/queue-1.svg"));
    assert!(svg.contains("<!-- 城东支行 工作日; branchsim"), "SVG comment lacks the name");
    for f in ["queue-1.png", "utilisation-heatmap.png", "queue-1.svg"] {
        assert_eq!(
            std::fs::read(a.join("charts").join(f)).unwrap(),
            std::fs::read(b.join("charts").join(f)).unwrap(),
            "{f}"
        );
    }
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

#[test]
fn single_variant_and_sweep_heatmap() {
    let mut r = results("tiny.toml");
    r.variants.truncate(1);
    r.comparison = None;
    let dir = temp_dir("single");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    // One variant with fixed staffing: its staff cost is one number, said in the report.
    for stem in ALWAYS.iter().filter(|s| **s != "kpi-staff-cost") {
        assert!(dir.join(format!("charts/{stem}.svg")).exists(), "{stem}");
    }
    assert!(!dir.join("charts/kpi-staff-cost.svg").exists());
    let html = read(&dir.join("report.html"));
    assert!(html.contains("Only the baseline was simulated"));
    assert!(html.contains("No staff cost chart: it is"), "omitted chart not explained");

    let font = fonts::choose(None, &["teller"]).unwrap();
    let grid = SweepGrid {
        scenario: "Tiny branch".into(),
        x_name: "resources.teller.staff".into(),
        x_values: vec!["2".into(), "3".into(), "4".into()],
        y_name: "arrival scale".into(),
        y_values: vec!["1.2".into(), "1.0".into()],
        kpi_label: "mean wait (min)".into(),
        values: vec![vec![9.5, 4.2, 1.1], vec![5.0, f64::NAN, 0.7]],
        percent: false,
    };
    let stamp = charts::Stamp::new("Tiny branch", "abc", 1, 2, "0.1.0");
    let out = charts::sweep_heatmap(&grid, &font, &stamp).unwrap();
    assert!(out.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let texts = svg_texts(&out.svg);
    for want in ["resources.teller.staff", "arrival scale", "mean wait (min)", "9.5", "–", "grey: not run"] {
        assert!(has(&texts, want), "sweep heatmap lacks {want:?}: {texts:?}");
    }
}

/// Steps each customer type can reach, following every outcome with a positive probability
/// from its arrival streams' first steps (independent of the diagram's own search).
fn reach(m: &branchsim::model::Model) -> Vec<Vec<bool>> {
    let mut out = vec![vec![false; m.steps.len()]; m.customers.len()];
    for (ci, row) in out.iter_mut().enumerate() {
        let mut todo: Vec<usize> = m.arrivals.iter().filter(|a| a.customer == ci).map(|a| a.first_step).collect();
        while let Some(s) = todo.pop() {
            if !std::mem::replace(&mut row[s], true) {
                todo.extend(m.steps[s].outcomes(s, ci).into_iter().filter(|o| o.1 > 0.0).map(|o| o.0));
            }
        }
    }
    out
}

/// The process diagram tells the truth (issue #19 item 2): for every variant of loan_approval,
/// every non-zero outcome of `Step::outcomes` (rework, automation failure, touchless, routing)
/// and the share that leaves appear in the diagram's edge list with their probability, and
/// every edge label is drawn in the SVG. The old diagram, built from `next` alone, drew no
/// arrow out of `manual_scoring`'s failure source and labelled credit_scoring → underwriting
/// 100% in `auto_prescreen`.
#[test]
fn process_diagram_shows_every_outcome_of_the_compiled_model() {
    use branchsim::report::charts::diagram::{diagram_edges, process_svg};
    use branchsim::report::results::ModelInfo;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/loan_approval.toml");
    let loaded = scenario::load_file(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    let pct = |p: f64| {
        let v = p * 100.0;
        if (v - v.round()).abs() < 0.05 { format!("{v:.0}%") } else { format!("{v:.1}%") }
    };
    for v in &loaded.variants {
        let m = &v.model;
        let info = ModelInfo::of(m);
        let flow = &info.flow;
        let reach = reach(m);
        for (si, st) in m.steps.iter().enumerate() {
            for (ci, c) in m.customers.iter().enumerate() {
                if !reach[ci][si] {
                    continue;
                }
                // Truth: outcomes per target (None: leaves), summed over reasons.
                let mut truth: Vec<(Option<String>, f64)> = Vec::new();
                let outcomes = st.outcomes(si, ci);
                let leave = 1.0 - outcomes.iter().map(|o| o.1).sum::<f64>();
                for (t, p) in
                    outcomes.into_iter().map(|(t, p)| (Some(m.steps[t].name.clone()), p)).chain([(None, leave)])
                {
                    if p > 1e-12 {
                        match truth.iter_mut().find(|x| x.0 == t) {
                            Some(x) => x.1 += p,
                            None => truth.push((t, p)),
                        }
                    }
                }
                let drawn: Vec<(Option<String>, f64)> = flow
                    .edges
                    .iter()
                    .filter(|e| e.from == st.name)
                    .filter_map(|e| e.p.get(&c.name).map(|p| (e.to.clone(), *p)))
                    .fold(Vec::new(), |mut acc, (t, p)| {
                        match acc.iter_mut().find(|x: &&mut (Option<String>, f64)| x.0 == t) {
                            Some(x) => x.1 += p,
                            None => acc.push((t, p)),
                        }
                        acc
                    });
                for (t, p) in &truth {
                    let d = drawn.iter().find(|x| &x.0 == t).map_or(0.0, |x| x.1);
                    assert!(
                        (d - p).abs() < 1e-9,
                        "{}: {} → {t:?} for {}: simulated {p}, drawn {d}",
                        v.name,
                        st.name,
                        c.name
                    );
                }
                assert_eq!(truth.len(), drawn.len(), "{}: {} for {}: {drawn:?} vs {truth:?}", v.name, st.name, c.name);
            }
        }
        let svg = process_svg(&info, "min", &v.name);
        let texts = svg_texts(&svg);
        for e in diagram_edges(&info) {
            assert!(texts.contains(&e.label), "{}: label {:?} ({} → {:?}) not drawn", v.name, e.label, e.from, e.to);
        }
        // Batches are drawn with their release rule.
        for st in m.steps.iter().filter(|s| s.batch.is_some() && !s.pass_through) {
            assert!(texts.iter().any(|t| t.starts_with("batch: ")), "{}: batch {} not shown", v.name, st.name);
        }
        if v.name == "auto_prescreen" {
            let edges = diagram_edges(&info);
            let label = |from: &str, to: Option<&str>| {
                edges.iter().find(|e| e.from == from && e.to.as_deref() == to).map(|e| e.label.clone())
            };
            assert_eq!(label("credit_scoring", Some("manual_scoring")).as_deref(), Some("fails 10%"));
            assert_eq!(
                label("credit_scoring", Some("offer")).as_deref(),
                Some(format!("touchless {}", pct(0.9 * 0.45)).as_str())
            );
            assert_eq!(label("credit_scoring", Some("underwriting")).as_deref(), Some(pct(0.9 * 0.55).as_str()));
            assert!(label("manual_scoring", Some("underwriting")).is_some(), "manual_scoring has no arrow");
            assert!(label("manual_scoring", Some("doc_check")).is_some_and(|l| l.starts_with("rework ")));
        }
        if v.name == "baseline" {
            let edges = diagram_edges(&info);
            let doc = edges.iter().find(|e| e.from == "doc_check" && e.to.as_deref() == Some("doc_check"));
            assert_eq!(doc.map(|e| e.label.as_str()), Some("rework 30%"), "doc_check redo loop");
        }
    }
}

/// Charts without information are not written, and the report says which were left out and
/// why (issue #19 item 8): no abandonment chart when nobody can abandon, no staff-cost chart
/// when the cost is fixed and equal in every variant, no queue chart for a pure delay.
#[test]
fn degenerate_charts_are_left_out_and_the_report_says_so() {
    let r = results("degenerate.toml");
    let dir = temp_dir("degenerate");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let cd = dir.join("charts");
    let exists = |stem: &str| cd.join(format!("{stem}.png")).exists();
    for gone in ["kpi-abandon-rate", "kpi-staff-cost", "queue-1-app-form"] {
        assert!(!exists(gone), "{gone} was written although it carries no information");
    }
    for kept in ["queue-2-teller", "kpi-wait-mean", "wait-by-arrival-hour"] {
        assert!(exists(kept), "{kept} missing");
    }
    let html = read(&dir.join("report.html"));
    for want in [
        "No queue chart for “app_form”: nobody waited there",
        "No abandonment chart: it is 0% in every replication of every variant",
        "No staff cost chart: it is 120 in every replication of every variant",
    ] {
        assert!(html.contains(want), "report does not say {want:?}");
    }
}

/// Draws characters in equal cells, black on white, in one font family.
struct GlyphCells {
    family: &'static str,
    chars: Vec<char>,
}

const CELL: u32 = 120;

impl charts::Chart for GlyphCells {
    fn size(&self) -> (u32, u32) {
        (CELL * self.chars.len() as u32, CELL)
    }
    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        use plotters::prelude::*;
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        for (i, c) in self.chars.iter().enumerate() {
            let style = TextStyle::from((self.family, 80.0).into_font()).color(&BLACK);
            root.draw(&Text::new(c.to_string(), (i as i32 * CELL as i32 + 20, 20), style))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// A Chinese scenario title renders with real glyphs in the PNG (issue #19 item 12): the font
/// is found through the platform's font list, and each character's pixels differ from the
/// missing-glyph box and from each other (boxes are all alike). Skipped with a notice when
/// the machine has no CJK font (CI installs fonts-noto-cjk).
#[test]
fn chinese_title_renders_real_glyphs_in_png() {
    let title = "城东支行";
    let font = fonts::choose(None, &[title]).unwrap();
    if !font.missing.is_empty() {
        eprintln!("notice: no CJK font installed (install fonts-noto-cjk); glyph check skipped ({font:?})");
        return;
    }
    // A private-use character no font has: drawn as the font's missing-glyph box.
    let mut chars: Vec<char> = title.chars().collect();
    chars.push('\u{10FFFD}');
    let (_, png) = charts::render(
        &GlyphCells { family: font.family, chars: chars.clone() },
        &charts::Stamp::new(title, "h", 1, 1, "0"),
    )
    .unwrap();
    let mut dec = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut buf = vec![0; dec.output_buffer_size()];
    let info = dec.next_frame(&mut buf).unwrap();
    let w = info.width as usize;
    // Ink mask of each cell.
    let cell = |k: usize| -> Vec<bool> {
        let mut m = Vec::new();
        for y in 0..CELL as usize {
            for x in k * CELL as usize..(k + 1) * CELL as usize {
                m.push(buf[(y * w + x) * 3] < 128);
            }
        }
        m
    };
    let notdef = cell(chars.len() - 1);
    let glyphs: Vec<Vec<bool>> = (0..title.chars().count()).map(cell).collect();
    let differ = |a: &[bool], b: &[bool]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    for (k, g) in glyphs.iter().enumerate() {
        let ink = g.iter().filter(|x| **x).count();
        assert!(ink > 200, "character {k} of {title:?} has no ink ({ink} pixels) in {}", font.source);
        // A real glyph differs from the box in many pixels (anti-aliasing alone moves few).
        assert!(differ(g, &notdef) > 300, "character {k} of {title:?} renders as the missing-glyph box");
        for (j, h) in glyphs.iter().enumerate().skip(k + 1) {
            assert!(differ(g, h) > 300, "characters {k} and {j} of {title:?} render alike (boxes)");
        }
    }
}

/// Simulates a shipped scenario with few replications.
fn shipped(file: &str, reps: &str) -> Results {
    let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let loaded = scenario::load_file(Path::new(&path)).unwrap_or_else(|e| panic!("{}", e.render()));
    let Command::Run(args) =
        Cli::try_parse_from(["branchsim", "run", &path, "-q", "--threads", "2", "--replications", reps])
            .unwrap()
            .command
    else {
        unreachable!()
    };
    run::simulate(&loaded, &args, None).unwrap().results
}

/// (x, y, text) of every `<text>` element with numeric x and y attributes.
fn svg_placed_texts(svg: &str) -> Vec<(f64, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[i..].split('"').next()?.parse().ok()
    };
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let (Some(gt), Some(end)) = (rest.find('>'), rest.find("</text>")) else { break };
        if let (Some(x), Some(y)) = (attr(&rest[..gt], "x"), attr(&rest[..gt], "y")) {
            out.push((x, y, rest[gt + 1..end].trim().to_string()));
        }
        rest = &rest[end + 7..];
    }
    out
}

/// Multi-day charts are readable (issue #19 item 6): on loan_approval (35 days, 4 h bins, an
/// office calendar) the heatmap and the wait-by-arrival chart name their real bin in the
/// title, leave out the closed nights and weekends, label days instead of overprinted clock
/// times, and no two axis labels overlap. The old charts said "by hour" and wrote a clock
/// label every 12 h ("d1 08:00", "d1 20:00", …) that overprinted each other.
#[test]
fn multi_day_charts_state_their_bin_and_labels_do_not_overlap() {
    let r = shipped("loan_approval.toml", "4");
    let dir = temp_dir("multiday");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let cd = dir.join("charts");
    for (stem, title) in [
        ("utilisation-heatmap", "staff utilisation per 4 h, open hours only"),
        ("wait-by-arrival-hour", "mean wait by arrival time (per 4 h, open hours only)"),
    ] {
        let svg = read(&cd.join(format!("{stem}.svg")));
        let texts = svg_placed_texts(&svg);
        assert!(texts.iter().any(|t| t.2.ends_with(title)), "{stem}: title lacks the bin: {:?}", &texts[..3]);
        assert!(!texts.iter().any(|t| t.2.contains("by hour")), "{stem} says by hour");
        // Axis labels: day numbers, at most a handful per row, never overlapping.
        let days: Vec<&(f64, f64, String)> = texts.iter().filter(|t| day_of_label(&t.2).is_some()).collect();
        assert!(days.len() >= 3, "{stem}: no day labels: {texts:?}");
        assert!(!texts.iter().any(|t| t.2.starts_with("d1 ")), "{stem}: clock labels on a multi-day axis");
        let mut rows: std::collections::BTreeMap<i64, Vec<(f64, usize)>> = Default::default();
        for (x, y, t) in &days {
            rows.entry(y.round() as i64).or_default().push((*x, t.chars().count()));
        }
        for (y, mut row) in rows {
            row.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(row.len() <= 16, "{stem}: {} labels in row {y}", row.len());
            for w in row.windows(2) {
                // A tick label is drawn centred, about 0.6 em (16 px) a character.
                let room = (w[0].1 + w[1].1) as f64 / 2.0 * 9.6;
                assert!(w[1].0 - w[0].0 > room, "{stem}: labels at x = {} and {} overlap", w[0].0, w[1].0);
            }
        }
    }
}

/// The day number of a multi-day axis label: "Mon d8" (weekday known) or "day 8".
fn day_of_label(t: &str) -> Option<i64> {
    let n = t.strip_prefix("day ").or_else(|| t.split_once(" d").map(|(_, n)| n))?;
    n.parse().ok()
}

/// Multi-day axes name the weekday (issue #19): summary.json's model section records the start
/// clock and weekday, and every day label of the heatmap, the wait-by-arrival chart and the
/// queue charts is "Wed d1", "Thu d2", … counted from the scenario's `start_day`. The old
/// labels said "day 8" and summary.json did not say on which weekday t = 0 falls.
#[test]
fn multi_day_axes_name_weekdays_from_the_start_day() {
    let path = format!("{}/scenarios/loan_approval.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap().replace("start_day = \"mon\"", "start_day = \"wed\"");
    assert!(text.contains("start_day = \"wed\""));
    let loaded = scenario::load_str(&text, "loan_wed.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let Command::Run(args) = Cli::try_parse_from([
        "branchsim",
        "run",
        "loan_wed.toml",
        "-q",
        "--threads",
        "2",
        "-n",
        "2",
        "--variant",
        "shared_crm",
    ])
    .unwrap()
    .command
    else {
        unreachable!()
    };
    let r = run::simulate(&loaded, &args, None).unwrap().results;
    let dir = temp_dir("weekdays");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    let start = &v["variants"]["baseline"]["model"]["start"];
    assert_eq!(start["weekday"], "wed", "{start}");
    assert_eq!(start["clock"], "08:00", "{start}");
    assert_eq!(start["clock_minutes"], 480.0, "{start}");
    assert!(read(&dir.join("report.html")).contains("<dd>Wednesday 08:00 for "), "the report names the start day");
    let names = ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"];
    for stem in ["utilisation-heatmap", "wait-by-arrival-hour", "queue-2-doc-check"] {
        let svg = read(&dir.join(format!("charts/{stem}.svg")));
        let labels: Vec<String> =
            svg_placed_texts(&svg).into_iter().map(|t| t.2).filter(|t| day_of_label(t).is_some()).collect();
        assert!(labels.len() >= 3, "{stem}: no day labels");
        for l in &labels {
            let d = day_of_label(l).unwrap();
            let want = format!("{} d{d}", names[((d - 1) % 7) as usize]);
            assert_eq!(l, &want, "{stem}: day label");
        }
    }
}

/// Queue charts of three or more variants are small multiples (issue #19 item 7): one panel
/// per variant on one scale, each with the baseline as a dashed reference, so no variant's
/// band hides another and the baseline is always visible.
#[test]
fn queue_chart_gives_each_variant_a_panel_with_the_baseline() {
    let r = results("tiny.toml");
    let dir = temp_dir("multiples");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let p = dir.join("charts/queue-2-teller.png");
    let (_, h) = png_size(&p);
    assert!(h >= 120 + 230 * 3, "three panels need room: {h}");
    let texts = svg_texts(&read(&dir.join("charts/queue-2-teller.svg")));
    for caption in ["baseline", "extra_teller", "fewer_visits"] {
        assert!(texts.iter().any(|t| t == caption), "no panel {caption:?}: {texts:?}");
    }
    assert!(has(&texts, "dashed: baseline mean"));
    // Two variants: one overlaid panel still reads well.
    let mut two = r.clone();
    two.variants.truncate(2);
    two.comparison = None;
    let dir2 = temp_dir("two-variants");
    charts::write_charts_and_report(&two, &dir2, None).unwrap();
    assert_eq!(png_size(&dir2.join("charts/queue-2-teller.png")).1, 700);
}

/// The KPI charts tell the report's story (issue #19): with the scenario's objective (loan:
/// working-time cycle, not a headline KPI) the first KPI chart is the objective's, says so and
/// which direction is better; the report's recommended variant is labelled "recommended" in
/// every KPI chart and no other variant is; a constraint is drawn and named; service-level
/// charts say "served within 8 h" and the arrivals-based one exists when customers abandon.
/// The old charts ignored the objective and the winner and said "waited at most".
#[test]
fn kpi_charts_show_the_objective_and_the_recommended_variant() {
    use branchsim::report::verdict;
    let r = shipped("loan_approval.toml", "3");
    let v = verdict::verdict(&r);
    let winner = v.winner.clone().expect("loan has a recommendation");
    let dir = temp_dir("story");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let html = read(&dir.join("report.html"));
    let first_kpi = html.find("id=\"chart-kpi-").map(|i| &html[i + 10..]).unwrap();
    assert!(first_kpi.starts_with("kpi-cycle-time-work-mean"), "objective chart not first: {}", &first_kpi[..40]);
    let obj = read(&dir.join("charts/kpi-cycle-time-work-mean.svg"));
    let texts = svg_texts(&obj);
    assert!(texts[0].ends_with("objective: mean cycle time in working time"), "{texts:?}");
    assert!(has(&texts, "mean cycle time in working time (h) — lower is better"), "{texts:?}");
    let mut charts_seen = 0;
    for e in std::fs::read_dir(dir.join("charts")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("kpi-") && name.ends_with(".svg")) {
            continue;
        }
        charts_seen += 1;
        let texts = svg_texts(&read(&p));
        let rec: Vec<&String> = texts.iter().filter(|t| t.contains("recommended") && !t.starts_with("ring:")).collect();
        assert_eq!(rec.len(), 1, "{name}: {rec:?}");
        assert!(has(&texts, "ring: recommended variant"), "{name}: {texts:?}");
        // The label sits over the winner's own interval: the texts after the axis labels
        // follow the variants' order.
        let legend = texts.iter().position(|t| t == "Variant").unwrap();
        let notes = &texts[legend - r.variants.len()..legend];
        let at = r.variants.get_index_of(&winner).unwrap();
        assert!(notes[at].ends_with("recommended"), "{name}: {notes:?}");
        assert!(!texts.iter().any(|t| t.starts_with("waited at most")), "{name}: the old axis wording");
    }
    assert!(charts_seen >= 3);
    let sl = svg_texts(&read(&dir.join("charts/kpi-service-level.svg")));
    assert!(has(&sl, "service level (served within 8 h)"), "{sl:?}");

    // A constraint on the service level is drawn and named; downtown abandons, so the
    // arrivals-based service level gets its chart.
    let path = format!("{}/scenarios/downtown_branch.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "[[customers]]",
        "objective = { kpi = \"staff_cost\", direction = \"minimise\", constraint = \"service_level >= 0.85\" }\n\n[[customers]]",
        1,
    );
    let loaded = scenario::load_str(&text, "dt.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let Command::Run(args) = Cli::try_parse_from(["branchsim", "run", "dt.toml", "-q", "-n", "3"]).unwrap().command
    else {
        unreachable!()
    };
    let r = run::simulate(&loaded, &args, None).unwrap().results;
    let dir = temp_dir("story-constraint");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let sl = svg_texts(&read(&dir.join("charts/kpi-service-level.svg")));
    assert!(has(&sl, "constraint >= 85%"), "{sl:?}");
    // A share's change is in points, as in the terminal ("+3.7 pp"), not a relative percent.
    for d in r.comparison.as_ref().unwrap().differences.iter().filter(|d| d.kpi == "service_level") {
        let pp = format!("{:+.1} pp", d.diff * 100.0).replace('-', "−");
        assert!(sl.iter().any(|t| t.starts_with(&pp)), "{}: {pp} not in {sl:?}", d.variant);
    }
    let arr = svg_texts(&read(&dir.join("charts/kpi-service-level-arrivals.svg")));
    assert!(has(&arr, "service level of arrivals (within 5 min)"), "{arr:?}");
    assert!(arr.iter().any(|t| t.contains("gave-ups count as late")), "{arr:?}");
}

/// Boxes of the process diagram: (x, y, width, height) of every `<rect>` but the background.
fn diagram_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[i..].split('"').next()?.parse().ok()
    };
    svg.split("<rect")
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>')?];
            Some((attr(tag, "x")?, attr(tag, "y")?, attr(tag, "width")?, attr(tag, "height")?))
        })
        .collect()
}

/// The process diagram's arrow labels stay clear of every box, and an arrow that skips
/// columns never leaves or enters a box through another box of its column (issue #19 review:
/// account_opening's "touchless 51%" and "fails 15%" lay over the boxes in a fixed 31 px gap,
/// loan's "parallel 100%" touched credit_scoring, and due_diligence's arrow to account_setup
/// ran up behind kyc_screening so that it read as kyc_screening's).
#[test]
fn diagram_labels_and_arrows_keep_clear_of_the_boxes() {
    use branchsim::report::charts::diagram::process_svg;
    for (file, variant) in [("account_opening_rpa.toml", "lean_team"), ("loan_approval.toml", "parallel_checks")] {
        let r = shipped(file, "2");
        let svg = process_svg(&r.variants[variant].model, "h", variant);
        let boxes = diagram_boxes(&svg);
        assert!(boxes.len() >= 6, "{file}: {boxes:?}");
        // Arrow labels: 14 px text, centred; DejaVu Sans digits and letters are at most
        // 0.64 em on average, the ascent 0.76 em, the descent 0.24 em.
        let labels: Vec<(f64, f64, String)> = svg_placed_texts(&svg)
            .into_iter()
            .filter(|t| {
                svg.contains(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"14\"",
                    t.0, t.1
                ))
            })
            .collect();
        assert!(labels.iter().any(|l| l.2.contains('%')), "{file}: no arrow labels: {labels:?}");
        for (x, y, t) in &labels {
            let w = t.chars().count() as f64 * 0.64 * 14.0;
            let (l, r_, top, bottom) = (x - w / 2.0, x + w / 2.0, y - 0.76 * 14.0, y + 0.24 * 14.0);
            for (bx, by, bw, bh) in &boxes {
                let apart = r_ <= *bx || l >= bx + bw || bottom <= *by || top >= by + bh;
                assert!(apart, "{file} {variant}: label “{t}” at ({x}, {y}) overlaps the box at ({bx}, {by})");
            }
        }
        // Arrows start and end on a box's top or bottom edge only where no other box of the
        // same column lies on that side.
        for d in svg.split("<path d=\"M").skip(1) {
            let nums: Vec<f64> =
                d[..d.find('"').unwrap()].split([',', ' ', 'C']).filter_map(|n| n.parse().ok()).collect();
            let ends = [(nums[0], nums[1]), (nums[nums.len() - 2], nums[nums.len() - 1])];
            for (px, py) in ends {
                for (bx, by, bw, bh) in &boxes {
                    if px < *bx || px > bx + bw {
                        continue;
                    }
                    let on_top = (py - by).abs() < 3.0;
                    let on_bottom = (py - (by + bh)).abs() < 3.0;
                    for (ox, oy, _, oh) in &boxes {
                        if (ox - bx).abs() > 0.5 || oy == by {
                            continue;
                        }
                        assert!(
                            !(on_top && *oy < *by),
                            "{file} {variant}: arrow leaves the top of ({bx}, {by}) through ({ox}, {oy})"
                        );
                        assert!(
                            !(on_bottom && oy + oh > by + bh),
                            "{file} {variant}: arrow leaves the bottom of ({bx}, {by}) through ({ox}, {oy})"
                        );
                    }
                }
            }
        }
    }
}

/// The end of the process is worded from the model: back-office cases (loan files, account
/// openings) are "case complete", not customers who "leave the branch"; a branch where
/// customers can give up keeps people who leave once served.
#[test]
fn diagram_end_is_worded_from_the_model() {
    use branchsim::report::charts::diagram::process_svg;
    let loan = shipped("loan_approval.toml", "2");
    let m = &loan.variants["baseline"].model;
    assert!(m.customers.iter().all(|c| c.case), "loan applications are cases in summary.json");
    let svg = process_svg(m, "h", "baseline");
    assert!(svg.contains(">case complete</text>"), "{svg}");
    assert!(!svg.contains("branch</text>"));
    let branch = shipped("downtown_branch.toml", "2");
    let svg = process_svg(&branch.variants["baseline"].model, "min", "baseline");
    assert!(svg.contains(">served, leaves</text>"));
}

/// (value, y) of the y-axis tick labels and the top of the y axis of a plotters chart.
fn y_axis(svg: &str) -> (Vec<(f64, f64)>, f64) {
    let mut axis: Option<(f64, f64)> = None; // (x, top y)
    for p in svg.split("<polyline").skip(1) {
        let Some(i) = p.find("points=\"") else { continue };
        let pts: Vec<(f64, f64)> = p[i + 8..]
            .split('"')
            .next()
            .unwrap()
            .split_whitespace()
            .filter_map(|xy| xy.split_once(',').and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?))))
            .collect();
        if p.contains("stroke=\"#000000\"")
            && pts.len() == 2
            && pts[0].0 == pts[1].0
            && (pts[0].1 - pts[1].1).abs() > 100.0
        {
            axis = Some((pts[0].0, pts[0].1.min(pts[1].1)));
            break;
        }
    }
    let (ax, top) = axis.expect("a y axis");
    let ticks = svg_placed_texts(svg)
        .into_iter()
        .filter(|t| t.0 < ax)
        .filter_map(|t| Some((t.2.replace('%', "").parse::<f64>().ok()?, t.1)))
        .collect();
    (ticks, top)
}

/// A share's axis ends at 100% at most (issue #19 review: the service-level chart of
/// smart_customer_service, with variants near 98%, ran up to ~104%), and the change labels
/// stay clear of the baseline's dashed line (loan's "−6.7% *" of parallel_checks sat on it).
#[test]
fn share_axes_stop_at_100_and_labels_clear_the_baseline() {
    let r = shipped("smart_customer_service.toml", "3");
    let dir = temp_dir("pct-axis");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    let svg = read(&dir.join("charts/kpi-service-level.svg"));
    let (ticks, top) = y_axis(&svg);
    assert!(ticks.len() >= 2, "{ticks:?}");
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    let at_top = a.0 + (top - a.1) * (b.0 - a.0) / (b.1 - a.1);
    assert!(at_top <= 100.5, "the service-level axis reaches {at_top:.1}%");
    assert!(ticks.iter().all(|t| t.0 <= 100.0), "{ticks:?}");

    for (file, chart) in
        [("loan_approval.toml", "kpi-cycle-time-work-mean"), ("smart_customer_service.toml", "kpi-service-level")]
    {
        let r = if file.starts_with("smart") { r.clone() } else { shipped(file, "3") };
        let dir = temp_dir(&format!("labels-{chart}"));
        charts::write_charts_and_report(&r, &dir, None).unwrap();
        let svg = read(&dir.join(format!("charts/{chart}.svg")));
        // The baseline's dashed line: grey segments all at one y.
        let line_y: Vec<f64> = svg
            .split("<polyline")
            .skip(1)
            .filter(|p| p.contains("stroke=\"#808080\" stroke-width=\"2\""))
            .filter_map(|p| {
                let i = p.find("points=\"")? + 8;
                let first = p[i..].split_whitespace().next()?;
                first.split_once(',')?.1.parse().ok()
            })
            .collect();
        assert!(!line_y.is_empty(), "{chart}: no baseline line");
        let base = line_y[0];
        let size = 12.903225806451614;
        for (x, y, t) in svg_placed_texts(&svg) {
            if !(t.ends_with(" *") || t.contains(" n.s.") || t.contains(" *") || t.contains("no change")) {
                continue;
            }
            // Labels above an interval are bottom-anchored (dy="-0.5ex"), below it top-anchored.
            let tag_end = svg.find(&format!("<text x=\"{x}\" y=\"{y}\"")).unwrap();
            let bottom_anchored = svg[tag_end..tag_end + 120].contains("dy=\"-0.5ex\"");
            let (top, bottom) = if bottom_anchored { (y - size, y) } else { (y, y + size) };
            assert!(
                base < top - 1.0 || base > bottom + 1.0,
                "{chart}: label “{t}” spans y {top:.0}–{bottom:.0} across the baseline line at {base}"
            );
        }
    }
}
