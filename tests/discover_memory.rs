//! Memory of `branchsim discover` on large logs (issue #23): the events are sorted through
//! temporary files and the fits use bounded samples, so the peak resident set must not grow
//! with the number of events; and spilling must not change a single byte of the output.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_branchsim")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-discover-memory-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// A small deterministic generator (64-bit LCG, high bits), so the logs are the same on
/// every run without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }
}

const ACTIVITIES: [&str; 8] =
    ["reception", "teller", "advisor", "loan check", "approval", "cashier", "archive", "回访"];

/// Visits of a bank-like log: cases arriving every 30 s on average, `per_case` visits each
/// (the first three fixed, then random steps), 4 staff per activity, working times about
/// lognormal. `(case, activity, resource, start, end)` in minutes from 2024-01-01 00:00 (a
/// Monday).
fn visits(n: usize, per_case: usize, mut f: impl FnMut(usize, &str, String, f64, f64)) {
    let mut r = Lcg(42);
    let (mut done, mut case, mut t) = (0, 0, 0.0);
    while done < n {
        case += 1;
        t += -0.5 * (1.0 - r.next()).ln();
        let mut s = t;
        for j in 0..per_case {
            let a = if j < 3 { j } else { r.below(ACTIVITIES.len()) };
            let d = (1.5 + 0.5 * (r.next() + r.next() + r.next() - 1.5) * 2.0).exp();
            f(case, ACTIVITIES[a], format!("{}-{}", &ACTIVITIES[a], r.below(4)), s, s + d);
            s += d + 2.0 * r.next();
            done += 1;
            if done == n {
                break;
            }
        }
    }
}

fn stamp(m: f64) -> String {
    let secs = (m * 60.0).round() as i64;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // 2024 is a leap year; the logs here stay within it (n ≤ 10⁶ visits: 100 days).
    let months = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut month, mut day) = (0, days);
    while day >= months[month] {
        day -= months[month];
        month += 1;
    }
    format!("2024-{:02}-{:02}T{:02}:{:02}:{:02}", month + 1, day + 1, rest / 3600, rest / 60 % 60, rest % 60)
}

/// A CSV log of `n` visits; rows are shuffled within blocks of 16, so some arrive out of
/// order in their case (counted and reported, then sorted).
fn write_csv(path: &Path, n: usize, per_case: usize) {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "case_id,activity,start_time,end_time,resource").unwrap();
    let mut block: Vec<String> = Vec::with_capacity(16);
    let mut r = Lcg(7);
    let mut flush = |block: &mut Vec<String>, w: &mut std::io::BufWriter<std::fs::File>| {
        for i in (1..block.len()).rev() {
            block.swap(i, r.below(i + 1));
        }
        for l in block.drain(..) {
            w.write_all(l.as_bytes()).unwrap();
        }
    };
    visits(n, per_case, |c, a, res, s, e| {
        block.push(format!("{c},{a},{},{},{res}\n", stamp(s), stamp(e)));
        if block.len() == 16 {
            flush(&mut block, &mut w);
        }
    });
    flush(&mut block, &mut w);
    w.flush().unwrap();
}

/// An XES log of `n` visits, a start and a complete event each.
fn write_xes(path: &Path, n: usize, per_case: usize) {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log xes.version=\"1.0\">\n").unwrap();
    let mut open = 0;
    visits(n, per_case, |c, a, res, s, e| {
        if c != open {
            if open != 0 {
                w.write_all(b"</trace>\n").unwrap();
            }
            writeln!(w, "<trace><string key=\"concept:name\" value=\"c{c}\"/>").unwrap();
            open = c;
        }
        for (life, t) in [("start", s), ("complete", e)] {
            writeln!(
                w,
                "<event><string key=\"concept:name\" value=\"{a}\"/><string key=\"org:resource\" value=\"{res}\"/>\
                 <string key=\"lifecycle:transition\" value=\"{life}\"/><date key=\"time:timestamp\" value=\"{}.000+00:00\"/></event>",
                stamp(t)
            )
            .unwrap();
        }
    });
    w.write_all(b"</trace>\n</log>\n").unwrap();
    w.flush().unwrap();
}

/// Peak resident set (MB) of `branchsim discover LOG`, read from the child's own rusage
/// (`wait4`, as tests/hostile.rs measures CPU time: `RUSAGE_CHILDREN` would also count
/// other tests' children), and its exit code.
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std's Child cannot see
fn discover_peak_mb(log: &Path, out: &Path) -> (f64, Option<i32>) {
    use std::process::Stdio;
    let child = Command::new(bin())
        .env("BRANCHSIM_DISCOVER_SAMPLE", SAMPLE.to_string())
        .env_remove("BRANCHSIM_DISCOVER_BUFFER")
        .args(["discover", "--no-report", "-q"])
        .arg(log)
        .arg("-o")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start branchsim: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; `pid` is our own unreaped child
    // (std's `Child` is never waited on afterwards, so the pid cannot be reused under it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // On Linux the child's own address space's high-water mark (VmHWM), polled until it
    // exits: ru_maxrss keeps the peak of the address space the child started in, and a
    // spawned child starts in the test process's (vfork), so it reports at least the test
    // process's own peak and the comparison could pass without measuring anything.
    let status_file = format!("/proc/{pid}/status");
    let mut hwm_kb = 0.0f64;
    let r = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        }) {
            hwm_kb = hwm_kb.max(kb);
        }
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r != 0 {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // ru_maxrss is in kilobytes on Linux (bytes on macOS); the fallback where /proc is absent.
    let kb = if cfg!(target_os = "macos") { usage.ru_maxrss as f64 / 1024.0 } else { usage.ru_maxrss as f64 };
    (if hwm_kb > 0.0 { hwm_kb } else { kb } / 1024.0, code)
}

/// Duration samples per step in the memory test: small enough that the 1× logs already fill
/// them (the default, 65,536 per step, fills only from about 10⁶ events on; a sample that
/// is still filling grows with the events, up to its fixed size).
const SAMPLE: usize = 4096;

/// Peak RSS at 4× the events must stay within 20 MB of the peak at 1×. Holding the events
/// (48 bytes each, plus the sort's scratch and the per-visit duration lists) cost about
/// 120 bytes per event before: +72 MB for the 600,000 more events of the CSV case.
/// The number of cases is the same at 1× and 4× (4× the visits per case); the next test
/// grows the cases.
#[cfg(unix)]
#[test]
fn peak_memory_does_not_grow_with_the_events() {
    let dir = scratch("rss");
    for (kind, n) in [("csv", 200_000usize), ("xes", 100_000)] {
        let mut peaks = Vec::new();
        for k in [1, 4] {
            let log = dir.join(format!("log{k}.{kind}"));
            if kind == "csv" {
                write_csv(&log, n * k, 5 * k)
            } else {
                write_xes(&log, n * k, 5 * k)
            }
            let out = dir.join(format!("out{k}.toml"));
            let (mb, code) = discover_peak_mb(&log, &out);
            assert_eq!(code, Some(0), "{kind}: discover of {} visits failed", n * k);
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(text.contains(&format!("{} events", n * k)), "{kind}: all visits read");
            std::fs::remove_file(&log).unwrap();
            peaks.push(mb);
        }
        eprintln!("{kind}: peak RSS {:.1} MB at {n} visits, {:.1} MB at {}", peaks[0], peaks[1], 4 * n);
        assert!(
            peaks[1] < peaks[0] + 20.0,
            "{kind}: peak RSS {:.1} MB at {} visits against {:.1} MB at {n}: memory grows with the events",
            peaks[1],
            4 * n,
            peaks[0]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With 4× the events, 4× the cases and 4× the span of dates (two visits per case, a case
/// every 30 s: 10⁵ cases over 35 days → 4×10⁵ over 139), the peak may grow only by what the
/// allocator keeps of freed buffers (the buffers themselves are the same at both sizes):
/// 10 MB. Nothing is held per case (case ids are hashed keys sorted with the rows, a case's
/// type and arrival ride on its events: `src/discover/rows.rs`) or per date (calendar cells
/// and break evidence stream through a sorter and a spool). Measured: 31.3 → 30.2 MB. Before, about
/// 40 bytes per case remained (+12.6 MB here), and before that 160 (32 → 95 MB).
#[cfg(unix)]
#[test]
fn peak_memory_does_not_grow_with_the_cases_or_the_dates() {
    let dir = scratch("rss-cases");
    let n = 200_000usize;
    let mut peaks = Vec::new();
    for k in [1, 4] {
        let log = dir.join(format!("log{k}.csv"));
        write_csv(&log, n * k, 2);
        let out = dir.join(format!("out{k}.toml"));
        let (mb, code) = discover_peak_mb(&log, &out);
        assert_eq!(code, Some(0), "discover of {} visits failed", n * k);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(&format!("# {} cases, {} events", n * k / 2, n * k)), "all cases and visits read");
        std::fs::remove_file(&log).unwrap();
        peaks.push(mb);
    }
    let margin = 10.0;
    eprintln!(
        "csv, 2 visits per case: peak RSS {:.1} MB at {n} visits, {:.1} MB at {} (allowed +{margin:.1} MB)",
        peaks[0],
        peaks[1],
        4 * n
    );
    assert!(
        peaks[1] < peaks[0] + margin,
        "peak RSS {:.1} MB at {} cases against {:.1} MB at {}: more than {margin:.1} MB added",
        peaks[1],
        2 * n,
        peaks[0],
        n / 2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Above the sample size, a fit is of a uniform sample: its comment must still state the
/// number of observations (every finished visit of the step here), and that a sample of
/// `SAMPLE` was fitted; below it, the plain count. The count is checked against the step's
/// own visit count in the same scenario.
#[test]
fn a_sampled_fit_states_the_true_number_of_observations() {
    let dir = scratch("fit-n");
    let log = dir.join("log.csv");
    write_csv(&log, 30_000, 5);
    for sample in [Some(1000usize), None] {
        let out = dir.join("out.toml");
        let mut cmd = Command::new(bin());
        cmd.args(["discover", "--no-report", "-q"]).arg(&log).arg("-o").arg(&out);
        match sample {
            Some(s) => cmd.env("BRANCHSIM_DISCOVER_SAMPLE", s.to_string()),
            None => cmd.env_remove("BRANCHSIM_DISCOVER_SAMPLE"),
        };
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        let mut checked = 0;
        for step in text.split("[[steps]]").skip(1) {
            let visits: u64 = step
                .lines()
                .find(|l| l.starts_with("name = "))
                .and_then(|l| l.split("# ").nth(1))
                .and_then(|c| c.strip_suffix(" visits"))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no visit count in {step}"));
            let fit = step.lines().find_map(|l| l.strip_prefix("# service fit: n = ")).expect("a service fit");
            let n: u64 = fit.split(|c: char| !c.is_ascii_digit()).next().and_then(|v| v.parse().ok()).unwrap();
            assert_eq!(n, visits, "the fit's n is every finished visit: {fit}");
            let says_sample = fit.contains(&format!("(fitted to a uniform sample of {})", sample.unwrap_or(0)));
            assert_eq!(says_sample, sample.is_some_and(|s| visits > s as u64), "{fit}");
            assert!(sample.is_some() || !fit.contains("sample"), "{fit}");
            checked += usize::from(says_sample);
        }
        assert!(sample.is_none() || checked >= 3, "the three fixed first steps are sampled");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `discover` with the given event buffer; (scenario, stderr).
fn discover_with_buffer(log: &Path, out: &Path, buffer: Option<usize>) -> (String, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["discover", "--no-report"]).arg(log).arg("-o").arg(out);
    if let Some(b) = buffer {
        cmd.env("BRANCHSIM_DISCOVER_BUFFER", b.to_string());
    } else {
        cmd.env_remove("BRANCHSIM_DISCOVER_BUFFER");
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (std::fs::read_to_string(out).unwrap(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Sorting through temporary runs (a buffer of 1,000 events: dozens of runs) gives the same
/// scenario and the same data-quality warnings, with the same example lines, as sorting in
/// memory: on a generated log with rows out of order and on the messy fixture.
#[test]
fn spilled_and_in_memory_discovery_agree_byte_for_byte() {
    let dir = scratch("same");
    let generated = dir.join("log.csv");
    write_csv(&generated, 30_000, 5);
    let messy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs/messy.csv");
    for (log, buffer) in [(&generated, 1000), (&messy, 3)] {
        let out = dir.join("out.toml");
        let (mem, mem_err) = discover_with_buffer(log, &out, None);
        let (disk, disk_err) = discover_with_buffer(log, &out, Some(buffer));
        assert_eq!(mem, disk, "{}: the scenario changed when spilled", log.display());
        assert_eq!(mem_err, disk_err, "{}: the warnings changed when spilled", log.display());
        if log == &generated {
            assert!(mem_err.contains("rows earlier than the row before them"), "{mem_err}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
