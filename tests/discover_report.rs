//! The fit report of `branchsim discover` tells the truth: every figure the page prints is read
//! back from the HTML and checked against the scenario written beside it (fitted family and
//! parameters, sample sizes, routing probabilities, arrivals per weekday, staff), and the page
//! keeps the report conventions (no script, no request, names escaped, PNG charts written).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use rand::SeedableRng;
use rand_distr::Distribution;

fn bin(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into())
}

/// A month of a small back office: 40 cases a weekday, intake → check (30% back to intake
/// once) → decide, three roles; one activity name in Chinese and one full of markup.
fn synthetic_log(path: &Path) {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let intake = rand_distr::LogNormal::new(2.3, 0.4).unwrap();
    let check = rand_distr::Exp::new(1.0 / 25.0).unwrap();
    let decide = rand_distr::Gamma::new(4.0, 5.0).unwrap();
    let u = rand_distr::Uniform::new(0.0f64, 1.0).unwrap();
    let mut csv = String::from("case,activity,start,end,resource\n");
    let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(); // a Monday
    let mut case = 0;
    for d in 0..28 {
        let date = day0 + chrono::Days::new(d);
        if d % 7 >= 5 {
            continue;
        }
        for _ in 0..40 {
            case += 1;
            let mut t = 9.0 * 60.0 + u.sample(&mut rng) * 7.0 * 60.0;
            let mut steps = vec![("受理 intake", intake.sample(&mut rng), "clerk")];
            steps.push(("<b>check</b> & \"verify\"", check.sample(&mut rng), "analyst"));
            if u.sample(&mut rng) < 0.3 {
                steps.push(("受理 intake", intake.sample(&mut rng), "clerk"));
                steps.push(("<b>check</b> & \"verify\"", check.sample(&mut rng), "analyst"));
            }
            steps.push(("decide", decide.sample(&mut rng), "officer"));
            for (k, (act, dur, role)) in steps.into_iter().enumerate() {
                t += 5.0;
                let stamp = |m: f64| {
                    (date.and_hms_opt(0, 0, 0).unwrap() + chrono::TimeDelta::seconds((m * 60.0) as i64))
                        .format("%Y-%m-%dT%H:%M:%S")
                        .to_string()
                };
                let who = format!("{role}-{}", (case + k) % 3 + 1);
                let name =
                    if act.contains(['"', ',']) { format!("\"{}\"", act.replace('"', "\"\"")) } else { act.into() };
                let _ = writeln!(csv, "{case},{name},{},{},{who}", stamp(t), stamp(t + dur));
                t += dur;
            }
        }
    }
    std::fs::write(path, csv).unwrap();
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The rows (`<tr …>…</tr>`) of the table with `id`, each as (attributes of the row, class
/// of each cell → its text with tags removed and entities decoded).
fn table(html: &str, id: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let start = html.find(&format!("<table id=\"{id}\">")).unwrap_or_else(|| panic!("no table #{id}"));
    let body = &html[start..start + html[start..].find("</table>").unwrap()];
    let mut rows = Vec::new();
    for tr in body.split("<tr").skip(1) {
        let (attrs, rest) = tr.split_once('>').unwrap();
        let mut cells = BTreeMap::new();
        for td in rest.split("<td").skip(1) {
            let (a, inner) = td.split_once('>').unwrap();
            let inner = inner.split("</td>").next().unwrap();
            let class = a.split("class=\"").nth(1).map_or("", |c| c.split('"').next().unwrap());
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            for k in class.split_whitespace() {
                cells.insert(k.to_string(), unescape(&text));
            }
        }
        if !cells.is_empty() {
            rows.push((attrs.to_string(), cells));
        }
    }
    rows
}

/// Per `[[steps]]` block of the scenario text: name, the `service = …` value as written, and
/// the n of its `# service fit:` comment.
fn scenario_steps(text: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for block in text.split("[[steps]]\n").skip(1) {
        let get = |key: &str| block.lines().find_map(|l| l.strip_prefix(key)).unwrap().to_string();
        let name_line = get("name = ");
        let name: String = toml::from_str::<toml::Table>(&format!("n = {}", name_line.split("   ").next().unwrap()))
            .map(|t| t["n"].as_str().unwrap().to_string())
            .unwrap_or_else(|e| panic!("{name_line}: {e}"));
        let service = get("service = ");
        let n: u64 = get("# service fit: n = ").split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
        out.push((name, service, n));
    }
    out
}

#[test]
fn the_fit_report_shows_what_the_scenario_says() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("backoffice.csv");
    synthetic_log(&log);
    let out = dir.path().join("as_is.toml");
    let (code, err) = bin(&["discover", log.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let rdir = dir.path().join("as_is_fit");
    assert!(err.contains("fit_report.html"), "{err}");
    let html = std::fs::read_to_string(rdir.join("fit_report.html")).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();

    // Conventions of the run report: no script, nothing fetched, names escaped.
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.to_lowercase().contains("<script"));
    assert!(!html.contains("<b>check</b>"), "a name's markup must be escaped");
    assert!(html.contains("&lt;b&gt;check&lt;/b&gt; &amp; &quot;verify&quot;"));
    assert!(html.contains("受理 intake"), "UTF-8 names survive");

    // Durations: family, parameters (the scenario's `service` verbatim) and sample size.
    let rows = table(&html, "durations");
    let steps = scenario_steps(&text);
    assert_eq!(rows.len(), steps.len(), "one row per step with a fit");
    for ((_, cells), (name, service, n)) in rows.iter().zip(&steps) {
        assert_eq!(&cells["step"], name);
        assert_eq!(&cells["service"], service, "{name}");
        assert_eq!(cells["n"].parse::<u64>().unwrap(), *n, "{name}");
        assert!(service.contains(&format!("dist = \"{}\"", cells["family"])), "{name}: {service}");
    }
    // The generating families are recognised (durations are whole seconds: about 0.3% of
    // these means, far below the fits' standard errors with ≥ 800 values).
    let fam: BTreeMap<&str, &str> = rows.iter().map(|(_, c)| (c["step"].as_str(), c["family"].as_str())).collect();
    assert_eq!(fam["受理 intake"], "lognormal");
    assert_eq!(fam["decide"], "gamma");

    // Routing: every probability of the page equals the scenario's `next`.
    let mut page: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (attrs, c) in table(&html, "routing-table") {
        if !attrs.contains("end") {
            page.insert((c["from"].clone(), c["to"].clone()), c["p"].parse().unwrap());
        }
    }
    let mut file: BTreeMap<(String, String), f64> = BTreeMap::new();
    for s in doc["steps"].as_array().unwrap() {
        let from = s["name"].as_str().unwrap();
        for r in s.get("next").and_then(|n| n.as_array()).into_iter().flatten() {
            // `p = 1` is a TOML integer.
            let p = r["p"].as_float().or_else(|| r["p"].as_integer().map(|i| i as f64)).unwrap();
            file.insert((from.into(), r["step"].as_str().unwrap().into()), p);
        }
    }
    assert_eq!(page, file);
    assert_eq!(page.len(), 3, "intake → check, check → intake (rework), check → decide: {page:?}");

    // Arrivals per weekday equal the scenario's comments (`#   mon (n = 160 over 4 days)`).
    for (attrs, c) in table(&html, "arrival-days") {
        let day = attrs.split('"').nth(1).unwrap();
        let n: u64 = c["n"].parse().unwrap();
        let comment = format!("#   {day} (n = {n} over ");
        assert!(n == 0 || text.contains(&comment), "{comment} not in the scenario");
        assert_eq!(n, if day == "sat" || day == "sun" { 0 } else { 160 }, "{day}");
    }

    // Staff per pool equals the scenario's resources.
    let staff: BTreeMap<String, i64> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r["staff"].as_integer().unwrap()))
        .collect();
    let shown: BTreeMap<String, i64> = table(&html, "pools-table")
        .into_iter()
        .map(|(a, c)| (unescape(a.split('"').nth(1).unwrap()), c["staff"].parse().unwrap()))
        .collect();
    assert_eq!(shown, staff);

    // The charts: PNG files, and the same charts inline.
    let pngs: Vec<_> = std::fs::read_dir(rdir.join("charts")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(pngs.len(), 2 + steps.len(), "arrivals, staffing and one per activity: {pngs:?}");
    for p in &pngs {
        let bytes = std::fs::read(p).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", p.display());
    }
    assert_eq!(html.matches("<figure class=\"chart\"").count(), pngs.len());
    assert!(html.contains("id=\"routing-graph\""), "the process diagram");
}

#[test]
fn no_report_and_report_dir() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("backoffice.csv");
    synthetic_log(&log);
    let out = dir.path().join("a.toml");
    let (code, err) = bin(&["discover", log.to_str().unwrap(), "-o", out.to_str().unwrap(), "--no-report"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_file() && !dir.path().join("a_fit").exists());
    let rdir = dir.path().join("review");
    let (code, err) =
        bin(&["discover", log.to_str().unwrap(), "-o", out.to_str().unwrap(), "--report", rdir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(rdir.join("fit_report.html").is_file());
    // A report folder that cannot be written: an error, exit 2, and no scenario either.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "x").unwrap();
    let out2 = dir.path().join("b.toml");
    let (code, err) =
        bin(&["discover", log.to_str().unwrap(), "-o", out2.to_str().unwrap(), "--report", blocked.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a folder"), "{err}");
    assert!(!out2.exists(), "nothing half-written");
}

/// The walk-through of scenarios/README.md ("From your data"): every command of the marked
/// block runs and succeeds, with `output/` redirected to a temporary folder, and the files the
/// text names appear.
#[test]
fn from_your_data_walkthrough_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/scenarios/README.md")).unwrap();
    let at = text.find("<!-- walkthrough:from-your-data -->").expect("the marked walk-through");
    let body = &text[at..];
    let a = body.find("```sh\n").unwrap() + 6;
    let b = body[a..].find("```").unwrap() + a;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let mut ran = 0;
    for line in body[a..b].lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| {
                if let Some(rest) = w.strip_prefix("output") {
                    format!("{out}{rest}")
                } else if w.starts_with("tests/") {
                    format!("{root}/{w}")
                } else {
                    w.to_string()
                }
            })
            .collect();
        assert_eq!(words[0], "branchsim", "{line}");
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let (code, err) = bin(&args);
        assert_eq!(code, 0, "`{line}` failed:\n{err}");
        ran += 1;
    }
    assert_eq!(ran, 4);
    assert!(dir.path().join("my_branch_fit/fit_report.html").is_file());
    assert!(dir.path().join("my_branch_fit/charts/arrivals.png").is_file());
}
