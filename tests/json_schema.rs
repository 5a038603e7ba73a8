//! The editor schema (docs/scenario.schema.json) cannot drift from the reader: it is the
//! output of `branchsim schema`, its property names are the reader's key lists, every shipped
//! scenario validates against it, and hostile files whose fault is one of shape (unknown key,
//! wrong type, bad enum value or unit) fail it.

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::scenario::{calendar, json_schema, schema as keys, variants};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft4::new(&json_schema::schema()).expect("the schema is a valid Draft 4 schema")
}

/// A TOML file as the JSON value an editor's validator sees.
fn as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn committed_schema_is_what_branchsim_schema_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim")).arg("schema").output().expect("run branchsim");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(printed, json_schema::schema_text());
    let committed = std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap_or_default();
    assert!(
        committed == printed,
        "docs/scenario.schema.json is stale: regenerate it with `cargo run -- schema > docs/scenario.schema.json`"
    );
    let parsed: Value = serde_json::from_str(&printed).expect("the schema is JSON");
    assert_eq!(parsed["$schema"], "http://json-schema.org/draft-04/schema#");
}

fn names(v: &Value) -> Vec<String> {
    let props = v["properties"].as_object().unwrap_or_else(|| panic!("no properties in {v}"));
    props.keys().cloned().collect()
}

fn list(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

#[test]
fn property_names_are_the_readers_key_lists() {
    let s = json_schema::schema();
    let d = &s["definitions"];
    assert_eq!(names(&s), list(keys::TOP_KEYS));
    assert_eq!(names(&d["customer"]), list(keys::CUSTOMER_KEYS));
    assert_eq!(names(&d["arrival"]), list(keys::ARRIVAL_KEYS));
    assert_eq!(names(&d["resource"]), list(keys::RESOURCE_KEYS));
    assert_eq!(names(&d["step"]), list(keys::STEP_KEYS));
    assert_eq!(names(&d["routes"]["items"]), list(keys::ROUTE_KEYS));
    assert_eq!(names(&s["properties"]["variants"]["items"]), list(variants::VARIANT_KEYS));
    assert_eq!(names(&s["properties"]["expect"]["items"]), list(branchsim::check::expect::EXPECT_KEYS));
    assert_eq!(names(&s["properties"]["shifts"]["items"]), list(branchsim::staffing::shifts::SHIFT_KEYS));
    assert_eq!(names(&s["properties"]["calendars"]["additionalProperties"]), list(calendar::CAL_KEYS));
    assert_eq!(names(&s["properties"]["channels"]["items"]), list(keys::CHANNEL_KEYS));
    let step = &d["step"]["properties"];
    assert_eq!(names(&step["batch"]), list(keys::BATCH_KEYS));
    assert_eq!(names(&step["repeat_info"]), list(keys::REPEAT_KEYS));
    assert_eq!(names(&step["touchless"]), list(keys::TOUCHLESS_KEYS));
    assert_eq!(names(&step["fork"]), list(branchsim::scenario::forks::FORK_KEYS));
    assert_eq!(
        names(&step["fork"]["properties"]["branches"]["items"]["oneOf"][1]),
        list(branchsim::scenario::forks::BRANCH_KEYS)
    );
    assert_eq!(names(&d["resource"]["properties"]["breaks"]["items"]), list(keys::BREAK_KEYS));
    assert_eq!(names(&d["arrival"]["properties"]["appointments"]), list(keys::APPOINTMENT_KEYS));
    // One alternative per distribution, with exactly the reader's parameters.
    let alts = d["distribution"]["oneOf"].as_array().expect("alternatives");
    for name in keys::DIST_NAMES {
        let alt = alts.iter().find(|a| a["properties"]["dist"]["enum"][0] == *name).expect("dist alternative");
        assert_eq!(names(alt), list(keys::dist_keys(name).expect("known")));
    }
    assert_eq!(alts.len(), keys::DIST_NAMES.len() + 1, "a fixed duration plus one table per distribution");
}

/// GitHub's heading anchors of scenarios/README.md.
fn readme_anchors() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("scenarios/README.md")).expect("README");
    text.lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn hover_links_point_at_existing_readme_sections() {
    let anchors = readme_anchors();
    for a in json_schema::ANCHORS {
        assert!(anchors.iter().any(|h| h == a), "scenarios/README.md has no section #{a}");
    }
}

fn shipped() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/theory", "scenarios/bench"] {
        for e in std::fs::read_dir(root().join(dir)).expect("scenario folder") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "shipped scenarios found: {files:?}");
    files
}

#[test]
fn every_shipped_scenario_validates_and_names_the_schema() {
    let v = validator();
    for f in shipped() {
        let errs = errors(&v, &as_json(&f));
        assert!(errs.is_empty(), "{}: {errs:#?}", f.display());
        let text = std::fs::read_to_string(&f).expect("read");
        let first = text.lines().next().unwrap_or_default();
        let target = first.strip_prefix("#:schema ").unwrap_or_else(|| panic!("{}: no #:schema line", f.display()));
        let schema = f.parent().expect("folder").join(target.trim());
        assert!(
            schema.canonicalize().ok() == root().join("docs/scenario.schema.json").canonicalize().ok(),
            "{}: `{first}` does not point at docs/scenario.schema.json",
            f.display()
        );
    }
}

/// Hostile fixtures whose fault is in the shape of the file: an editor flags them as typed.
const SCHEMA_LEVEL_BAD: &[&str] = &[
    "clock_out_of_range",
    "expect_unknown_key",
    "missing_horizon",
    "negative_scale",
    "negative_staff",
    "probability_above_one",
    "replications_zero",
    "type_customers_string",
    "type_horizon_bool",
    "type_horizon_datetime",
    "type_name_integer",
    "type_next_string",
    "type_priority_string",
    "type_rates_string",
    "type_service_array",
    "type_staff_float",
    "unknown_distribution",
    "unknown_key_in_distribution",
    "unknown_key_in_step",
    "unknown_key_in_variant",
    "unknown_key_replicatons",
    "unknown_key_top_level_case",
    "unknown_section",
    "unknown_time_unit",
    "unknown_time_unit_top",
    "weibull_tiny_shape",
];

#[test]
fn schema_level_faults_fail_validation() {
    let v = validator();
    for name in SCHEMA_LEVEL_BAD {
        let f = root().join(format!("tests/hostile/{name}.toml"));
        assert!(!errors(&v, &as_json(&f)).is_empty(), "{name}.toml passes the schema");
    }
}

/// Faults only the reader can see (names that must exist, sums, orderings) are no schema
/// matter: these hostile files have a valid shape, so the schema must not reject them either.
#[test]
fn reference_level_faults_pass_the_schema() {
    let v = validator();
    for name in ["unknown_resource", "unknown_route_step", "duplicate_step_names", "triangular_inverted"] {
        let f = root().join(format!("tests/hostile/{name}.toml"));
        let errs = errors(&v, &as_json(&f));
        assert!(errs.is_empty(), "{name}.toml: {errs:#?}");
    }
}

#[test]
fn dollar_schema_key_is_accepted_and_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = dir.path().join("s.toml");
    let body = "horizon = \"1h\"\n[[customers]]\nname = \"a\"\nfirst_step = \"s\"\n[[arrivals]]\ncustomer = \"a\"\nrate = \"10/h\"\n[[resources]]\nname = \"r\"\nstaff = 1\n[[steps]]\nname = \"s\"\nresource = \"r\"\nservice = \"2min\"\n";
    std::fs::write(&f, format!("\"$schema\" = \"../docs/scenario.schema.json\"\n{body}")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim")).arg("validate").arg(&f).output().expect("run");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // And the schema accepts it too.
    assert!(errors(&validator(), &as_json(&f)).is_empty());
}

/// The unit spellings the schema accepts are the ones the reader accepts: the same strings go
/// through both (a key whose only check is its unit, so the reader's verdict is the parser's).
#[test]
fn unit_patterns_agree_with_the_readers_parsers() {
    use branchsim::scenario::units;
    let v = validator();
    let ok = |doc: Value| errors(&v, &doc).is_empty();
    let durations = [
        "90s", "2.5min", "1h", "2d", "5 min", " 1h ", ".5h", "3.", "1e2s", "+2min", "0min", "5 mins", "1hr", "-3min",
        "min", "5", "", "1  h", "2 d", "5minutes", "h1", "1.2.3min",
    ];
    for s in durations {
        assert_eq!(
            ok(serde_json::json!({"horizon": "1h", "service_level": s})),
            units::parse_duration(s).is_ok(),
            "duration {s:?}"
        );
    }
    let rates = ["60/h", "1.5/min", "2/s", "40/d", " 90 / h ", "90/hr", "90 per h", "-1/h", "/h", "90/", "1e3/d"];
    for s in rates {
        assert_eq!(
            ok(serde_json::json!({"horizon": "1h", "arrivals": [{"rate": s}]})),
            units::parse_rate(s).is_ok(),
            "rate {s:?}"
        );
    }
    let clocks = ["09:00", "9:30", "23:59", "00:00", "24:00", "25:00", "12:60", "12", "12:5", "ab:cd", "1:2:3"];
    for s in clocks {
        assert_eq!(ok(serde_json::json!({"horizon": "1h", "start": s})), units::parse_clock(s).is_ok(), "clock {s:?}");
    }
}

#[test]
fn weekdays_are_offered_and_read_as_the_reader_reads_them() {
    let v = validator();
    for (day, good) in [("mon", true), ("Sunday", true), (" fri ", true), ("funday", false), ("mo", false)] {
        let doc = serde_json::json!({"horizon": "1h", "start_day": day});
        assert_eq!(errors(&v, &doc).is_empty(), good, "{day:?}");
    }
}
