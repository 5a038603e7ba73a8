//! Command-line conventions: shell completions and the manual page are generated from the
//! same definition as the real flags (issue #20).

use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

const SUBCOMMANDS: [&str; 12] = [
    "run",
    "validate",
    "sweep",
    "merge",
    "report",
    "check",
    "record",
    "staff",
    "completions",
    "man",
    "schema",
    "import",
];

#[test]
fn completions_know_every_subcommand_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, text) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} completion lacks `{sub}`");
        }
        for flag in ["--replications", "--max-events", "--color"] {
            assert!(text.contains(flag.trim_start_matches('-')), "{shell} completion lacks {flag}");
        }
    }
    let (code, _) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn the_manual_page_lists_the_subcommands() {
    let (code, text) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(text.starts_with(".ie") || text.contains(".TH branchsim 1"), "{text}");
    assert!(text.contains(".TH branchsim 1"));
    for sub in SUBCOMMANDS {
        assert!(text.contains(&format!("branchsim\\-{sub}")) || text.contains(sub), "man page lacks `{sub}`");
    }
}

/// Every flag and argument of every subcommand says what it does, and every subcommand's
/// `--help` ends with examples (sweep's -n/--seed/--out/--threads/-q and merge's --no-charts,
/// --font and -q had no help text).
#[test]
fn every_argument_has_help_and_every_subcommand_examples() {
    use clap::CommandFactory as _;
    let mut cli = branchsim::cli::Cli::command();
    cli.build();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        let after = sub.get_after_help().map(|s| s.to_string()).unwrap_or_default();
        if !after.starts_with("Example") || !after.contains(&format!("branchsim {name}")) {
            missing.push(format!("`{name}` has no Examples: block naming `branchsim {name}`"));
        }
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("`{name} {id}` has no help text"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

fn run_full(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run branchsim: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Flags with structured values are parsed by clap, so a bad value is a usage error: exit 2,
/// the flag named, the reason and clap's usage line (they used to be parsed after clap, after
/// the scenario was loaded, with a bare `error:` line and no usage).
#[test]
fn bad_flag_values_are_usage_errors() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downtown_branch.toml");
    let cases: [(&[&str], &str, &str); 5] = [
        (&["run", file, "--shard", "4/2"], "--shard", "0 <= K < N"),
        (&["run", file, "--shard", "a"], "--shard", "0 <= K < N"),
        (&["run", file, "--precision", "wait_mean=lots"], "--precision", "not a target"),
        (&["run", file, "--indifference", "soon"], "--indifference", "soon"),
        (&["check", file, "--baseline", "b.json", "--tolerance", "lots"], "--tolerance", "not a share"),
    ];
    for (args, flag, reason) in cases {
        let (code, _, err) = run_full(args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("Usage:"), "{args:?} shows no usage line: {err}");
        assert!(err.contains(flag) && err.contains(reason), "{args:?}: {err}");
    }
    // Good values still parse: a shard of a tiny run succeeds.
    let out = std::env::temp_dir().join(format!("branchsim-cli-shard-{}", std::process::id()));
    let o = out.to_string_lossy().into_owned();
    let (code, _, err) = run_full(&["run", file, "-n", "2", "--shard", "1/2", "--out", &o, "-q", "--no-charts"], &[]);
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(code, 0, "{err}");
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check/scenarios/branch.toml");
const WARNS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downtown_branch.toml");

/// A copy of the check fixture with a mistyped step name; returns its path and the
/// 1-based line and column of the mistake, found in the text.
fn mistyped(dir: &std::path::Path) -> (String, usize, usize) {
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap_or_default()
        .replace("first_step = \"counter\"", "first_step = \"countr\"");
    let path = dir.join("bad.toml");
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let (n, l) = text.lines().enumerate().find(|(_, l)| l.contains("\"countr\"")).unwrap_or_default();
    (path.to_string_lossy().into_owned(), n + 1, l.find("\"countr\"").unwrap_or(0) + 1)
}

/// `validate --format json` reports every file and diagnostic with its real location.
#[test]
fn validate_json_names_file_line_column_key_and_help() {
    let dir = scratch("json");
    let (bad, line, col) = mistyped(&dir);
    let (code, out, _) = run_full(&["validate", &bad, WARNS, "--format", "json"], &[]);
    assert_eq!(code, 2, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    assert_eq!(v["valid"], false);
    let d = &v["files"][0]["diagnostics"][0];
    assert_eq!(v["files"][0]["valid"], false);
    assert_eq!(d["file"], bad.as_str());
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(line as u64), Some(col as u64)));
    assert_eq!(d["key"], "customers[0].first_step");
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("countr")), "{d}");
    assert!(d["help"].as_str().is_some_and(|h| h.contains("counter")), "{d}");
    // The second file is valid, with a warning that belongs to a variant.
    let f = &v["files"][1];
    assert_eq!(f["valid"], true);
    assert_eq!(f["scenario"], "Downtown branch, weekday");
    let w = &f["diagnostics"][0];
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["variant"], "universal_bankers");
    let _ = std::fs::remove_dir_all(&dir);
}

/// In GitHub Actions, problems become annotations on their lines and a job summary is
/// appended to $GITHUB_STEP_SUMMARY (validate, check); run annotates its warnings.
#[test]
fn github_actions_get_annotations_and_a_job_summary() {
    let dir = scratch("gha");
    let (bad, line, col) = mistyped(&dir);
    let summary = dir.join("summary.md");
    let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap_or_default())];
    let (code, out, _) = run_full(&["validate", &bad, WARNS, "-q"], &env);
    assert_eq!(code, 2);
    assert!(
        out.contains(&format!(
            "::error file={bad},line={line},col={col},title=branchsim validate::unknown step `countr`"
        )),
        "{out}"
    );
    assert!(out.contains("::warning file=") && out.contains("in variant `universal_bankers`"), "{out}");
    let md = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(md.contains("### branchsim validate: 1 file(s) invalid"), "{md}");
    assert!(md.contains(&format!("| {bad} | ❌ invalid | 1 | 0 |")), "{md}");
    // Without GITHUB_ACTIONS there are no workflow commands.
    let (_, plain, _) = run_full(&["validate", &bad, WARNS, "-q"], &[]);
    assert!(!plain.contains("::error"), "{plain}");

    let o = dir.join("out").to_string_lossy().into_owned();
    let (code, out, err) = run_full(&["run", WARNS, "-n", "2", "--out", &o, "-q", "--no-charts"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("::warning file=") && out.contains("title=branchsim run::"), "{out}");

    let expect = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check/expect/bound_fail.toml");
    let (code, _, _) = run_full(&["check", FIXTURE, "--expect", expect, "-q"], &env);
    assert_eq!(code, 1);
    let md = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(md.contains("### branchsim validate"), "the summary is appended to, not replaced");
    assert!(md.contains("### branchsim check: ❌ FAIL"), "{md}");
    assert!(md.contains("waits under half a minute (baseline)") && md.contains("bound_fail.toml:10:7"), "{md}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `validate` takes folders and glob patterns like `check`.
#[test]
fn validate_accepts_folders_and_patterns() {
    let dir = scratch("globs");
    std::fs::create_dir_all(dir.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["a.toml", "sub/b.toml"] {
        std::fs::copy(FIXTURE, dir.join(f)).unwrap_or_else(|e| panic!("{e}"));
    }
    let d = dir.to_string_lossy().into_owned();
    let (code, out, err) = run_full(&["validate", &d], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("ok: ").count(), 2, "{out}");
    let (code, out, err) = run_full(&["validate", &format!("{d}/**/b.toml")], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sub/b.toml") && !out.contains("a.toml"), "{out}");
    let (code, _, err) = run_full(&["validate", &format!("{d}/*.nothing")], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no files match"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A mistyped subcommand gets the nearest name (clap's own similarity missed `rnu`), and a
/// scenario path without .toml gets a hint.
#[test]
fn typos_in_subcommands_and_paths_get_suggestions() {
    let (code, _, err) = run_full(&["rnu", "x.toml"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("a similar subcommand exists: 'run'") && err.contains("Usage:"), "{err}");
    let (_, _, err) = run_full(&["valdate", "x.toml"], &[]);
    assert!(err.contains("'validate'"), "{err}");

    let dir = scratch("hints");
    std::fs::copy(FIXTURE, dir.join("branch.toml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("results.json"), "{}").unwrap_or_else(|e| panic!("{e}"));
    let bare = dir.join("branch").to_string_lossy().into_owned();
    let full = dir.join("branch.toml").to_string_lossy().into_owned();
    for cmd in ["run", "validate"] {
        let (code, _, err) = run_full(&[cmd, &bare], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("help: did you mean {full}?")), "{cmd}: {err}");
        let json = dir.join("results.json").to_string_lossy().into_owned();
        let (code, _, err) = run_full(&[cmd, &json], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("does not end in .toml: scenario files are TOML"), "{cmd}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reader of any doc that uses a bare `branchsim` learns how to get it: the README says how
/// to install (both `cargo install` forms), completions and the man page, and every doc under
/// docs/ that runs `branchsim` links there.
#[test]
fn docs_say_how_to_get_branchsim() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap_or_default();
    for needle in [
        "## Installation",
        "cargo install --path .",
        "cargo install --locked --path .",
        "branchsim completions bash",
        "branchsim completions zsh",
        "branchsim completions fish",
        "branchsim man > branchsim.1",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
    let mut docs: Vec<_> =
        std::fs::read_dir(format!("{root}/docs")).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    docs.sort();
    assert!(!docs.is_empty());
    for d in docs.iter().filter(|p| p.extension().is_some_and(|x| x == "md")) {
        let text = std::fs::read_to_string(d).unwrap_or_default();
        if text.contains("branchsim ") {
            assert!(
                text.contains("](../README.md#installation)"),
                "{} does not say how to install branchsim",
                d.display()
            );
        }
    }
}
