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
