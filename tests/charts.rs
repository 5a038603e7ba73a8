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
    run::simulate(&loaded, &args).unwrap().results
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
    stems.extend(["queue-1-reception", "queue-2-teller", "queue-3-advisor"].map(String::from));
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
    assert!(has(&texts("kpi-service-level"), "waited at most 5 min (%)"));
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
        "teller: staff 4, 3, 4 (was 3, 2, 3)",
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
    // Non-ASCII step names get numbered ASCII file names.
    for stem in ALWAYS.iter().map(|s| s.to_string()).chain(["queue-1".into(), "queue-2".into()]) {
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

#[test]
fn single_variant_and_sweep_heatmap() {
    let mut r = results("tiny.toml");
    r.variants.truncate(1);
    r.comparison = None;
    let dir = temp_dir("single");
    charts::write_charts_and_report(&r, &dir, None).unwrap();
    for stem in ALWAYS {
        assert!(dir.join(format!("charts/{stem}.svg")).exists(), "{stem}");
    }
    let html = read(&dir.join("report.html"));
    assert!(html.contains("Only the baseline was simulated"));

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
    let out = charts::sweep_heatmap(&grid, &font).unwrap();
    assert!(out.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let texts = svg_texts(&out.svg);
    for want in ["resources.teller.staff", "arrival scale", "mean wait (min)", "9.5", "–", "grey: not run"] {
        assert!(has(&texts, want), "sweep heatmap lacks {want:?}: {texts:?}");
    }
}
