//! The fit report of `branchsim discover`: one self-contained HTML page and PNG charts that
//! show what each inferred value rests on, so a planner can judge the model before running it.
//!
//! Charts: the arrival profile (weekday × hour, the fitted rate with its 95% interval over the
//! count of every observed date), per activity a histogram of working times with the fitted
//! distribution's expected counts and a Q–Q plot, and the staff seen at work per hour of the
//! week per pool. The routing graph is the run report's process diagram of the compiled
//! scenario (`report::charts::diagram`), so it shows exactly what will be simulated.
//!
//! Every figure the page prints comes from the same `Discovery` the scenario was written from
//! and is formatted as the scenario formats it (`emit::dist`, `emit::route_probabilities`), so the page and
//! the scenario agree; `tests/discover_report.rs` reads both back to check it.

mod charts;
mod page;

pub use charts::quantile;

use std::path::{Path, PathBuf};

use super::Discovery;
use super::fit::Fit;
use super::log::NONE;
use super::pools::WorkClock;
use super::sample::Sample;
use crate::report::charts::{Rendered, Stamp, file_part, fonts, render};
use crate::report::files;

/// File name of the page inside the report folder.
pub const PAGE: &str = "fit_report.html";
/// Folder of the chart files inside the report folder.
pub const CHARTS: &str = "charts";

/// The report folder used when `--report` is not given: `<scenario stem>_fit` beside the
/// scenario file, so that discovering into `scenarios/` never writes loose charts there.
pub fn default_dir(scenario: &Path) -> PathBuf {
    let stem = scenario.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    scenario.with_file_name(format!("{stem}_fit"))
}

/// One activity's evidence: its fit and the sorted working times it was fitted to.
pub struct ActivityEvidence<'a> {
    pub name: &'a str,
    pub fit: &'a Fit,
    /// Working times (minutes, ≥ 0, zero-length included), sorted: all of them, or a uniform
    /// sample of `sample::CAP` for a step visited more often (see `sample`).
    pub values: Vec<f64>,
    /// Working times observed in all (more than `values.len()` when sampled).
    pub seen: u64,
}

/// Working time of every finished event per activity, as `process::infer` measures it
/// (end − start less the closed hours of the resource's calendar). Recomputed here rather
/// than kept in `Discovery`, which holds only counts (memory linear in activities, not events);
/// a bounded sample per activity, with the number observed.
pub fn working_times(d: &Discovery) -> Vec<(Vec<f64>, u64)> {
    let log = &d.log;
    let clock = WorkClock::new(log, &d.pools);
    let mut out: Vec<Sample<f64>> = vec![Sample::default(); log.activities.len()];
    for e in &log.events {
        if e.end.is_nan() {
            continue;
        }
        let w = if e.resource == NONE { e.end - e.start } else { clock.work(e.resource, e.start, e.end) };
        if w.is_finite() && w >= 0.0 {
            out[e.activity as usize].push(w);
        }
    }
    out.into_iter()
        .map(|s| {
            let seen = s.seen();
            let mut v = s.to_vec();
            v.sort_by(f64::total_cmp);
            (v, seen)
        })
        .collect()
}

/// The activities with a fit, in the scenario's step order.
pub fn evidence(d: &Discovery) -> Vec<ActivityEvidence<'_>> {
    let mut times = working_times(d);
    d.process
        .steps
        .iter()
        .filter_map(|s| {
            let fit = s.fit.as_ref()?;
            Some(ActivityEvidence {
                name: &d.log.activities.names[s.activity as usize],
                fit,
                values: std::mem::take(&mut times[s.activity as usize].0),
                seen: times[s.activity as usize].1,
            })
        })
        .collect()
}

/// What the page needs besides the discovery: the scenario as written and loaded.
pub struct Written<'a> {
    /// Path of the scenario file, as the user gave it.
    pub scenario_path: &'a str,
    /// The loaded scenario (for the process diagram and the content hash).
    pub loaded: &'a crate::scenario::Loaded,
}

/// Writes `fit_report.html` and `charts/*.png` into `dir`, all or nothing. `font`: as
/// `branchsim report --font`.
pub fn write(d: &Discovery, w: &Written<'_>, dir: &Path, font: Option<&Path>) -> Result<(), String> {
    let ev = evidence(d);
    let mut texts: Vec<&str> = d.log.activities.names.iter().map(String::as_str).collect();
    texts.extend(d.pools.iter().map(|p| p.name.as_str()));
    texts.push(&d.source_name);
    let font = fonts::choose(font, &texts)?;
    let stamp = Stamp::new(
        &format!("discovered from {}", d.source_name),
        &w.loaded.content_hash,
        1,
        0,
        env!("CARGO_PKG_VERSION"),
    );
    let mut drawn: Vec<Rendered> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut add = |stem: String, title: String, caption: String, out: Result<(String, Vec<u8>), String>| match out {
        Ok((svg, png)) => drawn.push(Rendered { stem, title, caption, svg, png }),
        Err(e) => failed.push(format!("{title}: {e}")),
    };
    let a = charts::ArrivalProfile::new(d, font.family);
    add("arrivals".into(), a.title.clone(), a.caption(), render(&a, &stamp));
    for (i, e) in ev.iter().enumerate() {
        let c = charts::Durations::new(e, font.family);
        // Names in any script: the number keeps stems unique and never empty.
        let part = file_part(e.name);
        let stem =
            if part.is_empty() { format!("duration-{:02}", i + 1) } else { format!("duration-{:02}-{part}", i + 1) };
        add(stem, c.title.clone(), c.caption(), render(&c, &stamp));
    }
    let s = charts::Staffing::new(d, font.family);
    add("staffing".into(), s.title.clone(), s.caption(), render(&s, &stamp));
    if !failed.is_empty() {
        return Err(format!("the fit report's charts could not be drawn: {}", failed.join("; ")));
    }
    let html = page::render(d, w, &ev, &drawn, &font);
    let out = files::OutputDir::open(dir)?;
    out.preflight(&[PAGE], &[CHARTS])?;
    let stage = out.stage().map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    for c in &drawn {
        let name = format!("{CHARTS}/{}.png", c.stem);
        stage.write(&name, &c.png).map_err(|e| format!("{name}: {e}"))?;
    }
    stage.write(PAGE, html.as_bytes()).map_err(|e| format!("{PAGE}: {e}"))?;
    stage.publish().map_err(|e| format!("cannot publish the fit report in {}: {e}", dir.display()))
}
