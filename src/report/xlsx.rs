//! `results.xlsx`: the results as a workbook a consultant opens directly in Excel.
//!
//! Sheets: KPIs (mean, CI, sd, n per variant), Comparison (paired differences, coloured better
//! or worse by each KPI's direction), Replications (one row per variant × replication, one column
//! per KPI, up to `SHEET_REPLICATIONS` replications; above, a note pointing to replications.csv)
//! and Time series (every series of timeseries.csv; for a large model, what the report draws:
//! see `SeriesList`). The scenario's provenance (content hash, seed, replications, branchsim
//! version) is in the document properties. The creation time is fixed, so the same seed gives
//! the same bytes. Names are written as text, never as formulas, and any UTF-8 survives.

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::experiment::VariantResult;
use crate::kpi;
use crate::report::results::{BandOut, Results, VariantSummary};

/// Excel's row limit: replications beyond it are left to replications.csv (a note says so).
const MAX_ROWS: u32 = 1_048_576;

/// Excel's column limit: KPIs beyond it (very large models) are left to replications.csv.
const MAX_COLUMNS: u16 = 16_384;

fn num(ws: &mut Worksheet, row: u32, col: u16, x: f64) -> Result<(), XlsxError> {
    if x.is_finite() {
        ws.write_number(row, col, x)?;
    }
    Ok(())
}

fn header(ws: &mut Worksheet, cells: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (i, c) in cells.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *c, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn unit(name: &str, tu: &str) -> String {
    if kpi::is_duration(name) {
        tu.into()
    } else if kpi::is_share(name) {
        "share".into()
    } else if name == "throughput_per_hour" {
        "1/h".into()
    } else if name == "staff_cost" {
        "currency".into()
    } else {
        "count".into()
    }
}

/// Up to this many replications (per variant) the Replications sheet lists every one; above,
/// it holds a note row pointing to replications.csv, unless `run --xlsx-replications` asks for
/// every row.
///
/// Why: the sheet repeats replications.csv row for row, and a long one is nearly all of the
/// workbook's cost (at 1,000 replications of the main job, 5,000 rows of 124 cells, about nine
/// tenths): its XML and its compression run inside rust_xlsxwriter, on one thread, after the
/// last replication, and that serial tail held 2 threads to 1.66× of one (benches/README.md,
/// thread scaling). 200 replications (a few hundred to a thousand rows) are what one still
/// reads or filters by eye in Excel; beyond that the CSV is the better tool anyway.
pub const SHEET_REPLICATIONS: u64 = 200;

/// What the Replications sheet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    /// One row per variant × replication.
    Rows,
    /// A note row: how many replications there are and that replications.csv has them.
    Note,
}

impl Sheet {
    /// The sheet of a run of `replications` per variant; `forced` (`--xlsx-replications`)
    /// keeps every row whatever their number.
    pub fn for_run(replications: u64, forced: bool) -> Sheet {
        if forced || replications <= SHEET_REPLICATIONS { Sheet::Rows } else { Sheet::Note }
    }
}

/// The workbook's bytes, in one step (`Book` fed with every row, then finished); `forced`:
/// `--xlsx-replications` (see `Sheet::for_run`).
pub fn workbook(r: &Results, variants: &[VariantResult], forced: bool) -> Result<Vec<u8>, XlsxError> {
    let mut book = match Sheet::for_run(r.replications, forced) {
        Sheet::Rows => {
            let list: Vec<(&str, &[kpi::KpiId])> =
                variants.iter().map(|v| (v.name.as_str(), v.catalogue.as_slice())).collect();
            Book::new(&list, r.scenario.time_unit)?
        }
        Sheet::Note => {
            let rows = variants.iter().map(|v| v.rows.len() as u64).sum();
            return Book::note(r.replications, variants.len(), rows)?.finish(r);
        }
    };
    for (j, v) in variants.iter().enumerate() {
        for row in &v.rows {
            book.add_row(j, row)?;
        }
    }
    book.finish(r)
}

/// The note of a Replications sheet left out (`Sheet::Note`).
pub fn note_text(replications: u64, variants: usize, rows: u64) -> String {
    let per = if variants == 1 { String::new() } else { format!(" of each of the {variants} variants") };
    format!(
        "The {replications} replications{per} ({rows} rows) are in replications.csv: this sheet lists \
         them only up to {SHEET_REPLICATIONS} replications (`branchsim run --xlsx-replications` lists them all)."
    )
}

/// results.xlsx while it is written.
///
/// Why in two steps: the Replications sheet (one row per variant × replication, most of the
/// workbook) needs only the replications' KPI rows, and writing its cells and XML was a tenth
/// of a 1,000-replication run, all on one thread after the simulation. `Book` takes the rows
/// one at a time, in the order of the variants and then of the replications, into a
/// worksheet of its own: `cli::run` feeds it while replications are folded, so that filling
/// its cells overlaps with the simulation. The other sheets need the summaries and are
/// written by `finish`. `workbook` makes the same calls in one go, so both ways give the same
/// bytes. (rust_xlsxwriter's low-memory mode would write the sheet's XML as the rows come
/// too, but it needs a temporary file, panics when it cannot make one and does not report
/// errors writing it.)
pub struct Book {
    /// The Replications sheet.
    sheet: Worksheet,
    /// Per variant: its name and, per KPI of its catalogue, (column, scale to the time unit).
    variants: Vec<(String, Vec<(u16, f64)>)>,
    /// Rows given so far per variant (the replication column).
    given: Vec<u64>,
    /// Next sheet row; `None` once Excel's row limit is reached (a note says so).
    row: Option<u32>,
}

impl Book {
    /// An empty workbook for `variants`, (name, KPI catalogue) in the order their rows will
    /// come.
    pub fn new(
        variants: &[(&str, &[kpi::KpiId])],
        time_unit: crate::scenario::units::TimeUnit,
    ) -> Result<Book, XlsxError> {
        let bold = Format::new().set_bold();
        let tu = time_unit.label();
        // Wide: one row per variant × replication, one column per KPI (the union of the
        // variants' catalogues, in order of first appearance). A long layout (one row per KPI
        // value) wrote 2.5 million cells for the main job and took half of the whole
        // command's time.
        let mut sheet = Worksheet::new();
        let ws = sheet.set_name("Replications")?;
        let mut columns: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut layouts = Vec::with_capacity(variants.len());
        for (vname, catalogue) in variants {
            let layout: Vec<(u16, f64)> = catalogue
                .iter()
                .map(|id| {
                    let path = id.path();
                    let col = *index.entry(path.clone()).or_insert_with(|| {
                        columns.push(path);
                        columns.len() - 1
                    });
                    let scale = if kpi::is_duration(&id.kpi) { 1.0 / time_unit.minutes() } else { 1.0 };
                    (col, scale)
                })
                .map(|(col, scale)| (u16::try_from(col + 2).unwrap_or(u16::MAX), scale))
                .collect();
            layouts.push((vname.to_string(), layout));
        }
        ws.write_string_with_format(0, 0, "variant", &bold)?;
        ws.write_string_with_format(0, 1, "replication", &bold)?;
        for (i, path) in columns.iter().enumerate() {
            let name = path.rsplit('.').next().unwrap_or(path);
            let col = u16::try_from(i + 2).unwrap_or(u16::MAX);
            if col >= MAX_COLUMNS - 1 {
                ws.write_string(0, MAX_COLUMNS - 1, "… more KPIs in replications.csv (Excel's column limit)")?;
                break;
            }
            ws.write_string_with_format(0, col, format!("{path} ({})", unit(name, tu)), &bold)?;
        }
        ws.set_freeze_panes(1, 2)?;
        Ok(Book { sheet, given: vec![0; layouts.len()], variants: layouts, row: Some(1) })
    }

    /// The next replication's KPI row of variant `variant` (in the catalogue's order, minutes
    /// for durations). Rows must come variant by variant, each in replication order.
    pub fn add_row(&mut self, variant: usize, values: &[f64]) -> Result<(), XlsxError> {
        let Some(row) = self.row else { return Ok(()) };
        let ws = &mut self.sheet;
        if row + 1 >= MAX_ROWS {
            ws.write_string(row, 0, "… more rows in replications.csv (Excel's row limit)")?;
            self.row = None;
            return Ok(());
        }
        let (name, layout) = &self.variants[variant];
        ws.write_string(row, 0, name)?;
        ws.write_number(row, 1, self.given[variant] as f64)?;
        for (&(col, scale), x) in layout.iter().zip(values) {
            if col < MAX_COLUMNS - 1 {
                num(ws, row, col, x * scale)?;
            }
        }
        self.given[variant] += 1;
        self.row = Some(row + 1);
        Ok(())
    }

    /// A Replications sheet that holds only the note of `note_text` (`Sheet::Note`); rows
    /// given to it are ignored.
    pub fn note(replications: u64, variants: usize, rows: u64) -> Result<Book, XlsxError> {
        let mut sheet = Worksheet::new();
        sheet.set_name("Replications")?.write_string(0, 0, note_text(replications, variants, rows))?;
        Ok(Book { sheet, variants: Vec::new(), given: Vec::new(), row: None })
    }

    /// Writes the sheets that need the summaries and returns the workbook's bytes.
    pub fn finish(self, r: &Results) -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let better = Format::new().set_background_color(Color::RGB(0x00C6_EFCE));
        let worse = Format::new().set_background_color(Color::RGB(0x00FF_C7CE));
        let tu = r.scenario.time_unit.label();
        // Fixed creation time: byte-identical files for the same seed.
        let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
        let props = DocProperties::new()
            .set_title(format!("{} — branchsim results", r.scenario.name))
            .set_subject(r.scenario.description.clone())
            .set_author(format!("branchsim {}", r.branchsim_version))
            .set_comment(format!(
                "scenario file {}, content hash {}, seed {}, {} replications, branchsim {}",
                r.scenario.file, r.scenario.content_hash, r.seed, r.replications, r.branchsim_version
            ))
            .set_creation_datetime(&created)
            .set_custom_property("content_hash", r.scenario.content_hash.as_str())
            .set_custom_property("seed", r.seed.to_string().as_str())
            .set_custom_property("replications", r.replications.to_string().as_str())
            .set_custom_property("branchsim_version", r.branchsim_version.as_str());
        wb.set_properties(&props);

        let ws = wb.add_worksheet().set_name("KPIs")?;
        header(ws, &["variant", "kpi", "unit", "mean", "ci_low", "ci_high", "sd", "n", "min", "max"], &bold)?;
        let mut row = 1;
        for (vname, v) in &r.variants {
            for (path, s) in v.all() {
                let name = path.rsplit('.').next().unwrap_or(&path);
                ws.write_string(row, 0, vname)?;
                ws.write_string(row, 1, &path)?;
                ws.write_string(row, 2, unit(name, tu))?;
                for (i, x) in [s.mean, s.ci95[0], s.ci95[1], s.sd, s.n as f64, s.min, s.max].into_iter().enumerate() {
                    num(ws, row, 3 + i as u16, x)?;
                }
                row += 1;
            }
        }
        ws.set_column_width(1, 40)?;

        if let Some(c) = &r.comparison {
            let ws = wb.add_worksheet().set_name("Comparison")?;
            header(
                ws,
                &[
                    "variant",
                    "kpi",
                    "unit",
                    "baseline",
                    "variant_mean",
                    "difference",
                    "ci_low",
                    "ci_high",
                    "relative",
                    "significant",
                    "judgement",
                ],
                &bold,
            )?;
            for (i, d) in c.differences.iter().enumerate() {
                let row = i as u32 + 1;
                let name = d.kpi.rsplit('.').next().unwrap_or(&d.kpi);
                let judgement = if !d.significant || !d.diff.is_finite() || d.diff == 0.0 {
                    None
                } else {
                    Some((d.diff > 0.0) == kpi::higher_is_better(name))
                };
                ws.write_string(row, 0, &d.variant)?;
                ws.write_string(row, 1, &d.kpi)?;
                ws.write_string(row, 2, unit(name, tu))?;
                for (j, x) in
                    [d.baseline_mean, d.variant_mean, d.diff, d.ci95[0], d.ci95[1], d.relative].into_iter().enumerate()
                {
                    num(ws, row, 3 + j as u16, x)?;
                }
                ws.write_boolean(row, 9, d.significant)?;
                match judgement {
                    Some(true) => ws.write_string_with_format(row, 10, "better", &better)?,
                    Some(false) => ws.write_string_with_format(row, 10, "worse", &worse)?,
                    None => ws.write_string(row, 10, "no clear change")?,
                };
            }
            ws.set_column_width(1, 40)?;
        }

        wb.push_worksheet(self.sheet);

        let ws = wb.add_worksheet().set_name("Time series")?;
        header(ws, &["variant", "series", "name", "bin_start", "label", "mean", "p05", "p95"], &bold)?;
        let listed = SeriesList::of(r);
        if let Some(note) = &listed.note {
            ws.write_string(0, NOTE_COLUMN, note)?;
        }
        let mut row = 1u32;
        for (vname, v) in &r.variants {
            let ts = &v.timeseries;
            for (kind, name, b) in listed.series(v) {
                for (i, start) in ts.bin_start.iter().enumerate() {
                    ws.write_string(row, 0, vname)?;
                    ws.write_string(row, 1, kind)?;
                    ws.write_string(row, 2, name)?;
                    ws.write_number(row, 3, *start)?;
                    ws.write_string(row, 4, ts.labels.get(i).map_or("", String::as_str))?;
                    for (j, x) in [&b.mean, &b.p05, &b.p95].iter().enumerate() {
                        num(ws, row, 5 + j as u16, x.get(i).copied().unwrap_or(f64::NAN))?;
                    }
                    row += 1;
                }
            }
        }
        wb.save_to_buffer()
    }
}

/// Column of the Time series sheet's note (right of the table, in the header row, so the
/// table itself stays one row per bin for filters and pivot tables).
pub const NOTE_COLUMN: u16 = 9;

/// Series kind, in the Time series sheet of a large model, of the network's total queue.
pub const QUEUE_TOTAL: &str = "queue_total";

/// Which series the Time series sheet lists: every one of timeseries.csv for a branch-sized
/// model; for a large one (`aggregate::is_large`) what the report draws: the network's total
/// queue, the busiest steps and the busiest resources, and the waits by arrival time.
///
/// Why: a region of fifty branches has about 150 series per variant, 200,000 rows over two
/// weeks of hourly bins for four variants (54 MB of XML), which nobody reads in a sheet and
/// which timeseries.csv holds anyway. Its compression inside rust_xlsxwriter, on one thread
/// after the last replication, was most of the regional scenario's serial tail (benches/
/// README.md, thread scaling).
struct SeriesList {
    /// For a large model: the steps and resources listed one by one.
    shown: Option<(Vec<String>, Vec<String>)>,
    /// For a large model: what the sheet leaves out and where it is.
    note: Option<String>,
}

impl SeriesList {
    fn of(r: &Results) -> SeriesList {
        use crate::report::aggregate;
        let (Some(steps), Some(resources)) = (aggregate::shown_steps(r), aggregate::shown_resources(r)) else {
            return SeriesList { shown: None, note: None };
        };
        let per = |v: &VariantSummary| v.timeseries.queue.len() + v.timeseries.utilisation.len() + 1;
        let series: usize = r.variants.values().map(per).sum();
        let rows: usize = r.variants.values().map(|v| per(v) * v.timeseries.bin_start.len()).sum();
        let note = format!(
            "A large model: like the report, this sheet lists per variant the total queue over every step \
             (series {QUEUE_TOTAL}, the sum of the steps' means), the {} busiest steps, the {} busiest \
             resources and the waits by arrival time. timeseries.csv has every series ({series} series, \
             {rows} rows).",
            steps.len(),
            resources.len()
        );
        SeriesList { shown: Some((steps, resources)), note: Some(note) }
    }

    /// (series kind, name, band) of variant `v`, in the order of timeseries.csv.
    fn series<'a>(&self, v: &'a VariantSummary) -> Vec<(&'static str, &'a str, std::borrow::Cow<'a, BandOut>)> {
        use std::borrow::Cow;
        let ts = &v.timeseries;
        let mut out: Vec<(&'static str, &'a str, Cow<'a, BandOut>)> = Vec::new();
        let keep = |list: Option<&Vec<String>>, name: &str| list.is_none_or(|l| l.iter().any(|n| n == name));
        if self.shown.is_some() {
            out.push((QUEUE_TOTAL, "", Cow::Owned(crate::report::aggregate::total_queue_band(v))));
        }
        let (steps, resources) = self.shown.as_ref().map(|(s, r)| (Some(s), Some(r))).unwrap_or_default();
        for (n, b) in ts.queue.iter().filter(|(n, _)| keep(steps, n)) {
            out.push(("queue", n, Cow::Borrowed(b)));
        }
        for (n, b) in ts.utilisation.iter().filter(|(n, _)| keep(resources, n)) {
            out.push(("utilisation", n, Cow::Borrowed(b)));
        }
        out.push(("wait_by_arrival", "", Cow::Borrowed(&ts.wait_by_arrival)));
        out
    }
}
