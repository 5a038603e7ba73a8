//! `branchsim import` (issue #21): BPMN 2.0 (+ Prosimos 2.x JSON) → scenario TOML.
//!
//! Every fixture under tests/fixtures/bpmn/ is imported and the result loaded and compiled
//! by the library, as `branchsim validate` does. Models with parallel or inclusive gateways
//! are written in the agreed fork/join syntax; loading them needs the fork/join engine, so
//! those checks are `#[ignore]`d until it is merged (run them with `--ignored`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::import::{self, Imported, Options};
use branchsim::scenario;
use common::{kpi, run_text};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bpmn").join(name)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn import_files(bpmn: &Path, params: Option<&Path>) -> Result<Imported, String> {
    let opts =
        Options { schema: "scenario.schema.json", bpmn_name: "model.bpmn", params_name: params.map(|_| "params.json") };
    import::import(&read(bpmn), params.map(read).as_deref(), &opts)
}

fn import_fixture(bpmn: &str, params: Option<&str>) -> Imported {
    let p = params.map(fixture);
    import_files(&fixture(bpmn), p.as_deref()).unwrap_or_else(|e| panic!("{bpmn}: {e}"))
}

fn loads(i: &Imported) -> scenario::Loaded {
    scenario::load_str(&i.toml, "imported.toml")
        .unwrap_or_else(|e| panic!("does not load:\n{}\n{}", e.render(), i.toml))
}

/// The shared Prosimos examples (development only, never copied into the project).
fn shared(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("BRANCHSIM_SHARED_BPMN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bpmn"));
    let p = dir.join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent (set BRANCHSIM_SHARED_BPMN to the shared BPMN examples)", p.display());
        None
    }
}

#[test]
fn serial_model_keeps_labels_resources_and_durations() {
    let i = import_fixture("serial.bpmn", Some("serial.json"));
    assert!(i.toml.starts_with("#:schema "), "{}", i.toml);
    assert!(i.to_set.is_empty(), "{:?}", i.to_set);
    let l = loads(&i);
    let m = &l.baseline().model;
    // The label's line break becomes a space; ids stay in comments.
    let names: Vec<&str> = m.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Check documents", "Open account"]);
    assert!(i.toml.contains("task t_check (line 5)"), "{}", i.toml);
    assert!(i.toml.contains("name = \"Clerk\"\nstaff = 2"), "{}", i.toml);
    assert!(i.toml.contains("service = { dist = \"exponential\", mean = \"15min\" }"), "{}", i.toml);
    assert!(i.toml.contains("service = \"10min\""), "{}", i.toml);
    // Open all week: no arrival calendar, the rate is 1 / mean inter-arrival time.
    assert!(i.toml.contains("rate = \"3/h\""), "{}", i.toml);
    assert!(!i.toml.contains("calendar = \"arrivals\""));
}

#[test]
fn xor_loop_probabilities_multiply_through_gateways_and_pool_per_resource_durations() {
    let i = import_fixture("xor_loop.bpmn", Some("xor_loop.json"));
    loads(&i);
    // Review → 25% back to the rework task, 75% × 80% to Approve, the rest (15%) leaves.
    assert!(
        i.toml.contains(r#"next = [{ step = "Request missing data", p = 0.25 }, { step = "Approve", p = 0.6 }]"#),
        "{}",
        i.toml
    );
    // Analyst A (1, mean 20 min) and B (2, mean 30 min) share calendar, cost and tasks: one
    // group of 3 with the pooled mean (20 + 2·30)/3, and a warning naming the task.
    assert!(i.toml.contains("name = \"Back office\"\nstaff = 3"), "{}", i.toml);
    assert!(i.toml.contains("mean = \"26.6667min\""), "{}", i.toml);
    assert!(i.warnings.iter().any(|w| w.contains("t_review") && w.contains("durations differ")), "{:?}", i.warnings);
}

/// The imported XOR loop simulates as the process means: arrivals at Prosimos' weekly count
/// (30 min apart in open hours, plus the arrival moved to each opening), 4/3 reviews and 0.8
/// approvals per case. Bounds are four standard deviations of the totals over 20
/// replications (computed in the comments); the seed is fixed.
#[test]
fn imported_xor_loop_simulates_the_routing_and_arrival_count() {
    let i = import_fixture("xor_loop.bpmn", Some("xor_loop.json"));
    let v = &run_text(&i.toml, 20)[0];
    let intake = kpi(v, "steps.Intake.served").mean;
    // 4 weeks × (2400 open min / 30 + 4·(1 − e^−32) + (1 − e^−128)) = 4 × 85 = 340;
    // Poisson: sd of the mean over 20 replications √(340/20) ≈ 4.1.
    assert!((intake - 340.0).abs() < 16.5, "cases per replication {intake}");
    let n = intake * 20.0;
    let review = kpi(v, "steps.Review.served").mean / intake;
    // Geometric visits: mean 1/0.75, variance 0.25/0.75² per case.
    assert!((review - 4.0 / 3.0).abs() < 4.0 * (0.25f64 / 0.5625 / n).sqrt(), "reviews per case {review}");
    let approve = kpi(v, "steps.Approve.served").mean / intake;
    assert!((approve - 0.8).abs() < 4.0 * (0.8f64 * 0.2 / n).sqrt(), "approvals per case {approve}");
}

#[test]
fn without_parameters_every_placeholder_is_listed_and_lanes_become_resources() {
    let i = import_fixture("xor_loop.bpmn", None);
    loads(&i);
    for id in ["t_intake", "t_review", "t_fix", "t_approve", "g_ok", "g_decide", "id start"] {
        assert!(i.to_set.iter().any(|x| x.contains(id)), "{id} missing from {:?}", i.to_set);
    }
    assert!(i.to_set.iter().any(|x| x.contains("staff of resource `Front office`")));
    assert!(i.to_set.iter().any(|x| x.contains("staff of resource `Back office`")));
    assert!(i.toml.contains("# Parameters still to set"), "{}", i.toml);
    // The Intake step is in the front-office lane.
    assert!(i.toml.contains("name = \"Intake\"\nresource = \"Front office\""), "{}", i.toml);
}

#[test]
fn timer_becomes_a_delay_and_sub_process_is_flattened() {
    let i = import_fixture("timer_subprocess.bpmn", None);
    let l = loads(&i);
    let m = &l.baseline().model;
    let names: Vec<&str> = m.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Meet customer", "Wait for documents", "Valuation", "Sign off"]);
    // The timer has no resource (a pure delay) and its duration is a placeholder to set.
    assert!(
        i.toml.contains("name = \"Wait for documents\"\nservice = \"60min\"\nnext = [{ step = \"Valuation\", p = 1 }]"),
        "{}",
        i.toml
    );
    assert!(i.to_set.iter().any(|x| x.contains("wait_docs")));
    // The sub-process's end continues at its outgoing flow (an end event: the case leaves).
    assert!(i.toml.contains("in sub-process subProcess `Underwriting`"), "{}", i.toml);
    // The pool's name names the customer type.
    assert!(i.toml.contains("name = \"Mortgage desk\""), "{}", i.toml);
}

#[test]
fn parallel_and_inclusive_gateways_are_written_as_forks() {
    let and = import_fixture("and_split.bpmn", None);
    assert!(and.uses_forks);
    assert!(
        and.toml.contains(r#"fork = { branches = ["Credit check", "Appraisal"], join = "parallel join" }"#),
        "{}",
        and.toml
    );
    assert!(and.toml.contains("name = \"Credit check\"\nresource"), "{}", and.toml);
    assert!(and.toml.contains("next = [{ step = \"parallel join\", p = 1 }]"), "{}", and.toml);
    let or = import_fixture("or_split.bpmn", Some("or_split.json"));
    assert!(
        or.toml.contains(
            r#"fork = { branches = [{ step = "AML screening", p = 0.9 }, { step = "PEP check", p = 0.3 }], join = "inclusive join" }"#
        ),
        "{}",
        or.toml
    );
    // The start event leads to the split: the routing-only split is the first step.
    assert!(or.toml.contains("first_step = \"checks needed\""), "{}", or.toml);
}

#[test]
fn fork_models_load_once_the_engine_has_fork_join() {
    for (b, p) in [("and_split.bpmn", None), ("or_split.bpmn", Some("or_split.json"))] {
        loads(&import_fixture(b, p));
    }
}

#[test]
fn bad_models_are_errors_naming_the_element_and_line() {
    let err = |f: &str| import_files(&fixture(f), None).unwrap_err();
    let e = err("malformed.bpmn");
    assert!(e.starts_with("malformed XML") && e.contains("5:3"), "{e}");
    let e = err("not_bpmn.bpmn");
    assert!(e.contains("not a BPMN 2.0 file") && e.contains("<svg>"), "{e}");
    let e = err("gateway_no_outgoing.bpmn");
    assert!(e.contains("g_dead") && e.contains("line 6") && e.contains("no outgoing sequence flow"), "{e}");
    let e = err("cycle_no_exit.bpmn");
    assert!(e.contains("cycle with no exit") && e.contains("t_a") && e.contains("t_b"), "{e}");
}

#[test]
fn bad_parameters_name_the_task_and_the_json_position() {
    let bpmn = fixture("serial.bpmn");
    let opts = Options { schema: "s.json", bpmn_name: "m.bpmn", params_name: Some("p.json") };
    let e = import::import(&read(&bpmn), Some("{\n \"resource_profiles\": 3\n}"), &opts).unwrap_err();
    assert!(e.contains("line 2"), "{e}");
    let json = read(&fixture("serial.json")).replace("\"fix\"", "\"weibull\"");
    let e = import::import(&read(&bpmn), Some(&json), &opts).unwrap_err();
    assert!(e.contains("t_open") && e.contains("weibull"), "{e}");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_branchsim"))
}

#[test]
fn cli_writes_the_file_atomically_and_bad_input_exits_2_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("serial.toml");
    let o = bin()
        .args(["import", fixture("serial.bpmn").to_str().unwrap(), "--params"])
        .arg(fixture("serial.json"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = bin().arg("validate").arg(&out).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", String::from_utf8_lossy(&v.stderr));
    // No temporary file is left beside it.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, [std::ffi::OsString::from("serial.toml")]);

    let bad = dir.path().join("bad.toml");
    let o = bin().arg("import").arg(fixture("gateway_no_outgoing.bpmn")).arg("-o").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("gateway_no_outgoing.bpmn") && err.contains("g_dead"), "{err}");
    assert!(!bad.exists());

    // Without parameters: a warning lists what is still to set.
    let o = bin().arg("import").arg(fixture("serial.bpmn")).arg("-o").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("parameter(s) still to set") && err.contains("t_check"), "{err}");
}

#[test]
fn shared_purchasing_example_imports_and_validates() {
    let (Some(b), Some(p)) = (shared("PurchasingExampleQBP.bpmn"), shared("PurchasingExampleQBP.v2.json")) else {
        return;
    };
    let i = import_files(&b, Some(&p)).unwrap();
    assert!(!i.uses_forks);
    let l = loads(&i);
    assert_eq!(l.baseline().model.steps.len(), 23);
}

#[test]
fn shared_fork_examples_import_as_forks() {
    for (b, p) in
        [("AND_join.bpmn", "AND_join.v2.json"), ("Credit_Application_Simulation.bpmn", "demo_example.v2.json")]
    {
        let (Some(b), Some(p)) = (shared(b), shared(p)) else { return };
        let i = import_files(&b, Some(&p)).unwrap();
        assert!(i.uses_forks && i.toml.contains("fork = { branches = ["), "{}", i.toml);
    }
}

#[test]
fn shared_fork_examples_load_once_the_engine_has_fork_join() {
    for (b, p) in
        [("AND_join.bpmn", "AND_join.v2.json"), ("Credit_Application_Simulation.bpmn", "demo_example.v2.json")]
    {
        let (Some(b), Some(p)) = (shared(b), shared(p)) else { return };
        loads(&import_files(&b, Some(&p)).unwrap());
    }
}

#[test]
fn a_timer_with_an_iso_duration_gets_that_delay() {
    let text = read(&fixture("timer_subprocess.bpmn")).replace(
        r#"<bpmn:timerEventDefinition id="td"/>"#,
        r#"<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>P1DT2H</bpmn:timeDuration></bpmn:timerEventDefinition>"#,
    );
    let opts = Options { schema: "s.json", bpmn_name: "m.bpmn", params_name: None };
    let i = import::import(&text, None, &opts).unwrap();
    loads(&i);
    assert!(i.toml.contains("name = \"Wait for documents\"\nservice = \"26h\""), "{}", i.toml);
    assert!(!i.to_set.iter().any(|x| x.contains("wait_docs")), "{:?}", i.to_set);
}

#[test]
fn calendars_keep_their_prosimos_name_and_pause_work_at_closing() {
    let i = import_fixture("xor_loop.bpmn", Some("xor_loop.json"));
    let l = loads(&i);
    assert!(i.toml.contains("[calendars.\"office hours\"]"), "{}", i.toml);
    assert!(i.toml.contains("mon = [\"09:00-17:00\"]"), "{}", i.toml);
    assert!(!i.toml.contains("sat = "), "closed days are left out: {}", i.toml);
    assert!(i.toml.contains("calendar = \"office hours\"\non_shift_end = \"preempt\""), "{}", i.toml);
    // Arrivals Mon–Fri 09:00–17:00, one per 30 min plus one moved to each of the 5 openings.
    assert!(i.toml.contains("rate = \"2.125/h\""), "{}", i.toml);
    assert_eq!(l.baseline().model.resources.len(), 2);
}

/// Analysts on different calendars are not interchangeable: two groups, and the tasks they
/// share get a work queue named after their profile that both groups list in `skills`.
#[test]
fn resources_that_differ_form_groups_sharing_a_skill_queue() {
    let json = read(&fixture("xor_loop.json"))
        .replace(
            r#"{"id": "analyst_b", "name": "Analyst B", "cost_per_hour": 40, "amount": "2", "calendar": "weekdays"}"#,
            r#"{"id": "analyst_b", "name": "Analyst B", "cost_per_hour": 40, "amount": "2", "calendar": "late"}"#,
        )
        .replace(
            r#""resource_calendars": ["#,
            r#""resource_calendars": [{"id": "late", "name": "late shift", "time_periods": [{"from": "MONDAY", "to": "FRIDAY", "beginTime": "12:00:00", "endTime": "20:00:00"}]}, "#,
        );
    assert!(json.contains("\"late\""));
    let opts = Options { schema: "s.json", bpmn_name: "m.bpmn", params_name: Some("p.json") };
    let i = import::import(&read(&fixture("xor_loop.bpmn")), Some(&json), &opts).unwrap();
    loads(&i);
    assert!(i.toml.contains("name = \"Analyst A\"\nstaff = 1"), "{}", i.toml);
    assert!(i.toml.contains("name = \"Analyst B\"\nstaff = 2"), "{}", i.toml);
    assert_eq!(i.toml.matches("skills = [\"Back office\"]").count(), 2, "{}", i.toml);
    assert!(i.toml.contains("name = \"Review\"\nresource = \"Back office\""), "{}", i.toml);
    assert!(i.toml.contains("[calendars.\"late shift\"]"), "{}", i.toml);
    assert!(i.toml.contains("mon = [\"12:00-20:00\"]"), "{}", i.toml);
}

#[test]
fn parameters_without_an_equivalent_are_named_in_warnings() {
    let json = read(&fixture("serial.json")).replace(
        r#""resource_calendars""#,
        r#""batch_processing": [{"task_id": "t_open", "type": "Sequential", "firing_rules": [], "duration_distrib": [], "size_distrib": []}],
  "case_attributes": [{"name": "amount", "type": "continuous", "values": {}}],
  "resource_calendars""#,
    );
    let opts = Options { schema: "s.json", bpmn_name: "m.bpmn", params_name: Some("p.json") };
    let i = import::import(&read(&fixture("serial.bpmn")), Some(&json), &opts).unwrap();
    loads(&i);
    assert!(i.warnings.iter().any(|w| w.contains("batch_processing") && w.contains("t_open")), "{:?}", i.warnings);
    assert!(i.warnings.iter().any(|w| w.contains("case_attributes")), "{:?}", i.warnings);
    // Notes are also in the file's header.
    assert!(i.toml.contains("# Import notes:"), "{}", i.toml);
}

/// Prosimos `batch_processing` (issue #21): a `Parallel` batch fired by its size becomes a
/// branchsim batch step with Prosimos' batch duration (duration × coef(N) × N) and no
/// resource; a `Sequential` batch has no equivalent and stays a normal step, each with a
/// warning that says exactly what differs.
#[test]
fn prosimos_parallel_size_batches_become_batch_steps() {
    let i = import_fixture("serial.bpmn", Some("serial_batch.json"));
    let l = loads(&i);
    let m = &l.baseline().model;
    let open = m.steps.iter().find(|s| s.name == "Open account").expect("step Open account");
    let batch = open.batch.as_ref().expect("Open account is a batch step");
    assert_eq!((batch.size, batch.max), (Some(3), 3));
    assert!(batch.at.is_none());
    assert!(open.pool.is_none(), "a batch step holds no resource");
    // Fixed 600 s × coef 0.5 × 3 cases = 15 min for the whole batch.
    assert!((m.dist_means[open.service[0]] - 15.0).abs() < 1e-9, "{}", i.toml);
    assert!(i.toml.contains("batch = { size = 3, max = 3 }"), "{}", i.toml);
    let w = i.warnings.iter().find(|w| w.contains("t_open")).expect("a warning on the batch");
    assert!(w.contains("imported as a batch step") && w.contains("`Clerk` is not taken"), "{w}");
    assert!(!w.contains("one draw"), "fixed durations: nothing differs per case: {w}");
    // The Sequential batch: not imported, said why, the task keeps its resource.
    let check = m.steps.iter().find(|s| s.name == "Check documents").expect("step Check documents");
    assert!(check.batch.is_none() && check.pool.is_some());
    let w = i.warnings.iter().find(|w| w.contains("t_check")).expect("a warning on the Sequential batch");
    assert!(w.contains("not imported") && w.contains("`Sequential`") && w.contains("one after another"), "{w}");
    // Cases really wait for a full batch: 3 cases an hour reach it (Poisson), so the first of
    // a batch waits for two more arrivals (40 min on average), the second for one (20), the
    // third not at all: 20 min on average (the batch step itself has no queue). About 2,000
    // cases make the mean precise to about ±1 min; 17–23 leaves room for the start-up.
    let text = i.toml.replace("horizon = \"28d\"", "horizon = \"7d\"");
    assert_ne!(text, i.toml, "the imported horizon changed: adapt the test");
    let v = &run_text(&text, 4)[0];
    let wait = kpi(v, "steps.Open account.wait_mean").mean;
    assert!(wait > 17.0 && wait < 23.0, "batch wait {wait} min");
}

/// A machine-made chain of 20,000 gateways (the limit is 1,000) with no activity between them is refused with a
/// message, not a stack overflow.
#[test]
fn an_endless_chain_of_gateways_is_an_error_not_a_crash() {
    let n = 20_000;
    let mut s = String::from(
        r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><startEvent id="s"/>"#,
    );
    for i in 0..n {
        s.push_str(&format!(r#"<exclusiveGateway id="g{i}"/>"#));
    }
    s.push_str(r#"<task id="t"/><sequenceFlow id="f" sourceRef="s" targetRef="g0"/>"#);
    for i in 0..n - 1 {
        s.push_str(&format!(r#"<sequenceFlow id="f{i}" sourceRef="g{i}" targetRef="g{}"/>"#, i + 1));
    }
    s.push_str(&format!(r#"<sequenceFlow id="fl" sourceRef="g{}" targetRef="t"/></process></definitions>"#, n - 1));
    let opts = Options { schema: "s.json", bpmn_name: "m.bpmn", params_name: None };
    let e = import::import(&s, None, &opts).unwrap_err();
    assert!(e.contains("more than 1000 exclusive gateways") && e.contains("g0"), "{e}");
}
