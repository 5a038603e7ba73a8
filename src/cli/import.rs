//! `branchsim import MODEL.bpmn [--params PARAMS.json] -o scenario.toml`: read the files,
//! convert (crate::import), check that the result loads, write it atomically.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK, error};

/// BPMN files of real processes are well below this; the limit keeps a wrong path (a video,
/// a disk image) from being read into memory.
const MAX_INPUT_BYTES: u64 = 64 << 20;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim import loan.bpmn --params loan.json -o scenarios/loan.toml
  branchsim import loan.bpmn -o loan.toml      # defaults, and a list of parameters to set")]
pub struct ImportArgs {
    /// The BPMN 2.0 XML file (Camunda, Signavio, bpmn.io, Apromore …).
    pub bpmn: PathBuf,
    /// Simulation parameters in the Prosimos 2.x JSON format (resources, calendars,
    /// durations, branching probabilities, arrivals).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// The scenario file to write (TOML).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn read(path: &Path, what: &str) -> Result<String, String> {
    let bytes = crate::input::read_limited(path, MAX_INPUT_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| format!("{}: the {what} is not UTF-8 text ({e})", path.display()))
}

/// The `#:schema` target: `docs/scenario.schema.json` of the branchsim checkout the output
/// lies in, relative to the output file; else a file beside it (`branchsim schema` writes it).
fn schema_ref(out: &Path) -> String {
    let dir = std::path::absolute(out).ok().and_then(|p| p.parent().map(Path::to_path_buf));
    if let Some(dir) = dir {
        for (up, anc) in dir.ancestors().enumerate() {
            if anc.join("docs/scenario.schema.json").is_file() && anc.join("Cargo.toml").is_file() {
                return format!("{}docs/scenario.schema.json", "../".repeat(up));
            }
        }
    }
    "scenario.schema.json".into()
}

pub fn import(a: &ImportArgs) -> i32 {
    let fail = |m: &str| {
        error(m);
        EXIT_BAD_INPUT
    };
    let bpmn = match read(&a.bpmn, "BPMN file") {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let params = match a.params.as_deref().map(|p| read(p, "parameter file")).transpose() {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let bpmn_name = a.bpmn.display().to_string();
    let params_name = a.params.as_ref().map(|p| p.display().to_string());
    let schema = schema_ref(&a.out);
    let opts = crate::import::Options { schema: &schema, bpmn_name: &bpmn_name, params_name: params_name.as_deref() };
    let imported = match crate::import::import(&bpmn, params.as_deref(), &opts) {
        Ok(i) => i,
        Err(e) => {
            let file = if e.starts_with("parameters:") || e.starts_with("not a Prosimos") {
                params_name.as_deref().unwrap_or(&bpmn_name)
            } else {
                &bpmn_name
            };
            return fail(&format!("{file}: {e}"));
        }
    };
    // What is written must load: a scenario the converter got wrong is its bug, but the user
    // must not be left with a file that fails later.
    if let Err(e) = crate::scenario::load_str(&imported.toml, &a.out.display().to_string()) {
        eprint!("{}", e.render());
        return fail("the imported scenario does not validate (a converter bug: please report it with the BPMN file)");
    }
    if let Err(e) = crate::report::files::write_file(&a.out, imported.toml.as_bytes()) {
        return fail(&format!("cannot write {}: {e}", a.out.display()));
    }
    if !a.quiet {
        for w in &imported.warnings {
            eprintln!("warning: {w}");
        }
        if !imported.to_set.is_empty() {
            eprintln!(
                "warning: {} parameter(s) still to set (listed at the top of {}):",
                imported.to_set.len(),
                a.out.display()
            );
            for x in &imported.to_set {
                eprintln!("  - {x}");
            }
        }
        println!("wrote {}", a.out.display());
    }
    EXIT_OK
}
