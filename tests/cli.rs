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

const SUBCOMMANDS: [&str; 9] = ["run", "validate", "sweep", "merge", "report", "check", "record", "completions", "man"];

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
