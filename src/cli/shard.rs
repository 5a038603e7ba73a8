//! Scale-out: `run --shard K/N` writes one shard's replications; `merge` combines shards into
//! exactly the outputs a single-machine run writes (same bytes for the same seed).

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::run::{
    Fail, Plan, RunOutput, build_pool, halted, plan, prepare_output, progress_bar, publish, work, write_outputs,
};
use super::{EXIT_BAD_INPUT, EXIT_OK, RunArgs, error, signals};
use crate::experiment::{self, PartialVariant, VariantResult};
use crate::report::results::CompareOptions;
use crate::report::{Results, charts, files};
use crate::scenario;

/// The shard format; version 2 holds each time-series bin as a mergeable accumulator
/// (`stats::BandAcc`) instead of every replication's value.
pub const SHARD_FORMAT: &str = "branchsim-shard-2";

/// One shard's results and everything `merge` needs to check that shards belong together.
#[derive(Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub branchsim_version: String,
    pub scenario_file: String,
    pub content_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub shard: u64,
    pub shards: u64,
    pub objective: Option<String>,
    pub maximise: Option<bool>,
    pub indifference: f64,
    pub variants: Vec<PartialVariant>,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim run scenarios/downtown_branch.toml --shard 0/2 --out shards/0
  branchsim run scenarios/downtown_branch.toml --shard 1/2 --out shards/1
  branchsim merge shards/0 shards/1 --out output")]
pub struct MergeArgs {
    /// Folders (or files) holding shard-*.json files written by `run --shard`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The scenario file (default: the path recorded in the shards).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output folder; results go to OUT/<scenario-slug>/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Do not write charts or the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    /// List every replication in results.xlsx's Replications sheet (as `run
    /// --xlsx-replications`); by default only up to 200 replications.
    #[arg(long)]
    pub xlsx_replications: bool,
    /// A TTF/OTF font for chart text (default: the embedded font, or Noto CJK when installed).
    #[arg(long)]
    pub font: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub budget: super::budget::Budget,
}

/// Shard files larger than this are refused (10⁷ replications of a large model in one shard
/// are about this size; split such a run into more shards).
pub const MAX_SHARD_BYTES: u64 = 1 << 30;

/// Parses `--shard K/N` (a clap value parser, so a bad value gets clap's usage line).
pub fn parse_spec(spec: &str) -> Result<(u64, u64), String> {
    let bad = || "expected K/N with 0 <= K < N <= 1000000, e.g. 0/4".to_string();
    let (k, n) = spec.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || k >= n || n > 1_000_000 {
        return Err(bad());
    }
    Ok((k, n))
}

pub fn run_shard(loaded: &scenario::Loaded, a: &RunArgs, (k, n): (u64, u64)) -> i32 {
    let go = || -> Result<PathBuf, Fail> {
        let Plan { seed, replications, jobs, precision, opts } = plan(loaded, a)?;
        if precision.is_some() {
            return Err(Fail::Input(
                "--precision cannot be combined with --shard: the replication count must be fixed in advance".into(),
            ));
        }
        let (from, to) = experiment::shard_range(replications, k, n);
        let dir = a.out.join(scenario::slug(&loaded.baseline().model.name)).join("shards");
        // A shard holds its replications' rows in memory and writes them as JSON.
        a.caps.budget.check(&work(&jobs, to - from, true), Some(&dir))?;
        let pool = build_pool(a.threads)?;
        let bar = progress_bar((to - from) * jobs.len() as u64, a.quiet);
        let tick = |x: u64| {
            if let Some(b) = &bar {
                b.inc(x);
            }
        };
        let ctl = experiment::Control { cancel: &signals::cancelled, stop_on_cap: true };
        let res = pool.install(|| experiment::run_slice_ctl(&jobs, seed, from, to, &tick, &ctl));
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let res = res.map_err(|h| halted(h, &loaded.warnings))?;
        if let Some(code) = signals::received() {
            return Err(Fail::Signal(code));
        }
        let file = ShardFile {
            format: SHARD_FORMAT.into(),
            branchsim_version: env!("CARGO_PKG_VERSION").into(),
            scenario_file: loaded.path.clone(),
            content_hash: loaded.content_hash.clone(),
            seed,
            replications,
            shard: k,
            shards: n,
            objective: opts.objective.clone(),
            maximise: opts.maximise,
            indifference: opts.indifference,
            variants: res.iter().map(VariantResult::to_partial).collect(),
        };
        let path = dir.join(format!("shard-{k}-of-{n}.json"));
        let json = serde_json::to_string(&file).map_err(|e| e.to_string())?;
        files::write_file(&path, json.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    };
    match go() {
        Ok(p) => {
            if let Some(code) = signals::received() {
                return signals::stopped(code, &format!("the shard was complete and written to {}", p.display()));
            }
            if !a.quiet {
                println!("Shard written to {}", p.display());
            }
            EXIT_OK
        }
        Err(f) => f.report(None),
    }
}

fn shard_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for i in inputs {
        if i.is_file() {
            out.push(i.clone());
            continue;
        }
        let dirs = [i.clone(), i.join("shards")];
        for d in dirs.iter().filter(|d| d.is_dir()) {
            let rd = std::fs::read_dir(d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            for e in rd.flatten() {
                let p = e.path();
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if name.starts_with("shard-") && name.ends_with(".json") {
                    out.push(p);
                }
            }
        }
        if !i.exists() {
            return Err(format!("{} does not exist", i.display()));
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err("no shard-*.json files found in the inputs".into());
    }
    Ok(out)
}

pub fn merge(a: &MergeArgs) -> i32 {
    match merge_inner(a) {
        Ok(Err(code)) => code,
        Ok(Ok(dir)) => {
            if !a.quiet {
                println!("Merged results written to {}", dir.display());
            }
            EXIT_OK
        }
        Err(e) => {
            error(&e);
            EXIT_BAD_INPUT
        }
    }
}

/// The merged folder, or the exit code of a signal (already reported).
type Merged = Result<PathBuf, i32>;

fn merge_inner(a: &MergeArgs) -> Result<Merged, String> {
    let mut shards: Vec<ShardFile> = Vec::new();
    for p in shard_files(&a.inputs)? {
        let bytes = crate::input::read_limited(&p, MAX_SHARD_BYTES).map_err(|e| format!("{}: {e}", p.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{} is not a branchsim shard file (not UTF-8)", p.display()))?;
        let s: ShardFile = serde_json::from_str(&text).map_err(|e| {
            // A shard of another format version names itself; say so rather than quote serde.
            #[derive(Deserialize)]
            struct Header {
                format: String,
                branchsim_version: Option<String>,
            }
            match serde_json::from_str::<Header>(&text) {
                Ok(h) if h.format.starts_with("branchsim-shard") && h.format != SHARD_FORMAT => format!(
                    "{} is a shard of format `{}` (branchsim {}); this branchsim merges `{SHARD_FORMAT}`: \
                     write all shards with the same branchsim",
                    p.display(),
                    h.format,
                    h.branchsim_version.as_deref().unwrap_or("?")
                ),
                _ => format!("{} is not a branchsim shard file: {e}", p.display()),
            }
        })?;
        if s.format != SHARD_FORMAT {
            return Err(format!("{} is not a branchsim shard file", p.display()));
        }
        shards.push(s);
    }
    let first = &shards[0];
    for s in &shards[1..] {
        if s.content_hash != first.content_hash {
            return Err(format!(
                "shards come from different scenario files (content {} vs {}): refusing to mix them",
                first.content_hash, s.content_hash
            ));
        }
        if s.seed != first.seed || s.replications != first.replications || s.shards != first.shards {
            return Err(format!(
                "shards disagree on seed/replications/shard count ({}/{}/{} vs {}/{}/{}): refusing to mix them",
                first.seed, first.replications, first.shards, s.seed, s.replications, s.shards
            ));
        }
    }
    let first_replications = first.replications;
    super::budget::check_replications("the shards' replications", first_replications)?;
    let (n, scenario_file, seed, objective, maximise, indifference, content_hash) = (
        first.shards,
        first.scenario_file.clone(),
        first.seed,
        first.objective.clone(),
        first.maximise,
        first.indifference,
        first.content_hash.clone(),
    );
    let names: Vec<String> = first.variants.iter().map(|v| v.name.clone()).collect();
    shards.sort_by_key(|s| s.shard);
    let have: Vec<u64> = shards.iter().map(|s| s.shard).collect();
    let missing: Vec<String> = (0..n).filter(|k| !have.contains(k)).map(|k| k.to_string()).collect();
    if !missing.is_empty() {
        return Err(format!("missing shard(s) {} of {n}", missing.join(", ")));
    }
    if have.len() as u64 != n {
        return Err("the same shard is given twice".into());
    }
    let path = a.scenario.clone().unwrap_or_else(|| PathBuf::from(&scenario_file));
    // The file a shard names is only parsed (and quoted in messages) once its bytes are
    // proven to be the scenario the shards ran: a shard naming any other file, or a device,
    // learns nothing about it.
    let bytes = crate::input::read_limited(&path, scenario::MAX_FILE_BYTES)
        .map_err(|e| format!("cannot read the scenario of the shards {}: {e}", path.display()))?;
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    if scenario::content_hash(text) != content_hash {
        return Err(format!(
            "{} is not the scenario file the shards ran (content hash differs; it changed since, or the shards \
             name another file): refusing to merge",
            path.display()
        ));
    }
    let loaded = scenario::load_bytes(&bytes, &path.display().to_string())
        .map_err(|e| format!("{}\ncannot load the scenario of the shards", e.render()))?;
    let dir = a.out.join(scenario::slug(&loaded.baseline().model.name));
    let (_lock, stage) = prepare_output(&dir, a.font.as_deref(), !a.no_charts)?;
    let jobs: Vec<experiment::Job<'_>> = loaded
        .variants
        .iter()
        .filter(|v| names.contains(&v.name))
        .map(|v| experiment::Job { name: &v.name, description: &v.description, model: &v.model })
        .collect();
    a.budget.check(&work(&jobs, first_replications, true), Some(&dir))?;
    let mut accs: Vec<VariantResult> = Vec::new();
    for name in &names {
        let v = loaded
            .variants
            .iter()
            .find(|v| &v.name == name)
            .ok_or_else(|| format!("variant `{name}` is not in the scenario"))?;
        accs.push(VariantResult::new(&v.name, &v.description, &v.model));
    }
    for s in shards {
        if s.variants.len() != accs.len() {
            return Err("shards ran different variants".into());
        }
        for (acc, p) in accs.iter_mut().zip(s.variants) {
            if p.name != acc.name {
                return Err("shards ran different variants".into());
            }
            acc.absorb(p)?;
        }
    }
    if accs.iter().any(|acc| acc.replications() as u64 != first_replications) {
        return Err(format!("the shards do not hold the {first_replications} replications they announce"));
    }
    let opts = match (&objective, &loaded.baseline().scenario.objective) {
        (None, Some(o)) => CompareOptions { indifference, ..CompareOptions::from_scenario(o) },
        _ => CompareOptions { objective, maximise, indifference, constraint: None, source: "--objective".into() },
    };
    let results = Results::build(&loaded, seed, &accs, None, &opts);
    let out = RunOutput { results, variants: accs, dir: dir.clone(), xlsx_replications: a.xlsx_replications };
    if let Some(code) = signals::received() {
        return Ok(Err(Fail::Signal(code).report(Some(&dir))));
    }
    write_outputs(&out, &stage).map_err(|e| format!("cannot write results to {}: {e}", dir.display()))?;
    if a.no_charts {
        stage.remove("charts");
        stage.remove("report.html");
    } else {
        charts::stage_charts_and_report(&out.results, &stage, a.font.as_deref())?;
    }
    if let Err(code) | Ok(Some(code)) = publish(stage, &dir) {
        return Ok(Err(code));
    }
    Ok(Ok(dir))
}
