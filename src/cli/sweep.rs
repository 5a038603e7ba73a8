//! `branchsim sweep FILE --set PATH=VALUES ...`: a grid of full Monte Carlo runs.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::budget::{MAX_SWEEP_POINTS, check_replications};
use super::run::{Fail, halted};
use super::{Caps, EXIT_BAD_INPUT, EXIT_OK, error, signals};
use crate::experiment::sweep::{self, Param};
use crate::experiment::{self, Job};
use crate::kpi;
use crate::report::files;
use crate::report::results::Stat;
use crate::report::table::{Table, fmt_stat};
use crate::scenario;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim sweep scenarios/loan_approval.toml --set steps.underwriting.service.mean=45min,1h
  branchsim sweep scenarios/downtown_branch.toml --set resources.teller.staff=+0..+2 \\
      --set customers.retail.rate_scale=0.8,1.0,1.2 -n 200 --out results")]
pub struct SweepArgs {
    /// The scenario file (its baseline is swept).
    pub file: PathBuf,
    /// A parameter and its values: resources.teller.staff=2..6, customers.retail.rate_scale=0.8,1.0,1.2,
    /// steps.teller.service.mean=3min,4min (repeatable: the grid of all combinations).
    #[arg(long = "set", required = true)]
    pub set: Vec<String>,
    /// Number of replications per grid point (overrides the file).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Base random seed (overrides the file); every grid point uses the same random numbers.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder; results go to OUT/<scenario-slug>/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub caps: Caps,
}

/// One grid point's results, as written to sweep.json.
#[derive(Serialize)]
pub struct SweepPoint {
    pub values: Vec<String>,
    pub kpis: indexmap::IndexMap<String, Stat>,
}

#[derive(Serialize)]
pub struct SweepOut {
    pub schema_version: u32,
    pub branchsim_version: String,
    pub scenario: String,
    pub content_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub time_unit: String,
    pub params: Vec<String>,
    pub points: Vec<SweepPoint>,
}

pub fn sweep(a: &SweepArgs) -> i32 {
    let loaded = match scenario::load_file(&a.file) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_BAD_INPUT;
        }
    };
    let params = match a.set.iter().map(|s| Param::parse(s)).collect::<Result<Vec<_>, _>>() {
        Ok(p) => p,
        Err(e) => {
            error(&format!("--set {e}"));
            return EXIT_BAD_INPUT;
        }
    };
    // The grid is counted before it is built: three --set of 1000 values are 10⁹ points.
    let size = params.iter().try_fold(1u64, |acc, p| acc.checked_mul(p.values.len() as u64));
    if size.is_none_or(|n| n > MAX_SWEEP_POINTS) {
        let counts: Vec<String> = params.iter().map(|p| p.values.len().to_string()).collect();
        error(&format!(
            "the sweep grid has {} points ({}), more than the limit of {MAX_SWEEP_POINTS}: sweep fewer values",
            size.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string()),
            counts.join(" × ")
        ));
        return EXIT_BAD_INPUT;
    }
    let mut root = loaded.tree.clone();
    root.remove("variants");
    let points = sweep::grid(&params);
    // Build (and so validate) every point before simulating any.
    let mut models = Vec::new();
    for values in &points {
        let mut doc = root.clone();
        for (p, v) in params.iter().zip(values) {
            match sweep::apply(&doc, &p.path, v) {
                Ok(d) => doc = d,
                Err(e) => {
                    error(&e);
                    return EXIT_BAD_INPUT;
                }
            }
        }
        match scenario::load_tree(doc, &loaded.source, &loaded.path) {
            Ok(l) => {
                let mut m = l.baseline().model.clone();
                if let Err(e) = a.caps.apply_model(&mut m) {
                    error(&e);
                    return EXIT_BAD_INPUT;
                }
                models.push(m);
            }
            Err(e) => {
                let label: Vec<String> = params.iter().zip(values).map(|(p, v)| format!("{}={v}", p.path)).collect();
                eprint!("{}", e.render());
                error(&format!("sweep point {} is not a valid scenario", label.join(", ")));
                return EXIT_BAD_INPUT;
            }
        }
    }
    let base = &loaded.baseline().model;
    let seed = a.seed.unwrap_or(base.seed);
    let reps = a.replications.unwrap_or(u64::from(base.replications));
    if reps == 0 {
        error("--replications must be at least 1");
        return EXIT_BAD_INPUT;
    }
    let dir = a.out.join(scenario::slug(&base.name));
    // One point's replication rows are held at a time; sweep.csv has a line per point and KPI.
    let prepared = check_replications("--replications", reps)
        .and_then(|()| {
            let job = [Job { name: "baseline", description: "", model: &models[0] }];
            a.caps.budget.check(&super::run::work(&job, reps, false), Some(&dir))
        })
        .and_then(|()| {
            let out = files::OutputDir::open(&dir)?;
            out.preflight(&["sweep.json", "sweep.csv"], &["sweep-charts"])?;
            let stage = out.stage().map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
            Ok((out, stage))
        });
    let (_lock, mut stage) = match prepared {
        Ok(x) => x,
        Err(e) => {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    };
    let pool = match super::run::build_pool(a.threads) {
        Ok(p) => p,
        Err(e) => {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    };
    let bar = {
        use std::io::IsTerminal;
        (!a.quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(models.len() as u64);
            if let Ok(s) = ProgressStyle::with_template("{spinner} sweep points {pos}/{len} [{bar:40}] eta {eta}") {
                b.set_style(s.progress_chars("=> "));
            }
            b
        })
    };
    let tu = base.time_unit;
    let mut out_points = Vec::new();
    let ctl = experiment::Control { cancel: &signals::cancelled, stop_on_cap: true };
    for (values, m) in points.iter().zip(&models) {
        let jobs = [Job { name: "baseline", description: "", model: m }];
        let res = match pool.install(|| experiment::run_ctl(&jobs, seed, reps, None, &|_| {}, &ctl)) {
            Ok((res, _)) => res,
            Err(h) => {
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                let label: Vec<String> = params.iter().zip(values).map(|(p, v)| format!("{}={v}", p.path)).collect();
                return match halted(h, &loaded.warnings) {
                    Fail::Input(m) => Fail::Input(format!("sweep point {}: {m}", label.join(", "))),
                    f => f,
                }
                .report(Some(&dir));
            }
        };
        let mut kpis = indexmap::IndexMap::new();
        if let Some(v) = res.first() {
            for (k, id) in v.catalogue.iter().enumerate() {
                let scale = if kpi::is_duration(&id.kpi) { 1.0 / tu.minutes() } else { 1.0 };
                let s = v.summary(k);
                kpis.insert(id.path(), Stat::from(&s, scale));
            }
        }
        out_points.push(SweepPoint { values: values.clone(), kpis });
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(code) = signals::received() {
        return Fail::Signal(code).report(Some(&dir));
    }
    let out = SweepOut {
        schema_version: 1,
        branchsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario: base.name.clone(),
        content_hash: loaded.content_hash.clone(),
        seed,
        replications: reps,
        time_unit: tu.label().into(),
        params: params.iter().map(|p| p.path.clone()).collect(),
        points: out_points,
    };
    if let Err(e) = write(&mut stage, &out) {
        error(&format!("cannot write sweep results to {}: {e}; nothing was written", dir.display()));
        return EXIT_BAD_INPUT;
    }
    let drawn = cost_chart(&mut stage, &out)
        .and_then(|()| if out.params.len() == 2 { sweep_charts(&mut stage, &out) } else { Ok(()) });
    if let Err(e) = drawn {
        error(&format!("the sweep charts could not be drawn: {e}; nothing was written"));
        return EXIT_BAD_INPUT;
    }
    match super::run::publish(stage, &dir) {
        Ok(None) => {}
        Ok(Some(code)) | Err(code) => return code,
    }
    if !a.quiet {
        print_table(&out);
        println!("\nSweep results written to {}", dir.display());
    }
    EXIT_OK
}

fn write(stage: &mut files::Stage, out: &SweepOut) -> std::io::Result<()> {
    let mut json = serde_json::to_string_pretty(out).map_err(std::io::Error::other)?;
    json.push('\n');
    stage.write("sweep.json", json.as_bytes())?;
    let mut w = crate::report::csv_out::buffer();
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(out.params.iter().cloned());
    header.extend(["kpi", "mean", "sd", "ci_low", "ci_high", "n"].map(String::from));
    header.extend(crate::report::csv_out::PROVENANCE_COLUMNS.map(String::from));
    let prov =
        [out.content_hash.clone(), out.seed.to_string(), out.replications.to_string(), out.branchsim_version.clone()];
    w.write_record(&header)?;
    let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
    for (i, p) in out.points.iter().enumerate() {
        for (k, s) in &p.kpis {
            let mut row = vec![i.to_string()];
            row.extend(p.values.iter().map(|v| crate::report::csv_out::safe_text(v)));
            row.extend([
                crate::report::csv_out::safe_text(k),
                num(s.mean),
                num(s.sd),
                num(s.ci95[0]),
                num(s.ci95[1]),
                s.n.to_string(),
            ]);
            row.extend(prov.iter().cloned());
            w.write_record(&row)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    stage.write("sweep.csv", &bytes)
}

fn print_table(out: &SweepOut) {
    let shown = ["wait_mean", "wait_p90", "service_level", "abandon_rate", "staff_cost"];
    let mut header: Vec<String> = out.params.clone();
    header.extend(
        shown.iter().map(|k| if kpi::is_duration(k) { format!("{k} ({})", out.time_unit) } else { k.to_string() }),
    );
    let mut t = Table::new(header);
    for p in &out.points {
        let mut row = p.values.clone();
        row.extend(shown.iter().map(|k| p.kpis.get(*k).map_or("-".into(), |s| fmt_stat(s, k))));
        t.row(row);
    }
    println!(
        "{} — sweep of {} points, {} replications each, seed {}",
        out.scenario,
        out.points.len(),
        out.replications,
        out.seed
    );
    print!("{}", t.render());
}

/// Two-parameter sweeps get a heatmap per headline KPI in `sweep-charts/` (PNG + SVG).
fn sweep_charts(stage: &mut files::Stage, out: &SweepOut) -> Result<(), String> {
    use crate::report::charts::{self, SweepGrid, fonts};
    let mut xs: Vec<String> = Vec::new();
    let mut ys: Vec<String> = Vec::new();
    for p in &out.points {
        if !xs.contains(&p.values[0]) {
            xs.push(p.values[0].clone());
        }
        if !ys.contains(&p.values[1]) {
            ys.push(p.values[1].clone());
        }
    }
    let font = fonts::choose(None, &[out.scenario.as_str()])?;
    for (k, label, percent) in [
        ("wait_mean", format!("mean wait ({})", out.time_unit), false),
        ("service_level", "service level".to_string(), true),
        ("abandon_rate", "abandonment".to_string(), true),
    ] {
        let mut values = vec![vec![f64::NAN; xs.len()]; ys.len()];
        for p in &out.points {
            let (Some(xi), Some(yi)) =
                (xs.iter().position(|x| *x == p.values[0]), ys.iter().position(|y| *y == p.values[1]))
            else {
                continue;
            };
            values[yi][xi] = p.kpis.get(k).map_or(f64::NAN, |s| s.mean);
        }
        let grid = SweepGrid {
            scenario: out.scenario.clone(),
            x_name: out.params[0].clone(),
            x_values: xs.clone(),
            y_name: out.params[1].clone(),
            y_values: ys.clone(),
            kpi_label: label,
            values,
            percent,
        };
        let st = stamp(out);
        let r = charts::sweep_heatmap(&grid, &font, &st)?;
        stage.write(&format!("sweep-charts/sweep-{k}.svg"), st.svg(&r.svg).as_bytes()).map_err(|e| e.to_string())?;
        stage.write(&format!("sweep-charts/sweep-{k}.png"), &r.png).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Cost against service level, one labelled point per sweep point, the efficient ones
/// highlighted: `sweep-charts/sweep-cost-vs-service.{png,svg}`.
fn cost_chart(stage: &mut files::Stage, out: &SweepOut) -> Result<(), String> {
    use crate::report::charts::{self, CostServicePoint, cost::CostChart, fonts};
    let font = fonts::choose(None, &[out.scenario.as_str()])?;
    let points: Vec<CostServicePoint> = out
        .points
        .iter()
        .map(|p| CostServicePoint {
            label: out
                .params
                .iter()
                .zip(&p.values)
                .map(|(k, v)| format!("{}={v}", k.rsplit('.').nth(1).unwrap_or(k)))
                .collect::<Vec<_>>()
                .join(", "),
            cost: p.kpis.get("staff_cost").map_or(f64::NAN, |s| s.mean),
            service_level: p.kpis.get("service_level").map_or(f64::NAN, |s| s.mean),
            colour: plotters::style::RGBColor(0, 114, 178),
            sweep: true,
        })
        .collect();
    let chart = CostChart {
        font: font.family,
        title: format!("{} — staff cost vs service level across the sweep", out.scenario),
        points,
        threshold: "the threshold".into(),
    };
    let st = stamp(out);
    let (svg, png) = charts::render(&chart, &st)?;
    let svg = st.svg(&svg);
    stage.write("sweep-charts/sweep-cost-vs-service.svg", svg.as_bytes()).map_err(|e| e.to_string())?;
    stage.write("sweep-charts/sweep-cost-vs-service.png", &png).map_err(|e| e.to_string())
}

/// The sweep's provenance, stamped into its charts (see `report::stamp`).
fn stamp(out: &SweepOut) -> crate::report::stamp::Stamp {
    crate::report::stamp::Stamp::new(
        &out.scenario,
        &out.content_hash,
        out.seed,
        out.replications,
        &out.branchsim_version,
    )
}
