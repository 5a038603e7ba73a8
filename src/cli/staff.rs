//! `branchsim staff FILE --target "service_level>=0.8"`: the least staff per interval that
//! meets the targets, the cheapest rota of the scenario's `[[shifts]]` covering it, and a
//! variant file to run it.
//!
//! Exit codes: 0 every interval meets every target; 1 some interval cannot meet a target
//! within `--max-staff` (reported with its best value and the cap hit), or the rota could not
//! be made to meet them; 2 bad input or usage.

use std::path::PathBuf;

use clap::Args;

use super::{Caps, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, signals};
use crate::report::files;
use crate::scenario;
use crate::staffing::{Problem, Settings, Target, output, rota, search, shifts};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim staff scenarios/downtown_branch.toml --target \"service_level>=0.8\"
  branchsim staff scenarios/downtown_branch.toml --target \"wait_mean<=3min\" \\
      --target \"abandon_rate<=0.05\" --interval 1h --resources teller
  branchsim staff scenarios/downtown_branch.toml --target \"service_level(2min, step=teller)>=0.8\" \\
      --target \"wait_p90(customer=business)<=10min\"")]
pub struct StaffArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// A target every interval must meet (repeatable): service_level>=0.8,
    /// service_level(20s)>=0.8, abandon_rate<=0.05, wait_mean<=3min, wait_p90<=5min,
    /// utilisation<=0.85, utilisation[teller]<=0.85. Customer KPIs count customers by the
    /// interval they arrived in; narrow one with step=, resource= or customer= in the brackets:
    /// "service_level(20s, step=teller)>=0.8", "wait_p90(customer=business)<=5min".
    #[arg(long = "target", required = true)]
    pub targets: Vec<String>,
    /// Length of a staffing interval.
    #[arg(long, default_value = "30min")]
    pub interval: String,
    /// Resources to staff, comma-separated (default: every resource that is not automated).
    #[arg(long, value_delimiter = ',')]
    pub resources: Vec<String>,
    /// Replications simulated per candidate plan (the same ones for every candidate).
    #[arg(long, short = 'n', default_value_t = 100)]
    pub replications: u64,
    /// Replications of the independent re-simulation of the final plan.
    #[arg(long, default_value_t = 400)]
    pub verify_replications: u64,
    /// Also check minimality: the final plan with one person fewer at each (resource,
    /// interval), re-simulated independently, must miss a target.
    #[arg(long)]
    pub check_minimal: bool,
    /// An interval meets a target when the one-sided confidence that it does, from the
    /// replications, is at least this.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Most staff of one resource in one interval.
    #[arg(long, default_value_t = 50)]
    pub max_staff: u32,
    /// Base random seed (overrides the file).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder; results go to OUT/<scenario-slug>/staffing/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub caps: Caps,
}

pub fn staff(a: &StaffArgs) -> i32 {
    match staff_inner(a) {
        Ok(code) => code,
        Err(e) => {
            error(&e);
            EXIT_BAD_INPUT
        }
    }
}

fn staff_inner(a: &StaffArgs) -> Result<i32, String> {
    let loaded = match scenario::load_file(&a.file) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.render());
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let base = loaded.baseline();
    let mut model = base.model.clone();
    a.caps.apply_model(&mut model)?;
    let width = scenario::units::parse_duration(&a.interval).map_err(|e| format!("--interval: {e}"))?;
    let targets = a.targets.iter().map(|t| Target::parse(t, model.service_level)).collect::<Result<Vec<_>, _>>()?;
    let resources: Vec<usize> = if a.resources.is_empty() {
        (0..model.resources.len()).filter(|&r| !model.resources[r].automated).collect()
    } else {
        let names: Vec<&str> = model.resources.iter().map(|r| r.name.as_str()).collect();
        a.resources
            .iter()
            .map(|n| {
                names.iter().position(|x| x == n).ok_or_else(|| {
                    format!("--resources: unknown resource `{n}`; {}", scenario::diag::did_you_mean(n, &names))
                })
            })
            .collect::<Result<_, _>>()?
    };
    if a.replications < 2 || a.verify_replications < 2 {
        return Err("--replications and --verify-replications must be at least 2".into());
    }
    if a.max_staff == 0 {
        return Err("--max-staff must be at least 1".into());
    }
    let seed = a.seed.unwrap_or(model.seed);
    if !(0.5..1.0).contains(&a.confidence) {
        return Err("--confidence must be at least 0.5 and below 1".into());
    }
    let mut problem = Problem::new(model, width, resources, targets, seed)?.with_breaks_of(&base.scenario)?;
    problem.level = a.confidence;
    let mut d = scenario::Diagnostics::default();
    let names: Vec<&str> = problem.model.resources.iter().map(|r| r.name.as_str()).collect();
    let templates = shifts::read(&loaded.tree, problem.model.time_unit, &names, &mut d);
    // The output folder is locked and checked before the search, so a long search is never
    // lost to a folder that cannot take its results, and two commands cannot mix files in it.
    let dir = a.out.join(scenario::slug(&problem.model.name)).join("staffing");
    let stem = a.file.file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let variant_file = format!("{stem}.staffed.toml");
    let out_dir = files::OutputDir::open(&dir)?;
    out_dir.preflight(&[STAFF_FILES[0], STAFF_FILES[1], STAFF_FILES[2], variant_file.as_str()], &[])?;
    let pool = super::run::build_pool(a.threads)?;
    let settings = Settings { replications: a.replications, max_staff: a.max_staff, ..Settings::default() };
    let bar = spinner(a.quiet);
    let tick = |n: usize| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
        // Between candidate plans: nothing is written before the search ends, so stopping
        // here leaves earlier results intact.
        if let Some(code) = signals::received() {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            std::process::exit(signals::stopped(code, "the staffing search was stopped; nothing was written"));
        }
    };
    let (req, rota, verification, sipp, minimal) = pool.install(|| -> Result<_, String> {
        if let Some(b) = &bar {
            b.set_message("requirement: candidate plans simulated");
        }
        let mut req = search(&problem, &settings, None, &tick);
        // Replications the search never used: an independent check.
        let first = 1 << 32;
        if let Some(b) = &bar {
            b.set_message("requirement: confirmed on independent replications");
        }
        search::confirm(&problem, &settings, &mut req, first, a.verify_replications, &tick);
        let rota = if templates.is_empty() {
            None
        } else {
            if let Some(b) = &bar {
                b.set_message("rota: candidate rotas simulated");
            }
            Some(rota::plan(&problem, &templates, &req, (first, a.verify_replications), &tick)?)
        };
        let fin = rota.as_ref().map_or(&req.plan, |r| &r.staff);
        // A third sample, used by neither the search nor the confirmation.
        let third = 2 << 32;
        let v = search::verify(&problem, fin, third, a.verify_replications);
        let sipp = search::verify(&problem, &req.sipp, third, a.verify_replications);
        let minimal = a.check_minimal.then(|| {
            if let Some(b) = &bar {
                b.set_message("minimality: one-fewer plans re-simulated");
            }
            search::minimality(&problem, fin, third, a.verify_replications, &tick)
        });
        Ok((req, rota, v, sipp, minimal))
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let final_plan = rota.as_ref().map_or(&req.plan, |r| &r.staff);
    let report = output::Report {
        problem: &problem,
        requirement: &req,
        final_plan,
        rota: rota.as_ref(),
        verification: &verification,
        sipp: &sipp,
    };
    let existing: Vec<String> = loaded.variants.iter().map(|v| v.name.clone()).collect();
    let (variant, vname) = report.variant_toml(&loaded.source, &existing);
    let variant_path = dir.join(&variant_file);
    // Every file is staged, then all are published together (as `run` does): an interrupted
    // or failed write leaves the earlier staffing results whole.
    let stamp = crate::report::stamp::Stamp::new(
        &problem.model.name,
        &loaded.content_hash,
        seed,
        a.verify_replications,
        env!("CARGO_PKG_VERSION"),
    );
    let font = crate::report::charts::fonts::choose(None, &report.chart_texts())?;
    let (_, png) = crate::report::charts::render(&report.chart(font.family), &stamp)?;
    let stage = out_dir.stage().map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    let io = |name: &str, e: std::io::Error| format!("cannot write {}: {e}", dir.join(name).display());
    for (name, bytes) in [
        (STAFF_FILES[0], report.csv()?.into_bytes()),
        (STAFF_FILES[1], stamp.svg(&report.svg()).into_bytes()),
        (STAFF_FILES[2], png),
        (variant_file.as_str(), variant.into_bytes()),
    ] {
        stage.write(name, &bytes).map_err(|e| io(name, e))?;
    }
    match super::run::publish(stage, &dir) {
        Ok(None) => {}
        Ok(Some(code)) | Err(code) => return Ok(code),
    }
    drop(out_dir);
    let infeasible: Vec<usize> = (0..problem.grid.n).filter(|&i| req.infeasible[i]).collect();
    let met = rota.as_ref().is_none_or(|r| r.met);
    if !a.quiet {
        println!(
            "{}: {} intervals of {}, {} candidate plans simulated ({} replications each, seed {seed})\n",
            problem.model.name,
            problem.grid.n,
            scenario::units::human_duration(width),
            req.evaluations,
            a.replications
        );
        print!("{}", report.table());
        println!(
            "\nKPIs re-simulated on {} independent replications; confidence = one-sided probability that the interval meets the target.",
            a.verify_replications
        );
        println!("cost: SIPP {:.0}, requirement {:.0}", report.plan_cost(&req.sipp), report.plan_cost(&req.plan));
        if let Some(r) = &rota {
            println!("rota (cost {:.0}, {} integer programs solved):", r.rota.cost, r.solves);
            for (c, &n) in r.columns.iter().zip(&r.rota.counts).filter(|(_, n)| **n > 0) {
                let lunch = c.lunch.map_or(String::new(), |l| {
                    format!(", lunch {}", scenario::units::clock_label(problem.model.start_clock, l, false))
                });
                println!(
                    "  {n} × {} from {}{lunch}",
                    templates[c.template].name,
                    scenario::units::clock_label(problem.model.start_clock, c.start, false)
                );
            }
        }
        for &i in &infeasible {
            let best: Vec<String> = problem
                .targets
                .iter()
                .zip(&req.eval.kpi)
                .map(|(t, k)| format!("{} best {:.3}", t.text, k[i].value))
                .collect();
            println!(
                "infeasible: interval {} ({}) misses its target even at the staff cap of {} (--max-staff): {}",
                i + 1,
                scenario::units::clock_label(problem.model.start_clock, problem.grid.start(i), false),
                a.max_staff,
                best.join("; ")
            );
        }
        if !met {
            println!("the rota could not be made to meet every target (see the table)");
        }
        if let Some(m) = &minimal {
            let level = problem.level;
            let broken = m.iter().filter(|x| x.4 < level).count();
            println!(
                "minimality: {broken} of {} plans with one person fewer miss a target (confidence below {:.0}%) on the independent replications",
                m.len(),
                100.0 * level
            );
            let name = |k: usize| &problem.model.resources[problem.resources[k]].name;
            if let Some(&(k, i, t, j, c)) = m.iter().filter(|x| x.4 < level).max_by(|a, b| a.4.total_cmp(&b.4)) {
                println!(
                    "  least clear-cut: one {} fewer at {} leaves `{}` at {} met with confidence {:.1}%",
                    name(k),
                    report_clock(&problem, i),
                    problem.targets[t].text,
                    report_clock(&problem, j),
                    100.0 * c
                );
            }
            for &(k, i, t, j, c) in m.iter().filter(|x| x.4 >= level) {
                println!(
                    "  one {} fewer at {} still meets every target (least sure: `{}` at {}, {:.1}%)",
                    name(k),
                    report_clock(&problem, i),
                    problem.targets[t].text,
                    report_clock(&problem, j),
                    100.0 * c
                );
            }
        }
        println!(
            "\nwrote {} (variant `{vname}`: branchsim run {} --variant {vname})",
            dir.display(),
            variant_path.display()
        );
    }
    Ok(if infeasible.is_empty() && met { EXIT_OK } else { EXIT_FAILED })
}

/// The files `staff` writes beside the variant scenario.
const STAFF_FILES: [&str; 3] = ["staffing.csv", "staffing.svg", "staffing.png"];

fn report_clock(p: &Problem, i: usize) -> String {
    scenario::units::clock_label(p.model.start_clock, p.grid.start(i), false)
}

fn spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(s) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos}") {
        bar.set_style(s);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
