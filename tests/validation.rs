//! Bad input gets a clear error (file, line, column, key, suggestion), exit code 2, never a
//! panic; all problems of a file are reported.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_branchsim")
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("branchsim-validation-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    let _ = std::fs::write(&p, bytes);
    p
}

/// Runs `validate` and returns (exit code, stderr).
fn validate(name: &str, text: &[u8]) -> (i32, String) {
    let p = tmp(name, text);
    let out =
        Command::new(bin()).arg("validate").arg(&p).output().unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

const GOOD: &str = r#"name = "ok"
horizon = "8h"
[[customers]]
name = "retail"
first_step = "teller"
[[arrivals]]
customer = "retail"
rate = "60/h"
[[resources]]
name = "teller"
staff = 2
[[steps]]
name = "teller"
resource = "teller"
service = { dist = "exponential", mean = "1.5min" }
"#;

fn expect_error(name: &str, text: &str, needles: &[&str]) {
    let (code, err) = validate(name, text.as_bytes());
    assert_eq!(code, 2, "{name}: expected exit 2, stderr:\n{err}");
    assert!(!err.contains("panicked"), "{name}: panic:\n{err}");
    for n in needles {
        assert!(err.contains(n), "{name}: expected `{n}` in:\n{err}");
    }
}

#[test]
fn a_good_file_validates() {
    let (code, err) = validate("good.toml", GOOD.as_bytes());
    assert_eq!(code, 0, "{err}");
}

#[test]
fn unknown_resource_with_suggestion_and_position() {
    let text = GOOD.replace("resource = \"teller\"", "resource = \"teler\"");
    expect_error(
        "teler.toml",
        &text,
        &["teler.toml:14:12", "unknown resource `teler`", "did you mean `teller`?", "steps[0].resource"],
    );
}

#[test]
fn unknown_top_level_key_is_not_ignored() {
    let text = format!("replicatons = 10\n{GOOD}");
    expect_error("typo.toml", &text, &["typo.toml:1:1", "unknown key `replicatons`", "did you mean `replications`?"]);
}

#[test]
fn probabilities_outside_range_and_summing_above_one() {
    let text = format!(
        "{GOOD}next = [{{ step = \"teller\", p = 1.5 }}]\n[[steps]]\nname = \"b\"\nservice = \"1min\"\nnext = [{{ step = \"b\", p = 0.6 }}, {{ step = \"teller\", p = 0.6 }}]\n"
    );
    expect_error("probs.toml", &text, &["probability 1.5 is outside [0, 1]", "sum to 1.200000, above 1"]);
}

#[test]
fn bad_distribution_parameters() {
    let text = GOOD.replace(
        r#"{ dist = "exponential", mean = "1.5min" }"#,
        r#"{ dist = "lognormal", mean = "0min", sd = "-1min" }"#,
    );
    expect_error("dist.toml", &text, &["`mean` must be greater than zero", "is negative"]);
    let text = GOOD.replace(r#"dist = "exponential""#, r#"dist = "exponental""#);
    expect_error("distname.toml", &text, &["unknown distribution `exponental`", "did you mean `exponential`?"]);
}

#[test]
fn malformed_durations_and_rates() {
    let text = GOOD
        .replace(r#"horizon = "8h""#, r#"horizon = "5 mins""#)
        .replace(r#""60/h""#, r#""abc/h""#)
        .replace(r#""1.5min""#, r#""-3min""#);
    expect_error(
        "units.toml",
        &text,
        &["unknown time unit `mins`", "`abc` in `abc/h` is not a number", "`-3min` is negative"],
    );
}

#[test]
fn schedule_shorter_than_horizon() {
    let text = GOOD.replace("staff = 2", "interval = \"1h\"\nstaff = [2, 2, 3]");
    expect_error(
        "sched.toml",
        &text,
        &["3 staff entries of 1h cover 3h, shorter than the horizon 8h", "give at least 8 entries"],
    );
}

#[test]
fn missing_steps_and_first_step() {
    let text = GOOD.replace("first_step = \"teller\"", "first_step = \"counter\"");
    expect_error("first.toml", &text, &["unknown step `counter`", "customers[0].first_step"]);
}

#[test]
fn a_loop_no_customer_can_leave() {
    let text = format!(
        "{GOOD}next = [{{ step = \"b\", p = 1.0 }}]\n[[steps]]\nname = \"b\"\nservice = \"1min\"\nnext = [{{ step = \"teller\", p = 1.0 }}]\n"
    );
    expect_error("loop.toml", &text, &["can never leave"]);
}

/// Closing a branch in a variant removes its counter and its arrival stream together: the
/// removed step is not "never reached" (regression: every closed branch of
/// scenarios/regional.toml was warned about). A step the variant keeps but no longer feeds is.
#[test]
fn a_removed_step_without_customers_is_not_warned_about() {
    let two = GOOD.replace("customer = \"retail\"\nrate", "name = \"main\"\ncustomer = \"retail\"\nrate")
        + "[[arrivals]]\nname = \"north\"\ncustomer = \"retail\"\nfirst_step = \"north\"\nrate = \"10/h\"\n\
           [[resources]]\nname = \"north\"\nstaff = 1\n[[steps]]\nname = \"north\"\nresource = \"north\"\nservice = \"2min\"\n";
    let closed = format!(
        "{two}[[variants]]\nname = \"close_north\"\nremove_steps = [\"north\"]\nremove_arrivals = [\"north\"]\n\
         [[variants.resources]]\nname = \"north\"\nstaff = 0\n"
    );
    let (code, err) = validate("closed.toml", closed.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    let unfed = format!("{two}[[variants]]\nname = \"unfed\"\nremove_arrivals = [\"north\"]\n");
    let (code, err) = validate("unfed.toml", unfed.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("in variant `unfed`") && err.contains("step `north` is never reached"), "{err}");
}

#[test]
fn warnings_do_not_fail_validation() {
    let text = format!("{GOOD}[[steps]]\nname = \"orphan\"\nservice = \"1min\"\n").replace("staff = 2", "staff = 0");
    let (code, err) = validate("warn.toml", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning") && err.contains("step `orphan` is never reached"), "{err}");
    assert!(err.contains("has no staff at any time"), "{err}");
}

#[test]
fn syntax_errors_empty_files_and_invalid_utf8() {
    expect_error("syntax.toml", "name = \"x\nhorizon = 8", &["syntax.toml:1:", "TOML syntax error"]);
    expect_error("empty.toml", "  \n", &["the file is empty"]);
    let (code, err) = validate("latin1.toml", b"name = \"caf\xe9\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("not valid UTF-8") && err.contains("latin1.toml:1:"), "{err}");
}

#[test]
fn wrong_types_and_duplicates() {
    let text = GOOD.replace("staff = 2", "staff = \"two\"").replace("name = \"ok\"", "name = \"ok\"\nseed = -4");
    expect_error("types.toml", &text, &["expected a whole number, found a string", "-4 is out of range"]);
    let text = format!("{GOOD}[[resources]]\nname = \"teller\"\nstaff = 1\n");
    expect_error("dup.toml", &text, &["duplicate resource name `teller`"]);
}

#[test]
fn every_problem_is_reported() {
    let text = GOOD
        .replace("resource = \"teller\"", "resource = \"teler\"")
        .replace("first_step = \"teller\"", "first_step = \"tellr\"")
        .replace("\"60/h\"", "\"6O/h\"");
    let (code, err) = validate("many.toml", text.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("3 error(s)"), "{err}");
}

#[test]
fn variant_errors_name_the_variant_and_line() {
    let text = format!("{GOOD}[[variants]]\nname = \"more\"\n[[variants.resources]]\nname = \"teller\"\nstaf = 3\n");
    expect_error(
        "variant.toml",
        &text,
        &["in variant `more`", "unknown key `staf`", "did you mean `staff`?", "variant.toml:20:1"],
    );
    let text = format!("{GOOD}[[variants]]\nname = \"gone\"\nremove_steps = [\"telle\"]\n");
    expect_error("variant2.toml", &text, &["cannot remove unknown step `telle`", "did you mean `teller`?"]);
}

#[test]
fn run_exit_codes() {
    let p = tmp("run-bad.toml", b"horizon = ");
    let out = Command::new(bin()).arg("run").arg(&p).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin()).args(["run", "--bogus-flag"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin()).args(["run", "/nonexistent/x.toml"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the file"));
}

/// The "real output of `branchsim validate`" quoted in scenarios/README.md is exactly what the
/// current build prints for the shipped downtown scenario with the five mistakes below, so the
/// documented example cannot drift (`UPDATE_DOCS=1` rewrites the block after an intended change).
#[test]
fn the_documented_validate_output_is_real() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut text = std::fs::read_to_string(format!("{root}/scenarios/downtown_branch.toml")).unwrap_or_default();
    for (from, to) in [
        ("replications = 200", "replicatons = 200"),
        ("mean = \"20min\" }", "mean = \"20 mins\" }"),
        ("staff = [4, 4, 4, 3, 3, 4, 4, 4]", "staff = [4, 4, 4, 3, 3, 4, 4]"),
        ("next = [{ step = \"teller\", p = 0.8 }", "next = [{ step = \"teller\", p = 0.9 }"),
        ("resource = \"teller\"", "resource = \"teler\""),
    ] {
        assert!(text.contains(from), "downtown_branch.toml no longer holds `{from}`");
        text = text.replacen(from, to, 1);
    }
    let dir = std::env::temp_dir().join(format!("branchsim-docs-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("broken.toml"), &text);
    let out = Command::new(bin())
        .args(["validate", "broken.toml"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    assert_eq!(out.status.code(), Some(2));
    let actual = String::from_utf8_lossy(&out.stderr).into_owned();
    let readme_path = format!("{root}/scenarios/README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
    let marker =
        "Real output of `branchsim validate` on a copy of `downtown_branch.toml` with five mistakes:\n\n```text\n";
    let start = readme.find(marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("marker not in README"));
    let end = start + readme[start..].find("```\n").unwrap_or(0);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let _ = std::fs::write(&readme_path, format!("{}{}{}", &readme[..start], actual, &readme[end..]));
        return;
    }
    assert_eq!(&readme[start..end], actual, "scenarios/README.md quotes stale output; rerun with UPDATE_DOCS=1");
}
