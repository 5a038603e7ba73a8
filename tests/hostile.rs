//! The hostile corpus: malformed and hostile scenario files, each run through the real binary
//! and compared with its golden output (`tests/hostile/NAME.expected`: the command, the exit
//! code, stdout and stderr, with the scenario path written as `{file}` and the output folder
//! as `{out}`).
//!
//! Every case must exit with code 2 and a message a planner understands. By default a case is
//! `branchsim validate {file}`, and `branchsim run` on it must fail the same way; a case with
//! a `NAME.args` file runs those arguments instead (runaway models that only a run detects).
//! Large files (10 MB and more) are generated at test time, not committed.
//!
//! After an intended change of a message, regenerate the goldens and review the diff:
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test --test hostile
//! git diff tests/hostile/
//! ```

mod common;

use common::files_under;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    root().join("tests").join("hostile")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary from the crate root with `{file}` and `{out}` substituted.
fn run(args: &str, file: &str, out: &Path) -> Outcome {
    let out_s = out.to_string_lossy().into_owned();
    let argv: Vec<String> =
        args.split_whitespace().map(|a| a.replace("{file}", file).replace("{out}", &out_s)).collect();
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(&argv)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot start branchsim: {e}"));
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&out_s, "{out}").replace(file, "{file}");
    Outcome { code: o.status.code(), stdout: clean(&o.stdout), stderr: clean(&o.stderr) }
}

fn render(args: &str, o: &Outcome) -> String {
    let code = o.code.map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
    format!("$ branchsim {args}\nexit code: {code}\n--- stdout\n{}--- stderr\n{}", o.stdout, o.stderr)
}

/// Compares with the golden file (or writes it under UPDATE_GOLDEN=1); returns a problem.
fn golden(name: &str, got: &str) -> Option<String> {
    let path = corpus().join(format!("{name}.expected"));
    if updating() {
        std::fs::write(&path, got).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return None;
    }
    let want = match std::fs::read_to_string(&path) {
        Ok(w) => w,
        Err(e) => return Some(format!("{name}: no golden file {} ({e}); run with UPDATE_GOLDEN=1", path.display())),
    };
    if want == got {
        return None;
    }
    let (wl, gl): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = wl.iter().zip(&gl).position(|(a, b)| a != b).unwrap_or(wl.len().min(gl.len()));
    Some(format!(
        "{name}: output differs from {} at line {}:\n  expected: {:?}\n  got:      {:?}\n--- full output:\n{got}",
        path.display(),
        i + 1,
        wl.get(i).copied().unwrap_or("<end>"),
        gl.get(i).copied().unwrap_or("<end>")
    ))
}

/// One case: the golden comparison, exit code 2, and (for validate cases) `run` agreeing.
fn check_case(name: &str, file: &str, args: Option<String>, out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let default = args.is_none();
    let args = args.unwrap_or_else(|| "validate {file}".to_string());
    let o = run(&args, file, out);
    if o.code != Some(2) {
        problems.push(format!("{name}: exit code {:?}, expected 2\n{}", o.code, render(&args, &o)));
    }
    if o.stderr.contains("panicked") || o.stderr.contains("RUST_BACKTRACE") {
        problems.push(format!("{name}: the binary panicked\n{}", o.stderr));
    }
    // Nothing from the file reaches the terminal raw: no control characters (escape sequences)
    // and no bidirectional controls (they reorder the text that follows them).
    let raw = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if let Some(c) = o.stdout.chars().chain(o.stderr.chars()).find(|&c| raw(c)) {
        problems.push(format!("{name}: the output holds the raw character U+{:04X}", u32::from(c)));
    }
    problems.extend(golden(name, &render(&args, &o)));
    if default {
        // `run` reads the file the same way: same diagnostics (without validate's count line).
        let r = run("run {file} --out {out} --no-charts", file, out);
        if r.code != Some(2) || !o.stderr.starts_with(&r.stderr) || r.stderr.is_empty() {
            problems.push(format!(
                "{name}: `run` did not fail like `validate` (exit {:?})\n--- run stderr\n{}--- validate stderr\n{}",
                r.code, r.stderr, o.stderr
            ));
        }
    }
    problems
}

#[test]
fn hostile_corpus_exits_2_with_golden_messages() {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(String::from))
        .collect();
    names.sort();
    assert!(names.len() >= 60, "the hostile corpus has only {} files", names.len());
    let out = scratch("corpus");
    let mut problems = Vec::new();
    for name in &names {
        let args = std::fs::read_to_string(corpus().join(format!("{name}.args"))).ok().map(|a| a.trim().to_string());
        let file = format!("tests/hostile/{name}.toml");
        problems.extend(check_case(name, &file, args, &out));
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
    // Nothing may be written for a scenario that failed.
    let written: Vec<PathBuf> = files_under(&out);
    assert!(written.is_empty(), "failed runs wrote files: {written:?}");
}

const BASE: &str = r#"name = "Hostile base"
horizon = "8h"
replications = 2

[[customers]]
name = "walk_in"
first_step = "counter"

[[arrivals]]
customer = "walk_in"
rate = "40/h"

[[resources]]
name = "teller"
staff = 2

[[steps]]
name = "counter"
resource = "teller"
service = { dist = "exponential", mean = "2.5min" }
"#;

const TEN_MB: usize = 10 * 1024 * 1024;

/// Files too large to commit, generated here: (name, bytes).
fn generated() -> Vec<(&'static str, Vec<u8>)> {
    let mut padded = String::from("# hostile: 10 MB of comments, then a typo at the very end\n");
    padded.push_str(BASE);
    while padded.len() < TEN_MB {
        padded.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    padded.push_str("replicatons = 3\n");

    let mut one_line = String::from("# hostile: a 10 MB string that never closes\n");
    one_line.push_str(BASE);
    one_line.push_str("\n[[variants]]\nname = \"long\"\ndescription = \"");
    one_line.extend(std::iter::repeat_n('x', TEN_MB));
    one_line.push('\n');

    let mut too_big = String::from("# hostile: 17 MB, above the 16 MiB limit\n");
    too_big.push_str(BASE);
    while too_big.len() < 17 * 1024 * 1024 {
        too_big.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }

    let many = unknown_keys(20_000);

    let mut tables = String::from("# hostile: 10 MB of customer types\n");
    tables.push_str(BASE);
    let mut i = 0;
    while tables.len() < TEN_MB {
        tables.push_str(&format!("\n[[customers]]\nname = \"type_{i}\"\nfirst_step = \"counter\"\n"));
        i += 1;
    }
    vec![
        ("generated_10mb_comments_then_typo", padded.into_bytes()),
        ("generated_10mb_unclosed_string", one_line.into_bytes()),
        ("generated_17mb_too_large", too_big.into_bytes()),
        ("generated_20000_unknown_keys", many.into_bytes()),
        ("generated_10mb_customer_types", tables.into_bytes()),
    ]
}

/// CPU seconds (user + system) that `branchsim validate FILE` takes, and its exit code.
///
/// CPU time, not wall-clock time: on a loaded machine (other builds, other tests) the wall
/// clock counts the time the process waits for a core (a 7 s run took 70 s at load 12), the
/// CPU time counts the work done. The child is reaped with `wait4`, which reports its own
/// usage only (`RUSAGE_CHILDREN` would also count the children of tests running beside it).
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std's Child cannot see
fn validate_cpu_seconds(file: &str) -> (f64, Option<i32>) {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(["validate", file])
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start branchsim: {e}"));
    // Drain both pipes while waiting, so that a full pipe cannot stall the child.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink);
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; `pid` is our own unreaped child
    // (std's `Child` is never waited on afterwards, so the pid cannot be reused under it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let _ = (out.join(), err.join());
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (secs(usage.ru_utime) + secs(usage.ru_stime), code)
}

/// Unknown keys, one per line, before a valid scenario.
fn unknown_keys(n: usize) -> String {
    let mut many = format!("# hostile: {n} unknown keys (only the first problems are shown)\n");
    for i in 0..n {
        many.push_str(&format!("key_{i} = {i}\n"));
    }
    many.push_str(BASE);
    many
}

#[test]
fn generated_large_files_exit_2_promptly() {
    let dir = scratch("generated");
    let out = dir.join("out");
    let mut problems = Vec::new();
    for (name, bytes) in generated() {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let file = path.to_string_lossy().into_owned();
        // A backstop for a hang (which uses no CPU); promptness is judged on CPU time below.
        let t = std::time::Instant::now();
        problems.extend(check_case(name, &file, None, &out));
        let secs = t.elapsed().as_secs_f64();
        assert!(secs < 600.0, "{name} took {secs:.1} s of wall-clock time");
        #[cfg(unix)]
        {
            let (cpu, code) = validate_cpu_seconds(&file);
            assert_eq!(code, Some(2), "{name}: validate exit code");
            assert!(cpu < 60.0, "{name} took {cpu:.1} s of CPU time");
        }
        let _ = std::fs::remove_file(&path);
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

/// The work on a file full of unknown keys grows linearly with their number: ten times the
/// keys may cost at most 25 times the CPU time (plus 0.5 s for start-up noise). Locating each
/// problem by scanning the file from its start was quadratic: 20,000 keys took 7 s against
/// 0.08 s for 2,000 (88 times). CPU time keeps this independent of the machine's load.
#[cfg(unix)]
#[test]
fn unknown_keys_cost_grows_linearly() {
    let dir = scratch("linear");
    let cpu = |n: usize| {
        let path = dir.join(format!("keys_{n}.toml"));
        std::fs::write(&path, unknown_keys(n)).unwrap_or_else(|e| panic!("{e}"));
        // The least of three runs: CPU time too has some noise (cache misses under load).
        let best = (0..3)
            .map(|_| {
                let (cpu, code) = validate_cpu_seconds(&path.to_string_lossy());
                assert_eq!(code, Some(2), "{n} unknown keys: validate exit code");
                cpu
            })
            .fold(f64::INFINITY, f64::min);
        let _ = std::fs::remove_file(&path);
        best
    };
    let (small, large) = (cpu(2_000), cpu(20_000));
    assert!(
        large < 25.0 * small + 0.5,
        "20,000 unknown keys took {large:.2} s of CPU, 2,000 took {small:.3} s: the cost is not linear"
    );
}
