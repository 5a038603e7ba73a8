//! CSV outputs: `kpis.csv`, `replications.csv`, `timeseries.csv`, `compare.csv`.
//!
//! Names from the scenario are guarded against spreadsheet formula injection: a text cell
//! starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe.

use crate::experiment::VariantResult;
use crate::kpi;
use crate::report::results::Results;
use crate::scenario::units::TimeUnit;

/// Makes a text cell safe to open in a spreadsheet.
pub fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Where a file's numbers come from, repeated in the last four columns of every CSV row so
/// that a file mailed or copied on its own still names its scenario (content hash), seed,
/// replications and branchsim version.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub fields: [String; 4],
}

/// Header names of the provenance columns.
pub const PROVENANCE_COLUMNS: [&str; 4] = ["content_hash", "seed", "replications", "branchsim_version"];

impl Provenance {
    pub fn of(r: &Results) -> Provenance {
        Provenance {
            fields: [
                r.scenario.content_hash.clone(),
                r.seed.to_string(),
                r.replications.to_string(),
                r.branchsim_version.clone(),
            ],
        }
    }
}

/// A header or row with the provenance columns appended.
fn with<const N: usize>(cells: [String; N], extra: &[String; 4]) -> Vec<String> {
    let mut v: Vec<String> = cells.into();
    v.extend(extra.iter().cloned());
    v
}

fn header<const N: usize>(cells: [&str; N]) -> Vec<String> {
    let mut v: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    v.extend(PROVENANCE_COLUMNS.iter().map(|c| c.to_string()));
    v
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// The UTF-8 byte-order mark every CSV file starts with. Excel opens a CSV without it in the
/// system's ANSI code page (GBK on a Chinese-locale Windows), which garbles every non-ASCII
/// name; with it, Excel reads UTF-8. CSV readers (the `csv` crate, pandas, R's readr) skip it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV writer into memory that has already written the BOM.
pub fn buffer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(BOM.to_vec())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().unwrap_or_default()
}

pub fn kpis_csv(r: &Results) -> Vec<u8> {
    let prov = Provenance::of(r);
    let mut w = buffer();
    let _ = w.write_record(header([
        "variant", "kpi", "group", "entity", "name", "unit", "mean", "sd", "ci_low", "ci_high", "n", "min", "max",
    ]));
    let tu = r.scenario.time_unit.label();
    for (vname, v) in &r.variants {
        for (path, s) in v.all() {
            let (group, entity, name) = split_path(&path);
            let unit = unit_of(&name, tu);
            let _ = w.write_record(with(
                [
                    safe_text(vname),
                    safe_text(&path),
                    group,
                    safe_text(&entity),
                    safe_text(&name),
                    unit.to_string(),
                    num(s.mean),
                    num(s.sd),
                    num(s.ci95[0]),
                    num(s.ci95[1]),
                    s.n.to_string(),
                    num(s.min),
                    num(s.max),
                ],
                &prov.fields,
            ));
        }
    }
    finish(w)
}

fn unit_of(name: &str, tu: &str) -> String {
    if kpi::is_duration(name) {
        tu.to_string()
    } else if name == "throughput_per_hour" {
        "1/h".into()
    } else if name == "staff_cost" {
        "currency".into()
    } else if name.ends_with("rate") || kpi::is_share(name) {
        "share".into()
    } else {
        "count".into()
    }
}

fn split_path(path: &str) -> (String, String, String) {
    if let Some((g, rest)) = path.split_once('.')
        && let Some((e, k)) = rest.rsplit_once('.')
    {
        let g = match g {
            "customers" => "customer",
            "steps" => "step",
            "resources" => "resource",
            other => other,
        };
        return (g.to_string(), e.to_string(), k.to_string());
    }
    ("overall".into(), String::new(), path.to_string())
}

/// Cells (replication × KPI rows of replications.csv) formatted by one task of
/// `write_replications_csv`: about 1.4 MB of text.
const CELLS_PER_PIECE: usize = 16_384;

/// One row per variant × replication × KPI, for users' own analysis. Streamed to `out`: the
/// file can be far larger than everything else a run keeps in memory.
///
/// Why in pieces: formatting the numbers is nearly all of its cost (51 MB, ≈ 10% of a
/// 1,000-replication run of the main job), and it comes after the last replication. The rows
/// are cut into pieces of about `CELLS_PER_PIECE` lines, formatted on the pool's threads a
/// few pieces per thread at a time and written in order, so the bytes are those of one
/// writer and at most two batches are held in memory. Each batch is written (the kernel's
/// copy into the page cache, about a twentieth of that run) while the next one is formatted.
pub fn write_replications_csv<W: std::io::Write + Send>(
    mut out: W,
    variants: &[VariantResult],
    tu: TimeUnit,
    prov: &Provenance,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    out.write_all(BOM)?;
    let mut w = csv::Writer::from_writer(&mut out);
    w.write_record(header(["variant", "replication", "kpi", "value"]))?;
    w.flush()?;
    drop(w);
    // Per variant: its name, KPI paths and scale to the time unit.
    let columns: Vec<(String, Vec<String>, Vec<f64>)> = variants
        .iter()
        .map(|v| {
            let paths = v.catalogue.iter().map(|id| safe_text(&id.path())).collect();
            let scale =
                v.catalogue.iter().map(|id| if kpi::is_duration(&id.kpi) { 1.0 / tu.minutes() } else { 1.0 }).collect();
            (safe_text(&v.name), paths, scale)
        })
        .collect();
    // Every piece of every variant, in file order: (variant, first replication, rows).
    let mut pieces: Vec<(usize, u64, &[Vec<f64>])> = Vec::new();
    for (j, v) in variants.iter().enumerate() {
        let per = (CELLS_PER_PIECE / v.catalogue.len().max(1)).max(1);
        pieces.extend(v.rows.chunks(per).enumerate().map(|(i, rows)| (j, v.first_rep + (i * per) as u64, rows)));
    }
    let format = |group: &[(usize, u64, &[Vec<f64>])]| -> Vec<std::io::Result<Vec<u8>>> {
        group
            .par_iter()
            .map(|&(j, first, rows)| {
                let (vname, paths, scale) = &columns[j];
                replication_lines(vname, first, rows, paths, scale, prov)
            })
            .collect()
    };
    let write = |out: &mut W, texts: Vec<std::io::Result<Vec<u8>>>| -> std::io::Result<()> {
        texts.into_iter().try_for_each(|t| out.write_all(&t?))
    };
    let mut ready = Vec::new();
    for group in pieces.chunks(2 * rayon::current_num_threads()) {
        let (written, next) = rayon::join(|| write(&mut out, ready), || format(group));
        written?;
        ready = next;
    }
    write(&mut out, ready)?;
    out.flush()
}

/// The lines of replications.csv for `rows`, replications `first`, `first + 1`, … of `vname`.
fn replication_lines(
    vname: &str,
    first: u64,
    rows: &[Vec<f64>],
    paths: &[String],
    scale: &[f64],
    prov: &Provenance,
) -> std::io::Result<Vec<u8>> {
    let [hash, seed, reps, version] = &prov.fields;
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * paths.len() * 96));
    for (i, row) in rows.iter().enumerate() {
        let rep = (first + i as u64).to_string();
        for (k, x) in row.iter().enumerate() {
            w.write_record([
                vname,
                rep.as_str(),
                paths[k].as_str(),
                num(x * scale[k]).as_str(),
                hash,
                seed,
                reps,
                version,
            ])?;
        }
    }
    w.into_inner().map_err(|e| e.into_error())
}

pub fn timeseries_csv(r: &Results) -> Vec<u8> {
    let prov = Provenance::of(r);
    let mut w = buffer();
    let _ = w.write_record(header(["variant", "series", "entity", "bin_start", "clock", "mean", "p05", "p95"]));
    for (vname, v) in &r.variants {
        let ts = &v.timeseries;
        let mut rows = |series: &str, entity: &str, b: &crate::report::results::BandOut| {
            for i in 0..ts.bin_start.len() {
                let _ = w.write_record(with(
                    [
                        safe_text(vname),
                        series.to_string(),
                        safe_text(entity),
                        num(ts.bin_start[i]),
                        safe_text(&ts.labels.get(i).cloned().unwrap_or_default()),
                        num(b.mean.get(i).copied().unwrap_or(f64::NAN)),
                        num(b.p05.get(i).copied().unwrap_or(f64::NAN)),
                        num(b.p95.get(i).copied().unwrap_or(f64::NAN)),
                    ],
                    &prov.fields,
                ));
            }
        };
        for (s, b) in &ts.queue {
            rows("queue", s, b);
        }
        for (s, b) in &ts.utilisation {
            rows("utilisation", s, b);
        }
        rows("wait_by_arrival", "", &ts.wait_by_arrival);
    }
    finish(w)
}

pub fn compare_csv(r: &Results) -> Option<Vec<u8>> {
    let c = r.comparison.as_ref()?;
    let prov = Provenance::of(r);
    let mut w = buffer();
    let _ = w.write_record(header([
        "variant",
        "kpi",
        "baseline_mean",
        "variant_mean",
        "diff",
        "ci_low",
        "ci_high",
        "adj_ci_low",
        "adj_ci_high",
        "unpaired_ci_low",
        "unpaired_ci_high",
        "relative",
        "significant",
        "n",
    ]));
    for d in &c.differences {
        let _ = w.write_record(with(
            [
                safe_text(&d.variant),
                safe_text(&d.kpi),
                num(d.baseline_mean),
                num(d.variant_mean),
                num(d.diff),
                num(d.ci95[0]),
                num(d.ci95[1]),
                num(d.ci_adjusted[0]),
                num(d.ci_adjusted[1]),
                num(d.ci95_unpaired[0]),
                num(d.ci95_unpaired[1]),
                num(d.relative),
                d.significant.to_string(),
                d.n.to_string(),
            ],
            &prov.fields,
        ));
    }
    Some(finish(w))
}
