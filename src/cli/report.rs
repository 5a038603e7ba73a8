//! `branchsim report DIR`: charts and HTML from saved results, without simulating again.

use super::{EXIT_BAD_INPUT, EXIT_OK, ReportArgs, error};
use crate::report::{Results, charts};

pub fn report(a: &ReportArgs) -> i32 {
    let path = a.dir.join("summary.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            error(&format!("cannot read {}: {e}", path.display()));
            return EXIT_BAD_INPUT;
        }
    };
    let results = match Results::from_json(&text) {
        Ok(r) => r,
        Err(e) => {
            error(&format!("{}: {e}", path.display()));
            return EXIT_BAD_INPUT;
        }
    };
    match charts::write_charts_and_report(&results, &a.dir, a.font.as_deref()) {
        Ok(()) => {
            println!("Charts and report written to {}", a.dir.display());
            EXIT_OK
        }
        Err(e) => {
            error(&format!("cannot write charts or the report in {}: {e}", a.dir.display()));
            EXIT_BAD_INPUT
        }
    }
}
