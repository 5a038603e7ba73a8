//! The published JSON Schemas of summary.json, the baseline file and `check --json`
//! (docs/schemas/) are what `branchsim schema summary|baseline|check` prints, and the real
//! outputs of every shipped scenario validate against them — including the `null`s written for
//! undefined values. Regenerate the published files with
//! `UPDATE_GOLDEN=1 cargo test --test output_schemas`.

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::report::schemas::{self, Output};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_branchsim");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("output-schemas-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

/// Runs branchsim; returns (exit code, stdout, stderr).
fn branchsim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn validator(which: Output) -> jsonschema::Validator {
    jsonschema::draft202012::new(&schemas::schema(which))
        .unwrap_or_else(|e| panic!("{which:?}: not a valid Draft 2020-12 schema: {e}"))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).take(10).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errs = errors(v, doc);
    assert!(errs.is_empty(), "{what} does not match its schema:\n{}", errs.join("\n"));
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The shipped scenarios: scenarios/*.toml and its subfolders (theory, bench).
fn shipped() -> Vec<PathBuf> {
    let mut out = files_under(&root().join("scenarios"), &|p| p.extension().is_some_and(|x| x == "toml"));
    out.sort();
    assert!(out.len() >= 6, "shipped scenarios not found: {out:?}");
    out
}

fn summaries_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, &|p| p.file_name().is_some_and(|n| n == "summary.json"))
}

/// Files under `dir` (recursively) that `keep` accepts.
fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p, keep));
        } else if keep(&p) {
            out.push(p);
        }
    }
    out
}

fn count_nulls(v: &Value) -> usize {
    match v {
        Value::Null => 1,
        Value::Array(a) => a.iter().map(count_nulls).sum(),
        Value::Object(o) => o.values().map(count_nulls).sum(),
        _ => 0,
    }
}

#[test]
fn published_schemas_are_what_branchsim_schema_prints() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for which in Output::PUBLISHED {
        let name = format!("{which:?}").to_lowercase();
        let (code, printed, err) = branchsim(&["schema", &name]);
        assert_eq!(code, 0, "branchsim schema {name}: {err}");
        assert_eq!(printed, schemas::schema_text(which));
        let path = root().join(which.doc_path());
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &printed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == printed,
            "{} is stale: regenerate it with `UPDATE_GOLDEN=1 cargo test --test output_schemas`",
            which.doc_path()
        );
        let parsed: Value = serde_json::from_str(&printed).expect("the schema is JSON");
        assert_eq!(parsed["$schema"], "https://json-schema.org/draft/2020-12/schema");
        // Building the validator checks the schema against its meta-schema.
        validator(which);
    }
    // Without an argument it is still the scenario schema editors use.
    let (code, printed, _) = branchsim(&["schema"]);
    assert_eq!(code, 0);
    assert_eq!(printed, schemas::schema_text(Output::Scenario));
}

/// summary.json and the baseline file of every shipped scenario, and `check --json` over
/// them (bounds, comparisons, and a baseline comparison) match the published schemas.
#[test]
fn real_outputs_of_the_shipped_scenarios_validate() {
    let summary = validator(Output::Summary);
    let baseline = validator(Output::Baseline);
    let check = validator(Output::Check);
    let dir = scratch("shipped");
    for (i, file) in shipped().iter().enumerate() {
        let f = file.to_str().unwrap();
        let out = dir.join(format!("run{i}"));
        let (code, _, err) =
            branchsim(&["run", f, "-n", "2", "--seed", "7", "--no-charts", "-q", "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "run {f}: {err}");
        let found = summaries_under(&out);
        assert_eq!(found.len(), 1, "{f}: expected one summary.json under {}", out.display());
        let doc = read_json(&found[0]);
        assert_valid(&summary, &doc, &format!("summary.json of {f}"));
        // The reader accepts what the schema accepts here.
        branchsim::report::Results::from_json(&serde_json::to_string(&doc).unwrap()).unwrap();

        let b = dir.join(format!("baseline{i}.json"));
        let (code, _, err) = branchsim(&["record", f, "--to", b.to_str().unwrap(), "-n", "2", "--seed", "7"]);
        assert_eq!(code, 0, "record {f}: {err}");
        assert_valid(&baseline, &read_json(&b), &format!("baseline of {f}"));
    }
    // Expectations of every shipped scenario (bounds and comparisons; with two replications
    // some fail, which the report must still describe in shape).
    let (code, stdout, err) =
        branchsim(&["check", root().join("scenarios").to_str().unwrap(), "--json", "-n", "2", "--seed", "7"]);
    assert!(code == 0 || code == 1, "check scenarios/: {err}");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("check --json: {e}\n{stdout}"));
    assert_valid(&check, &report, "check --json over scenarios/");
    let kinds: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["checks"].as_array().unwrap())
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"bound") && kinds.contains(&"comparison"), "kinds: {kinds:?}");

    // Against a recorded baseline (another seed: differences, p-values).
    let f = root().join("scenarios/downtown_branch.toml");
    let b = dir.join("downtown-baseline.json");
    let (code, _, err) =
        branchsim(&["record", f.to_str().unwrap(), "--to", b.to_str().unwrap(), "-n", "3", "--seed", "1"]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, err) = branchsim(&[
        "check",
        f.to_str().unwrap(),
        "--baseline",
        b.to_str().unwrap(),
        "--json",
        "-n",
        "3",
        "--seed",
        "2",
    ]);
    assert!(code == 0 || code == 1, "check --baseline: {err}");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("check --json: {e}\n{stdout}"));
    assert_valid(&check, &report, "check --baseline --json");
    assert!(report["files"][0]["baseline"].is_object(), "no baseline section: {stdout}");
    assert!(report["files"][0]["checks"].as_array().unwrap().iter().any(|r| r["kind"] == "baseline"));
}

/// With one replication standard deviations and confidence intervals are undefined: they are
/// written as `null`, and the schemas must allow exactly that.
#[test]
fn undefined_values_written_as_null_validate() {
    let dir = scratch("nulls");
    let f = root().join("scenarios/downtown_branch.toml");
    let f = f.to_str().unwrap();
    let out = dir.join("run");
    let (code, _, err) = branchsim(&["run", f, "-n", "1", "--no-charts", "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc = read_json(&summaries_under(&out)[0]);
    assert!(count_nulls(&doc) > 0, "one replication wrote no null: the test would prove nothing");
    assert!(doc["variants"]["baseline"]["kpis"]["wait_mean"]["sd"].is_null());
    assert_valid(&validator(Output::Summary), &doc, "summary.json of one replication");

    // `record` and `check` refuse one replication; their nullable fields are derived the same way.
}

/// The schema is not vacuous: damage the reader also refuses (a missing field, a wrong type,
/// an unknown time unit, null where a number is always defined) fails it.
#[test]
fn schemas_reject_what_the_readers_reject() {
    let dir = scratch("reject");
    let f = root().join("scenarios/theory/mm1.toml");
    let out = dir.join("run");
    let (code, _, err) =
        branchsim(&["run", f.to_str().unwrap(), "-n", "2", "--no-charts", "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let good = read_json(&summaries_under(&out)[0]);
    let v = validator(Output::Summary);
    assert_valid(&v, &good, "the undamaged summary.json");
    type Damage = fn(&mut Value);
    let damages: [(&str, Damage); 5] = [
        ("no scenario.time_unit", |d| {
            d["scenario"].as_object_mut().unwrap().remove("time_unit");
        }),
        ("time_unit \"days\"", |d| d["scenario"]["time_unit"] = "days".into()),
        ("seed as a string", |d| d["seed"] = "7".into()),
        ("negative replication count", |d| d["variants"]["baseline"]["kpis"]["wait_mean"]["n"] = (-1).into()),
        ("null horizon", |d| d["scenario"]["horizon"] = Value::Null),
    ];
    for (what, damage) in damages {
        let mut d = good.clone();
        damage(&mut d);
        assert!(!errors(&v, &d).is_empty(), "the schema accepts a summary.json with {what}");
        let read = branchsim::report::Results::from_json(&serde_json::to_string(&d).unwrap());
        assert!(read.is_err(), "the reader accepts a summary.json with {what}, the schema does not");
    }

    let b = dir.join("baseline.json");
    let (code, _, err) = branchsim(&["record", f.to_str().unwrap(), "--to", b.to_str().unwrap(), "-n", "2"]);
    assert_eq!(code, 0, "{err}");
    let good = read_json(&b);
    let v = validator(Output::Baseline);
    assert_valid(&v, &good, "the undamaged baseline");
    let mut d = good.clone();
    d["variants"]["baseline"]["wait_mean"]["n"] = "many".into();
    assert!(!errors(&v, &d).is_empty());
    assert!(branchsim::check::baseline::Baseline::from_json(&serde_json::to_string(&d).unwrap()).is_err());
}
