//! `branchsim report DIR`: charts and HTML from saved results, without simulating again.

use super::run::publish;
use super::{EXIT_BAD_INPUT, EXIT_OK, ReportArgs, error};
use crate::report::{Results, charts, files};

/// summary.json files larger than this are refused (a large study's is a few MB).
pub const MAX_SUMMARY_BYTES: u64 = 256 * 1024 * 1024;

pub fn report(a: &ReportArgs) -> i32 {
    match stage(a) {
        Ok(stage) => match publish(stage.1, &a.dir) {
            Ok(None) => {
                println!("Charts and report written to {}", a.dir.display());
                EXIT_OK
            }
            Ok(Some(code)) | Err(code) => code,
        },
        Err(e) => {
            error(&e);
            EXIT_BAD_INPUT
        }
    }
}

/// Locks the folder, reads summary.json and stages the charts and the report.
fn stage(a: &ReportArgs) -> Result<(files::OutputDir, files::Stage), String> {
    let path = a.dir.join("summary.json");
    if !a.dir.is_dir() {
        return Err(format!("cannot read {}: {} is not a folder", path.display(), a.dir.display()));
    }
    let out = files::OutputDir::open(&a.dir)?;
    let bytes = crate::input::read_limited(&path, MAX_SUMMARY_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
    let results = Results::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    out.preflight(&["report.html"], &["charts"])?;
    let stage = out.stage().map_err(|e| format!("cannot write to {}: {e}", a.dir.display()))?;
    charts::stage_charts_and_report(&results, &stage, a.font.as_deref())
        .map_err(|e| format!("cannot write charts or the report in {}: {e}; nothing was changed", a.dir.display()))?;
    Ok((out, stage))
}
