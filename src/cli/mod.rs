//! The command line: parse arguments, call the library, print, set the exit code.
//!
//! Exit codes: 0 success, 1 failed checks, 2 bad input or usage (also a run stopped by a
//! safety cap), 130 / 143 stopped by SIGINT / SIGTERM (see `signals`).

pub mod budget;
pub mod ci;
mod discover;
pub mod events;
mod import;
mod report;
pub mod run;
mod shard;
pub mod signals;
mod staff;
mod sweep;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "branchsim",
    version,
    about = "Discrete-event Monte Carlo simulation of bank branches and service processes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour in diagnostics: `auto` (when stderr is a terminal and NO_COLOR is not set),
    /// `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When diagnostics are coloured.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `auto` follows the NO_COLOR convention (no-color.org: set and non-empty means no
    /// colour) and colours only a terminal.
    pub fn resolve(self, no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()) && terminal,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario (baseline and variants) and write results to the output folder.
    Run(RunArgs),
    /// Check scenario files for errors without simulating.
    Validate(ValidateArgs),
    /// Run the grid of all combinations of parameter values (each point a full Monte Carlo run).
    Sweep(sweep::SweepArgs),
    /// Combine shard results (from `run --shard K/N`) into the outputs of a single run.
    Merge(shard::MergeArgs),
    /// Re-render charts and the HTML report from a saved output folder, without simulating.
    Report(ReportArgs),
    /// Run scenarios and check their expectations or a recorded baseline (for CI pipelines).
    Check(crate::check::CheckArgs),
    /// Run a scenario and record its KPIs as a golden baseline for `check --baseline`.
    Record(crate::check::RecordArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(
        after_help = "Examples:\n  branchsim completions bash > ~/.local/share/bash-completion/completions/branchsim\n  branchsim completions zsh > ~/.zfunc/_branchsim"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout.
    #[command(after_help = "Example:\n  branchsim man > branchsim.1 && man ./branchsim.1")]
    Man,
    /// Find the least staff per interval, and the cheapest shift rota, that meet service targets.
    Staff(staff::StaffArgs),
    /// Convert a BPMN 2.0 process (and Prosimos JSON parameters) into a scenario file.
    Import(import::ImportArgs),
    /// Print a JSON Schema to stdout: of scenario files (for editors: Taplo, "Even Better TOML"),
    /// or of the files written for other programs (summary.json, baseline, check --json).
    #[command(
        after_help = "Examples:\n  branchsim schema > scenario.schema.json\n  branchsim schema summary > summary.schema.json\n  branchsim schema check | jq '.properties | keys'"
    )]
    Schema {
        /// The file whose schema to print (published in docs/ as docs/scenario.schema.json and
        /// docs/schemas/FILE.schema.json).
        #[arg(value_enum, default_value = "scenario")]
        which: crate::report::schemas::Output,
    },
    /// Build a scenario from an event log (CSV, XES or a queue-ticket export).
    Discover(discover::DiscoverArgs),
    /// Distances between a real and a simulated event log (log-distance-measures 2.2.0).
    CompareLogs(discover::CompareArgs),
}

#[derive(Args, Debug)]
#[command(after_help = "Example:
  branchsim report output/downtown-branch-weekday --font /usr/share/fonts/noto/NotoSansCJK-Regular.ttc")]
pub struct ReportArgs {
    /// An output folder written by `branchsim run` (holds summary.json).
    pub dir: PathBuf,
    /// A TTF/OTF font for chart text.
    #[arg(long)]
    pub font: Option<PathBuf>,
}

/// Safety caps of a replication, from the command line (applied to every compiled model).
#[derive(Args, Debug, Clone, Default)]
pub struct Caps {
    /// Safety cap: events per replication (default 2000000000). A replication that needs more
    /// stops the run with exit code 2 and a message naming the cap.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Safety cap: customers in the system at once (default 5000000). A replication with more
    /// (a runaway, overloaded model) stops the run with exit code 2.
    #[arg(long, value_name = "N")]
    pub max_in_system: Option<usize>,
    #[command(flatten)]
    pub budget: budget::Budget,
}

impl Caps {
    /// Checks the values and applies them to every variant's model.
    pub fn apply(&self, loaded: &mut crate::scenario::Loaded) -> Result<(), String> {
        for v in &mut loaded.variants {
            self.apply_model(&mut v.model)?;
        }
        Ok(())
    }

    pub fn apply_model(&self, m: &mut crate::model::Model) -> Result<(), String> {
        if self.max_events == Some(0) {
            return Err("--max-events must be at least 1".into());
        }
        if self.max_in_system == Some(0) {
            return Err("--max-in-system must be at least 1".into());
        }
        if let Some(n) = self.max_events {
            m.limits.max_events = n;
        }
        if let Some(n) = self.max_in_system {
            m.limits.max_in_system = n;
        }
        Ok(())
    }
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:
  branchsim run scenarios/downtown_branch.toml
  branchsim run scenarios/downtown_branch.toml -n 500 --seed 7 --out results --variant lunch_cover
  branchsim run scenarios/downtown_branch.toml --precision wait_mean=0.05 --objective wait_mean
  branchsim run scenarios/loan_approval.toml --events --events-format xes")]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Number of replications (overrides the file).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Base random seed (overrides the file).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder; results go to OUT/<scenario-slug>/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only these variants (repeatable); the baseline is always run.
    #[arg(long = "variant")]
    pub variants: Vec<String>,
    /// Add replications until a KPI's 95% CI half-width meets a target: wait_mean=0.05
    /// (relative), wait_mean=0.2min (absolute duration), abandon_rate=0.005abs (absolute).
    #[arg(long = "precision", value_parser = crate::experiment::precision::PrecisionTarget::parse)]
    pub precision: Vec<crate::experiment::precision::PrecisionTarget>,
    /// Upper limit of replications for --precision.
    #[arg(long, default_value_t = 10_000)]
    pub max_replications: u64,
    /// Report an MSER-5 warm-up estimate from the queue-length series.
    #[arg(long)]
    pub suggest_warmup: bool,
    /// KPI to rank variants by (e.g. cycle_time_p90).
    #[arg(long)]
    pub objective: Option<String>,
    /// Rank by the objective's largest value (default: by the KPI's natural direction).
    #[arg(long)]
    pub maximise: bool,
    /// Differences smaller than this do not matter when picking the best (e.g. 0.5min).
    #[arg(long, value_parser = run::Indifference::parse)]
    pub indifference: Option<run::Indifference>,
    /// Do not write charts or the HTML report.
    #[arg(long)]
    pub no_charts: bool,
    /// List every replication in results.xlsx's Replications sheet; by default the sheet
    /// lists them only up to 200 replications and otherwise points to replications.csv.
    #[arg(long)]
    pub xlsx_replications: bool,
    /// Run only shard K of N (K from 0 to N-1, like Slurm array and Kubernetes Indexed Job
    /// indices) and write mergeable partial results; combine them with `branchsim merge`.
    #[arg(long, value_name = "K/N", value_parser = shard::parse_spec)]
    pub shard: Option<(u64, u64)>,
    /// A TTF/OTF font for chart text (default: the embedded font, or Noto CJK when installed).
    #[arg(long)]
    pub font: Option<PathBuf>,
    #[command(flatten)]
    pub caps: Caps,
    #[command(flatten)]
    pub events: events::EventArgs,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim validate scenarios/downtown_branch.toml
  branchsim validate scenarios/ -q
  branchsim validate \"scenarios/**/*.toml\" --format json")]
pub struct ValidateArgs {
    /// Scenario files, folders (every *.toml inside, recursively) or glob patterns
    /// ("scenarios/**/*.toml").
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// `text` (rendered diagnostics on stderr) or `json` (every file and diagnostic on stdout:
    /// file, line, column, key, severity, message, help, variant).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// Output format of `validate`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidateFormat {
    Text,
    Json,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { EXIT_OK };
            match with_usage(&e, std::env::args_os()) {
                Some(text) => eprint!("{text}"),
                None => {
                    let _ = e.print();
                }
            }
            return code;
        }
    };
    use std::io::IsTerminal as _;
    crate::scenario::diag::set_color(
        cli.color.resolve(std::env::var_os("NO_COLOR").as_deref(), std::io::stderr().is_terminal()),
    );
    // Commands that simulate or write results stop cleanly on SIGINT/SIGTERM: a signal only
    // sets a flag, so publishing a run's files is never cut short (`validate` writes nothing).
    let writes = !matches!(
        cli.command,
        Command::Validate(_) | Command::Completions { .. } | Command::Man | Command::Schema { .. }
    );
    if writes && let Err(e) = signals::install() {
        error(&e);
        return EXIT_BAD_INPUT;
    }
    match cli.command {
        Command::Run(a) => run::run(&a),
        Command::Validate(a) => validate::validate(&a),
        Command::Report(a) => report::report(&a),
        Command::Sweep(a) => sweep::sweep(&a),
        Command::Merge(a) => shard::merge(&a),
        Command::Check(a) => crate::check::run_check(&a),
        Command::Record(a) => crate::check::run_record(&a),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(shell, &mut Cli::command(), "branchsim", &mut std::io::stdout());
            EXIT_OK
        }
        Command::Man => {
            use clap::CommandFactory as _;
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => EXIT_OK,
                // `branchsim man | head` closes the pipe early: not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
                Err(e) => {
                    error(&format!("cannot write the manual page: {e}"));
                    EXIT_BAD_INPUT
                }
            }
        }
        Command::Staff(a) => staff::staff(&a),
        Command::Import(a) => import::import(&a),
        Command::Discover(a) => discover::discover(&a),
        Command::CompareLogs(a) => discover::compare(&a),
        Command::Schema { which } => {
            use std::io::Write as _;
            match std::io::stdout().write_all(crate::report::schemas::schema_text(which).as_bytes()) {
                Ok(()) => EXIT_OK,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
                Err(e) => {
                    error(&format!("cannot write the schema: {e}"));
                    EXIT_BAD_INPUT
                }
            }
        }
    }
}

/// Completes clap's error where it says too little: a bad flag value (`--shard 4/2`) gets the
/// subcommand's usage line, as every other usage error has, and a mistyped subcommand that
/// clap's Jaro similarity misses (`rnu`, a transposition) gets the nearest name by edit
/// distance, as mistyped names in scenario files do.
fn with_usage(e: &clap::Error, args: impl Iterator<Item = std::ffi::OsString>) -> Option<String> {
    use clap::CommandFactory as _;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = e.render().to_string();
    let mut cmd = Cli::command();
    cmd.build();
    if e.kind() == ErrorKind::InvalidSubcommand {
        if text.contains("tip:") {
            return None;
        }
        let Some(ContextValue::String(typed)) = e.get(ContextKind::InvalidSubcommand) else { return None };
        let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).filter(|n| *n != "help").collect();
        let near = crate::scenario::diag::suggest(typed, names.iter().copied())?;
        let (first, rest) = text.split_once('\n')?;
        return Some(format!("{first}\n\n  tip: a similar subcommand exists: '{near}'\n{rest}"));
    }
    if !matches!(e.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) || text.contains("Usage:") {
        return None;
    }
    let args: Vec<std::ffi::OsString> = args.skip(1).collect();
    let sub = args.iter().find_map(|a| cmd.find_subcommand(a.to_str()?).map(|s| s.get_name().to_string()));
    let usage = match sub {
        Some(name) => cmd.find_subcommand_mut(&name)?.render_usage(),
        None => cmd.render_usage(),
    };
    let (head, tail) = text.split_once("\nFor more information").unwrap_or((&text, ""));
    let more = if tail.is_empty() { String::new() } else { format!("\nFor more information{tail}") };
    Some(format!("{}\n\n{usage}\n{more}", head.trim_end_matches('\n')))
}

/// A hint for a scenario path that is probably wrong: `x` when `x.toml` exists, or a file
/// whose extension is not `.toml` (scenario files are TOML).
pub fn path_hint(path: &std::path::Path) -> Option<String> {
    let ext = path.extension().and_then(|e| e.to_str());
    if ext == Some("toml") {
        return None;
    }
    if !path.exists() {
        // `x` or `x.v2` → `x.toml` / `x.v2.toml`; `x.tml` → `x.toml`.
        let mut appended = path.as_os_str().to_owned();
        appended.push(".toml");
        let near = [PathBuf::from(appended), path.with_extension("toml")].into_iter().find(|p| p.is_file())?;
        return Some(format!("did you mean {}?", near.display()));
    }
    path.is_file().then(|| {
        format!(
            "{} does not end in .toml: scenario files are TOML{}",
            path.display(),
            if ext == Some("json") { " (JSON is written by branchsim, not read as a scenario)" } else { "" }
        )
    })
}

/// Prints an error line to stderr in one consistent form.
pub fn error(msg: &str) {
    eprintln!("error: {msg}");
}

#[cfg(test)]
mod tests {
    use super::ColorChoice;
    use std::ffi::OsStr;

    #[test]
    fn colour_follows_the_flag_no_color_and_the_terminal() {
        assert!(ColorChoice::Auto.resolve(None, true));
        assert!(!ColorChoice::Auto.resolve(None, false));
        assert!(!ColorChoice::Auto.resolve(Some(OsStr::new("1")), true));
        assert!(ColorChoice::Auto.resolve(Some(OsStr::new("")), true));
        assert!(ColorChoice::Always.resolve(Some(OsStr::new("1")), false));
        assert!(!ColorChoice::Never.resolve(None, true));
    }
}
