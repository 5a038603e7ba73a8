//! `branchsim check` and `branchsim record` as a CI pipeline sees them: exit codes, reports,
//! baselines, determinism. Fixtures: tests/fixtures/check/ (a small, fast branch).

use std::path::PathBuf;
use std::process::Command;

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

const BIN: &str = env!("CARGO_BIN_EXE_branchsim");

fn fixture(p: &str) -> String {
    format!("{}/tests/fixtures/check/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn scenario() -> String {
    fixture("scenarios/branch.toml")
}

fn expect(name: &str) -> String {
    fixture(&format!("expect/{name}.toml"))
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("check-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Out {
    run_env(args, &[])
}

#[track_caller]
fn assert_code(o: &Out, code: i32) {
    assert_eq!(
        o.code, code,
        "exit code {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
        o.code, o.stdout, o.stderr
    );
}

fn json(o: &Out) -> serde_json::Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", o.stdout))
}

#[test]
fn absolute_bounds_pass_fail_and_bad_input() {
    let s = scenario();
    let o = run(&["check", &s, "--expect", &expect("bound_pass")]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("PASS") && !o.stdout.contains("FAIL"), "{}", o.stdout);
    // The band, a list of variants, "every variant" and a bare number in the time unit.
    assert!(o.stdout.contains("baseline: service_level in [0.9, 1]"), "{}", o.stdout);
    assert!(o.stdout.contains("pricier: abandon_rate <= 15%"), "{}", o.stdout);
    assert!(o.stdout.contains("extra_clerk: steps.counter.wait_mean <= 2 min"), "{}", o.stdout);
    assert!(o.stdout.contains("8 check(s) in 1 file(s): 8 passed, 0 failed"), "{}", o.stdout);

    let o = run(&["check", &s, "--expect", &expect("bound_fail")]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("FAIL") && o.stdout.contains("waits under half a minute (baseline)"), "{}", o.stdout);
    assert!(o.stdout.contains("bound_fail.toml:10:7"), "the failure names file:line:col\n{}", o.stdout);
    assert!(o.stdout.contains("is above the maximum 30s"), "{}", o.stdout);

    let o = run(&["check", &s, "--expect", &expect("bound_bad")]);
    assert_code(&o, 2);
    assert!(o.stdout.is_empty(), "nothing is simulated or reported on bad input:\n{}", o.stdout);
    assert!(o.stderr.contains("bound_bad.toml:4:7") && o.stderr.contains("did you mean `wait_mean`?"), "{}", o.stderr);
    assert!(
        o.stderr.contains("bound_bad.toml:9:11") && o.stderr.contains("did you mean `extra_clerk`?"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("`served` is not a duration"), "{}", o.stderr);
}

#[test]
fn comparisons_pass_fail_and_bad_input() {
    let s = scenario();
    let o = run(&["check", &s, "--expect", &expect("compare_pass"), "--json"]);
    assert_code(&o, 0);
    let j = json(&o);
    let checks = j["files"][0]["checks"].as_array().cloned().unwrap_or_default();
    assert_eq!(checks.len(), 2);
    for c in &checks {
        assert_eq!(c["kind"], "comparison");
        assert_eq!(c["status"], "pass");
        // Two comparisons in the file: Bonferroni-adjusted 97.5% intervals.
        assert_eq!(c["ci_level"], 0.975);
        assert_eq!(c["comparison"]["bonferroni_m"], 2);
    }
    assert_eq!(checks[0]["comparison"]["direction"], "lower");
    assert!(checks[0]["ci"][1].as_f64().is_some_and(|hi| hi < 0.0));
    // service_level: higher is better by default.
    assert_eq!(checks[1]["comparison"]["direction"], "higher");
    assert!(checks[1]["ci"][0].as_f64().is_some_and(|lo| lo > 0.0));

    let o = run(&["check", &s, "--expect", &expect("compare_fail")]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("no significant difference"), "{}", o.stdout);
    assert!(o.stdout.contains("compare_fail.toml:5:7"), "{}", o.stdout);

    // The wrong way round: the baseline is not better than the extra clerk.
    let dir = scratch("compare-wrong-way");
    let f = dir.join("wrong.toml");
    std::fs::write(&f, "[[expect]]\nkpi = \"wait_mean\"\nvariant = \"baseline\"\nbetter_than = \"extra_clerk\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["check", &s, "--expect", &f.to_string_lossy()]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("baseline is higher than extra_clerk, not lower"), "{}", o.stdout);

    let o = run(&["check", &s, "--expect", &expect("compare_bad")]);
    assert_code(&o, 2);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(
        o.stderr.contains("compare_bad.toml:6:15") && o.stderr.contains("did you mean `baseline`?"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("unknown direction `down`"), "{}", o.stderr);
    assert!(o.stderr.contains("not both"), "{}", o.stderr);
}

#[test]
fn mode_ci_demands_the_interval_mode_mean_the_mean() {
    let s = scenario();
    let dir = scratch("mode");
    let wide = dir.join("wide.toml");
    std::fs::write(&wide, "[[expect]]\nkpi = \"wait_mean\"\nvariant = \"baseline\"\nmax = \"1h\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["check", &s, "--expect", &wide.to_string_lossy(), "--json"]);
    assert_code(&o, 0);
    let c = &json(&o)["files"][0]["checks"][0];
    let (mean, hi) = (c["value"].as_f64().unwrap_or(f64::NAN), c["ci"][1].as_f64().unwrap_or(f64::NAN));
    assert!(mean < hi, "{c}");
    // A bound between the mean and the upper end of its CI: the mean is inside, the CI is not.
    let tight = dir.join("tight.toml");
    std::fs::write(
        &tight,
        format!("[[expect]]\nkpi = \"wait_mean\"\nvariant = \"baseline\"\nmax = {}\n", (mean + hi) / 2.0),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = tight.to_string_lossy();
    let o = run(&["check", &s, "--expect", &t]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("not demonstrated"), "{}", o.stdout);
    let o = run(&["check", &s, "--expect", &t, "--mode", "ci"]);
    assert_code(&o, 1);
    let o = run(&["check", &s, "--expect", &t, "--mode", "mean"]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("bounds judged by the mean"), "{}", o.stdout);
}

#[test]
fn expectations_in_scenario_files_folders_and_globs() {
    let o = run(&["check", &fixture("scenarios/with_expect.toml")]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("5 check(s) in 1 file(s): 5 passed"), "{}", o.stdout);

    // A folder: every *.toml inside; files without expectations are reported as skipped.
    let o = run(&["check", &fixture("scenarios")]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("branch.toml — \"check fixture\": skipped"), "{}", o.stdout);
    assert!(o.stdout.contains("5 check(s) in 1 file(s)"), "{}", o.stdout);

    // A glob pattern the shell did not expand, with --expect applied to every file.
    let o = run(&["check", &fixture("scenarios/*.toml"), "--expect", &expect("compare_pass")]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("9 check(s) in 2 file(s): 9 passed"), "{}", o.stdout);
    let o = run(&["check", &fixture("**/with_*.toml")]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("5 check(s) in 1 file(s)"), "{}", o.stdout);

    // Several files, one failing: all are run and reported, the exit code says "failed".
    let o = run(&["check", &fixture("scenarios/with_expect.toml"), &scenario(), "--expect", &expect("bound_fail")]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("with_expect.toml — ") && o.stdout.contains("branch.toml — "), "{}", o.stdout);
    assert!(o.stdout.contains("2 failed"), "{}", o.stdout);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let s = scenario();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![s.clone()], "nothing to check"),
        (vec![fixture("scenarios/missing.toml")], "no such file"),
        (vec![fixture("nothing-matches-*.toml")], "no files match"),
        (vec![s.clone(), "--expect".into(), expect("bound_pass"), "--mode".into(), "median".into()], "median"),
        (vec![s.clone(), "--expect".into(), expect("bound_pass"), "-n".into(), "1".into()], "at least 2"),
        (vec![s.clone(), "--expect".into(), fixture("expect/missing.toml")], "cannot read"),
        (vec![s.clone(), "--expect".into(), s.clone()], "unknown key"),
        (vec![s.clone(), "--expect".into(), expect("bound_pass"), "--threads".into(), "0".into()], "--threads"),
        (vec![s.clone(), "--expect".into(), expect("bound_pass"), "--tolerance".into(), "5%".into()], "--baseline"),
    ];
    for (args, msg) in cases {
        let mut full = vec!["check".to_string()];
        full.extend(args);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let o = run(&refs);
        assert_code(&o, 2);
        assert!(o.stderr.contains(msg), "{refs:?}: stderr lacks {msg:?}:\n{}", o.stderr);
    }
    // A broken scenario file among good ones: nothing is simulated.
    let dir = scratch("broken");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "horizon = \"8h\"\nreplicatons = 3\n").unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["check", &fixture("scenarios/with_expect.toml"), &bad.to_string_lossy()]);
    assert_code(&o, 2);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("did you mean `replications`?"), "{}", o.stderr);
    // An expectations file that is not TOML.
    let broken = dir.join("broken-expect.toml");
    std::fs::write(&broken, "[[expect]\nkpi = 1\n").unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["check", &s, "--expect", &broken.to_string_lossy()]);
    assert_code(&o, 2);
    assert!(o.stderr.starts_with("error: TOML syntax error"), "{}", o.stderr);
    assert!(o.stderr.contains("broken-expect.toml:1:10\n"), "{}", o.stderr);
}

/// An element's name and decoded attributes.
fn element(e: &quick_xml::events::BytesStart<'_>) -> (String, Vec<(String, String)>) {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.unwrap_or_else(|err| panic!("bad attribute in <{name}>: {err}"));
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .unwrap_or_else(|err| panic!("bad attribute value in <{name}>: {err}"));
        attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v.into_owned()));
    }
    (name, attrs)
}

/// Checks that `xml` is well-formed XML (one root, balanced tags, valid references) and returns
/// the decoded attributes of every element, in document order.
fn parse_xml(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut r = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut elements = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                roots += usize::from(depth == 0);
                depth += 1;
                elements.push(element(&e));
            }
            Ok(Event::Empty(e)) => {
                roots += usize::from(depth == 0);
                elements.push(element(&e));
            }
            Ok(Event::End(_)) => {
                depth = depth.checked_sub(1).unwrap_or_else(|| panic!("unbalanced end tag"));
            }
            Ok(Event::GeneralRef(g)) => {
                let known = ["amp", "lt", "gt", "quot", "apos"];
                let name = String::from_utf8_lossy(&g).into_owned();
                let ok = known.contains(&name.as_str())
                    || g.resolve_char_ref().unwrap_or_else(|e| panic!("bad reference &{name};: {e}")).is_some();
                assert!(ok, "unknown entity &{name};");
            }
            Ok(Event::Text(t)) => {
                t.decode().unwrap_or_else(|e| panic!("bad text: {e}"));
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}\n{xml}", r.error_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert_eq!(roots, 1, "exactly one root element");
    elements
}

#[test]
fn junit_report_is_valid_xml() {
    let dir = scratch("junit");
    let xml_path = dir.join("reports/junit.xml");
    let x = xml_path.to_string_lossy().into_owned();
    let o = run(&[
        "check",
        &fixture("scenarios/with_expect.toml"),
        "--expect",
        &expect("bound_fail"),
        "--junit",
        &x,
        "--quiet",
    ]);
    assert_code(&o, 1);
    // --quiet: only the failure is printed.
    assert!(o.stdout.starts_with("FAIL "), "{}", o.stdout);
    let xml = std::fs::read_to_string(&xml_path).unwrap_or_else(|e| panic!("no JUnit file: {e}"));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let elements = parse_xml(&xml);
    let attr = |el: &(String, Vec<(String, String)>), k: &str| {
        el.1.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let root = &elements[0];
    assert_eq!(root.0, "testsuites");
    let cases: Vec<_> = elements.iter().filter(|e| e.0 == "testcase").collect();
    let failures = elements.iter().filter(|e| e.0 == "failure").count();
    // 5 expectations of the file (one per variant) + 2 from bound_fail.toml.
    assert_eq!(cases.len(), 7);
    assert_eq!(attr(root, "tests"), "7");
    assert_eq!(failures, 1);
    assert_eq!(attr(root, "failures"), "1");
    // Names from the scenario file survive escaping intact.
    assert!(cases.iter().any(|c| attr(c, "name") == "waits <1 min & \"fair\" for 'all' (extra_clerk)"), "{xml}");
    assert!(cases.iter().any(|c| attr(c, "name") == "waits under half a minute (baseline)"));
    let failing = elements.iter().find(|e| e.0 == "failure").map(|f| attr(f, "message")).unwrap_or_default();
    assert!(failing.contains("above the maximum 30s"), "{failing}");
    assert!(cases.iter().all(|c| !attr(c, "file").is_empty() && !attr(c, "classname").is_empty()));
}

#[test]
fn json_report_and_github_annotations() {
    let s = scenario();
    let o = run(&["check", &s, "--expect", &expect("bound_fail"), "--json"]);
    assert_code(&o, 1);
    let j = json(&o);
    assert_eq!(j["passed"], false);
    assert_eq!(j["mode"], "ci");
    assert_eq!(j["checks"], 2);
    assert_eq!(j["failed"], 1);
    let c = &j["files"][0]["checks"][1];
    assert_eq!(c["kind"], "bound");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["variant"], "baseline");
    assert_eq!(c["kpi"], "wait_mean");
    assert_eq!(c["unit"], "min");
    assert_eq!(c["max"], 0.5);
    assert_eq!(c["source"]["line"], 10);
    assert!(!o.stdout.contains("::error"), "no annotations outside GitHub Actions");

    let o = run_env(&["check", &s, "--expect", &expect("bound_fail")], &[("GITHUB_ACTIONS", "true")]);
    assert_code(&o, 1);
    let line = o.stdout.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("{}", o.stdout));
    assert!(
        line.contains("bound_fail.toml,line=10,col=7,title=branchsim check%3A waits under half a minute (baseline)::"),
        "{line}"
    );
    // With --json the annotations go to stderr so that stdout stays JSON.
    let o = run_env(&["check", &s, "--expect", &expect("bound_fail"), "--json"], &[("GITHUB_ACTIONS", "true")]);
    assert_code(&o, 1);
    let _ = json(&o);
    assert!(o.stderr.contains("::error file="), "{}", o.stderr);
    // Bad input is annotated too.
    let o = run_env(&["check", &s, "--expect", &expect("bound_bad")], &[("GITHUB_ACTIONS", "true")]);
    assert_code(&o, 2);
    assert!(o.stdout.contains("bound_bad.toml,line=4,col=7"), "{}", o.stdout);
}

#[test]
fn baseline_survives_a_new_seed_and_catches_a_staffing_change() {
    let dir = scratch("baseline");
    let s = scenario();
    let golden = dir.join("golden.json");
    let g = golden.to_string_lossy().into_owned();
    let o = run(&["record", &s, "--to", &g]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("seed 11, 40 replications"), "{}", o.stdout);
    let text = std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{e}"));
    let b: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b["format"], "branchsim-baseline");
    assert_eq!(b["seed"], 11);
    assert_eq!(b["replications"], 40);
    assert!(b["scenario"]["content_hash"].is_string() && b["branchsim_version"].is_string());
    assert!(b["variants"]["extra_clerk"]["wait_mean"]["sd"].as_f64().is_some_and(|x| x > 0.0));
    assert_eq!(b["variants"]["baseline"]["staff_cost"]["sd"], 0.0);

    // Same seed: identical numbers.
    let o = run(&["check", &s, "--baseline", &g]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("KPIs compared, 0 changed"), "{}", o.stdout);
    // Other seeds: noise must not fail the check.
    for seed in ["1", "2", "3", "4", "5"] {
        let o = run(&["check", &s, "--baseline", &g, "--seed", seed, "--quiet"]);
        assert_code(&o, 0);
        assert!(o.stdout.is_empty(), "{}", o.stdout);
    }
    // More replications with another seed: still the same system.
    let o = run(&["check", &s, "--baseline", &g, "--seed", "99", "-n", "80"]);
    assert_code(&o, 0);

    // One clerk fewer is a real change.
    let text = std::fs::read_to_string(&s).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("staff = 3\n"));
    let changed = dir.join("one_clerk_fewer.toml");
    std::fs::write(&changed, text.replacen("staff = 3\n", "staff = 2\n", 1)).unwrap_or_else(|e| panic!("{e}"));
    let c = changed.to_string_lossy().into_owned();
    let o = run(&["check", &c, "--baseline", &g, "--seed", "2", "--json", "--allow-changed-scenario"]);
    assert_code(&o, 1);
    let j = json(&o);
    let f = &j["files"][0];
    assert_eq!(f["baseline"]["scenario_changed"], true);
    assert!(f["notes"].to_string().contains("changed since the baseline was recorded"));
    let failed: Vec<String> = f["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| format!("{}:{}", c["variant"].as_str().unwrap_or(""), c["kpi"].as_str().unwrap_or("")))
        .collect();
    for k in ["baseline:wait_mean", "baseline:staff_cost", "baseline:abandon_rate", "pricier:wait_mean"] {
        assert!(failed.iter().any(|f| f == k), "{k} should have changed; failed: {failed:?}");
    }
    assert!(!failed.iter().any(|f| f.starts_with("extra_clerk:")), "extra_clerk did not change: {failed:?}");
    // The human report says what changed and by how much.
    let o = run(&["check", &c, "--baseline", &g, "--allow-changed-scenario"]);
    assert_code(&o, 1);
    assert!(o.stdout.contains("note: the scenario file changed"), "{}", o.stdout);
    assert!(o.stdout.contains("baseline: wait_mean unchanged") && o.stdout.contains("changed by +"), "{}", o.stdout);

    // Practical tolerance and KPI selection: staff cost falls by a third.
    let o =
        run(&["check", &c, "--baseline", &g, "--kpi", "staff_cost", "--tolerance", "50%", "--allow-changed-scenario"]);
    assert_code(&o, 0);
    assert!(o.stdout.contains("3 KPIs compared"), "{}", o.stdout);
    let o =
        run(&["check", &c, "--baseline", &g, "--kpi", "staff_cost", "--tolerance", "20%", "--allow-changed-scenario"]);
    assert_code(&o, 1);

    // Expectations and the baseline in one run.
    let o = run(&["check", &s, "--baseline", &g, "--expect", &expect("compare_pass"), "--seed", "3"]);
    assert_code(&o, 0);
}

#[test]
fn baseline_bad_input_exits_2() {
    let dir = scratch("baseline-bad");
    let s = scenario();
    let g = dir.join("golden.json").to_string_lossy().into_owned();
    assert_code(&run(&["record", &s, "--to", &g, "-n", "1"]), 2);
    assert_code(&run(&["record", &fixture("scenarios/missing.toml"), "--to", &g]), 2);
    assert_code(&run(&["record", &s, "--to", &g, "-n", "5", "--quiet"]), 0);

    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "hello").unwrap_or_else(|e| panic!("{e}"));
    let summary = dir.join("summary.json");
    std::fs::write(&summary, "{\"schema_version\": 1, \"variants\": {}}").unwrap_or_else(|e| panic!("{e}"));
    let future = dir.join("future.json");
    std::fs::write(&future, "{\"format\": \"branchsim-baseline\", \"format_version\": 99}")
        .unwrap_or_else(|e| panic!("{e}"));
    for (file, msg) in [
        (not_json.to_string_lossy().into_owned(), "not a branchsim baseline file"),
        (summary.to_string_lossy().into_owned(), "summary.json"),
        (future.to_string_lossy().into_owned(), "format_version"),
        (s.clone(), "not a branchsim baseline file"),
        (dir.join("missing.json").to_string_lossy().into_owned(), "cannot read"),
    ] {
        let o = run(&["check", &s, "--baseline", &file]);
        assert_code(&o, 2);
        assert!(o.stderr.contains(msg), "{file}: {}", o.stderr);
    }
    let o = run(&["check", &s, &fixture("scenarios/with_expect.toml"), "--baseline", &g]);
    assert_code(&o, 2);
    assert!(o.stderr.contains("one scenario file"), "{}", o.stderr);
    let o = run(&["check", &s, "--baseline", &g, "--kpi", "wait_maen"]);
    assert_code(&o, 2);
    assert!(o.stderr.contains("did you mean `wait_mean`?"), "{}", o.stderr);
    let o = run(&["check", &s, "--baseline", &g, "--alpha", "1.5"]);
    assert_code(&o, 2);
    let o = run(&["check", &s, "--baseline", &g, "--tolerance", "lots"]);
    assert_code(&o, 2);
}

#[test]
fn same_seed_same_bytes_for_any_thread_count() {
    let dir = scratch("determinism");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let junit = dir.join(format!("junit-{threads}.xml"));
        let golden = dir.join(format!("golden-{threads}.json"));
        let o = run(&["record", &scenario(), "--to", &golden.to_string_lossy(), "--threads", threads, "-q"]);
        assert_code(&o, 0);
        let args = [
            "check",
            &fixture("scenarios/with_expect.toml"),
            "--expect",
            &expect("compare_fail"),
            "--threads",
            threads,
        ];
        let human = run(&args);
        assert_code(&human, 1);
        let mut with_json: Vec<&str> = args.to_vec();
        let j = junit.to_string_lossy().into_owned();
        with_json.extend(["--json", "--junit", &j]);
        let js = run(&with_json);
        assert_code(&js, 1);
        let read = |p: &PathBuf| std::fs::read(p).unwrap_or_else(|e| panic!("{e}"));
        outputs.push((human.stdout, js.stdout, read(&junit), read(&golden)));
    }
    for o in &outputs[1..] {
        assert!(o.0 == outputs[0].0, "human report differs between thread counts");
        assert!(o.1 == outputs[0].1, "JSON report differs between thread counts");
        assert!(o.2 == outputs[0].2, "JUnit report differs between thread counts");
        assert!(o.3 == outputs[0].3, "recorded baseline differs between thread counts");
    }
}

#[test]
fn shipped_scenario_keeps_its_promises() {
    let f = format!("{}/scenarios/downtown_branch.toml", env!("CARGO_MANIFEST_DIR"));
    let o = run(&["check", &f, "--json"]);
    assert_code(&o, 0);
    let j = json(&o);
    assert!(j["checks"].as_u64().is_some_and(|n| n >= 10), "{}", o.stdout);
}
