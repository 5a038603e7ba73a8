//! results.xlsx read as Excel reads it: the zip, the workbook's sheet list and relations, the
//! shared strings and the sheets' cells, checked against the CSV files of the same run.
//!
//! - The Replications sheet lists every replication only up to
//!   `report::xlsx::SHEET_REPLICATIONS` replications; above, it holds one note row pointing to
//!   replications.csv, and `--xlsx-replications` (on `run` and `merge`) brings every row back.
//! - The Time series sheet lists every series of timeseries.csv for a branch-sized model; for a
//!   large one (the regional scenario), what the report draws: the network's total queue, the
//!   busiest steps and resources, and a note naming what timeseries.csv has besides.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::report::xlsx::{NOTE_COLUMN, QUEUE_TOTAL, SHEET_REPLICATIONS};

const SCENARIO: &str = "scenarios/downtown_branch.toml";
const SLUG: &str = "downtown-branch-weekday";

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("branchsim-xlsx-reps-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// Runs `branchsim ARGS --out OUT` (a fresh folder) and returns the run's folder in it.
fn branchsim(args: &[&str], out: &Path) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(args)
        .args(["-q", "--no-charts", "--out"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{args:?}: {}\n{}", o.status, String::from_utf8_lossy(&o.stderr));
    // The one folder the run wrote (every caller gives a fresh `out`).
    let folders: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders[0].clone()
}

/// A cell as Excel shows it.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
}

/// One member of the workbook's zip.
fn member(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> String {
    let mut text = String::new();
    zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}")).read_to_string(&mut text).unwrap();
    text
}

/// Zero-based (row, column) of a cell reference such as `AB12`.
fn position(reference: &str) -> (u32, u32) {
    let letters: String = reference.chars().take_while(char::is_ascii_uppercase).collect();
    let col = letters.bytes().fold(0u32, |c, b| c * 26 + u32::from(b - b'A' + 1)) - 1;
    let row: u32 = reference[letters.len()..].parse().unwrap_or_else(|_| panic!("cell reference {reference}"));
    (row - 1, col)
}

/// The cells of the sheet called `name`, by (row, column), both from 0.
fn sheet(file: &Path, name: &str) -> BTreeMap<(u32, u32), Cell> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let workbook = member(&mut zip, "xl/workbook.xml");
    let workbook = roxmltree::Document::parse(&workbook).unwrap();
    let rel = workbook
        .descendants()
        .find(|n| n.has_tag_name("sheet") && n.attribute("name") == Some(name))
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .attributes()
        .find(|a| a.name() == "id")
        .unwrap()
        .value()
        .to_string();
    let rels = member(&mut zip, "xl/_rels/workbook.xml.rels");
    let rels = roxmltree::Document::parse(&rels).unwrap();
    let target =
        rels.descendants().find(|n| n.attribute("Id") == Some(rel.as_str())).unwrap().attribute("Target").unwrap();
    let strings = member(&mut zip, "xl/sharedStrings.xml");
    let strings = roxmltree::Document::parse(&strings).unwrap();
    let shared: Vec<String> = strings
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("si"))
        .map(|si| si.descendants().filter(|n| n.has_tag_name("t")).filter_map(|t| t.text()).collect())
        .collect();
    let xml = member(&mut zip, &format!("xl/{target}"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut cells = BTreeMap::new();
    for c in doc.descendants().filter(|n| n.has_tag_name("c")) {
        let at = position(c.attribute("r").unwrap());
        let v = c.children().find(|n| n.has_tag_name("v")).and_then(|v| v.text()).unwrap_or_default();
        let cell = match c.attribute("t") {
            Some("s") => Cell::Text(shared[v.parse::<usize>().unwrap()].clone()),
            None | Some("n") => Cell::Number(v.parse().unwrap_or_else(|_| panic!("number {v}"))),
            Some(t) => panic!("unexpected cell type {t}"),
        };
        cells.insert(at, cell);
    }
    cells
}

/// replications.csv as (variant, replication) → KPI path → value, and the KPI paths in order
/// of first appearance.
type Rows = BTreeMap<(String, u64), BTreeMap<String, f64>>;

fn replications_csv(dir: &Path) -> (Rows, Vec<String>) {
    let mut r = csv::Reader::from_path(dir.join("replications.csv")).unwrap();
    let mut rows = Rows::new();
    let mut paths = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let (variant, rep, kpi, value) = (&rec[0], &rec[1], &rec[2], &rec[3]);
        if !paths.iter().any(|p| p == kpi) {
            paths.push(kpi.to_string());
        }
        if !value.is_empty() {
            let row = rows.entry((variant.to_string(), rep.parse().unwrap())).or_default();
            row.insert(kpi.to_string(), value.parse().unwrap());
        }
    }
    (rows, paths)
}

fn variants(rows: &Rows) -> usize {
    rows.keys().map(|(v, _)| v.as_str()).collect::<std::collections::BTreeSet<_>>().len()
}

/// Every row of the Replications sheet is a row of replications.csv, with every value, and
/// every row of replications.csv is in the sheet.
fn assert_sheet_is_the_csv(cells: &BTreeMap<(u32, u32), Cell>, csv: &Rows, paths: &[String]) {
    let last_row = cells.keys().map(|&(r, _)| r).max().unwrap();
    assert_eq!(last_row as usize, csv.len(), "one sheet row per variant × replication (plus the header)");
    // Header: variant, replication, then "path (unit)".
    let mut columns = BTreeMap::new();
    for (&(r, c), cell) in cells.range((0, 2)..(1, 0)) {
        assert_eq!(r, 0);
        let Cell::Text(h) = cell else { panic!("header cell {cell:?}") };
        let path = h.rsplit_once(" (").map_or(h.as_str(), |(p, _)| p);
        assert!(paths.iter().any(|p| p == path), "column {h} is not a KPI of replications.csv");
        columns.insert(c, path.to_string());
    }
    assert_eq!(columns.len(), paths.len(), "one column per KPI path");
    let mut seen = 0;
    for r in 1..=last_row {
        let Some(Cell::Text(variant)) = cells.get(&(r, 0)) else { panic!("row {r}: no variant") };
        let Some(&Cell::Number(rep)) = cells.get(&(r, 1)) else { panic!("row {r}: no replication") };
        let want = &csv[&(variant.clone(), rep as u64)];
        for (c, path) in &columns {
            match (cells.get(&(r, *c)), want.get(path)) {
                (Some(Cell::Number(x)), Some(y)) => assert_eq!(x, y, "row {r} ({variant} {rep}) {path}"),
                (None, None) => {}
                (got, want) => panic!("row {r} ({variant} {rep}) {path}: sheet {got:?}, csv {want:?}"),
            }
        }
        seen += 1;
    }
    assert_eq!(seen, csv.len());
}

/// Above the limit the sheet is one note naming the replications, the rows and the file;
/// the other sheets are still there.
#[test]
fn above_the_limit_the_sheet_is_a_note_pointing_to_the_csv() {
    let n = SHEET_REPLICATIONS + 1;
    let dir = branchsim(&["run", SCENARIO, "-n", &n.to_string()], &tmpdir("note"));
    let (csv, _) = replications_csv(&dir);
    let variants = variants(&csv);
    assert!(variants > 1);
    assert_eq!(csv.len() as u64, n * variants as u64, "replications.csv keeps every replication");
    let cells = sheet(&dir.join("results.xlsx"), "Replications");
    assert_eq!(cells.len(), 1, "more than the note: {cells:?}");
    let Some(Cell::Text(note)) = cells.get(&(0, 0)) else { panic!("no note: {cells:?}") };
    assert!(note.contains(&format!("The {n} replications of each of the {variants} variants")), "{note}");
    assert!(note.contains(&format!("({} rows)", n * variants as u64)), "{note}");
    assert!(note.contains("replications.csv") && note.contains("--xlsx-replications"), "{note}");
    assert!(note.contains(&format!("up to {SHEET_REPLICATIONS} replications")), "{note}");
    let kpis = sheet(&dir.join("results.xlsx"), "KPIs");
    assert!(kpis.len() > 100, "the KPIs sheet is left as it was");
}

/// `--xlsx-replications` lists every replication above the limit, value for value as in
/// replications.csv.
#[test]
fn the_flag_lists_every_replication() {
    let n = (SHEET_REPLICATIONS + 1).to_string();
    let dir = branchsim(&["run", SCENARIO, "-n", &n, "--xlsx-replications"], &tmpdir("flag"));
    let (csv, paths) = replications_csv(&dir);
    assert_sheet_is_the_csv(&sheet(&dir.join("results.xlsx"), "Replications"), &csv, &paths);
}

/// Up to the limit nothing changes: every row, and the same bytes as with the flag.
#[test]
fn up_to_the_limit_the_sheet_lists_every_replication() {
    let n = SHEET_REPLICATIONS.to_string();
    let plain = branchsim(&["run", SCENARIO, "-n", &n], &tmpdir("limit"));
    let (csv, paths) = replications_csv(&plain);
    assert_sheet_is_the_csv(&sheet(&plain.join("results.xlsx"), "Replications"), &csv, &paths);
    let flagged = branchsim(&["run", SCENARIO, "-n", &n, "--xlsx-replications"], &tmpdir("limit-flag"));
    assert!(
        std::fs::read(plain.join("results.xlsx")).unwrap() == std::fs::read(flagged.join("results.xlsx")).unwrap(),
        "the flag changed results.xlsx at {n} replications"
    );
}

/// `merge` writes the workbook a single run writes, with and without the flag.
#[test]
fn merge_writes_the_workbook_of_a_single_run() {
    let n = (SHEET_REPLICATIONS + 1).to_string();
    let root = tmpdir("merge");
    for k in 0..2 {
        let st = Command::new(env!("CARGO_BIN_EXE_branchsim"))
            .args(["run", SCENARIO, "-n", &n, "-q", "--shard", &format!("{k}/2"), "--out"])
            .arg(root.join("shards"))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let shards = root.join("shards").join(SLUG).to_string_lossy().into_owned();
    for flag in [None, Some("--xlsx-replications")] {
        let tag = if flag.is_some() { "flag" } else { "plain" };
        let mut single = vec!["run", SCENARIO, "-n", &n];
        let mut merged = vec!["merge", &shards];
        single.extend(flag);
        merged.extend(flag);
        let single = branchsim(&single, &root.join(format!("single-{tag}")));
        let merged = branchsim(&merged, &root.join(format!("merged-{tag}")));
        let (a, b) =
            (std::fs::read(single.join("results.xlsx")).unwrap(), std::fs::read(merged.join("results.xlsx")).unwrap());
        assert!(a == b, "merged results.xlsx differs from a single run's ({tag})");
        let rows = sheet(&merged.join("results.xlsx"), "Replications").keys().map(|&(r, _)| r).max().unwrap();
        assert_eq!(rows > 0, flag.is_some(), "{tag}: {rows} rows after the header");
    }
}

/// A shard writes no workbook: the flag is refused there (exit 2, naming `merge`) rather than
/// silently ignored.
#[test]
fn the_flag_is_refused_on_a_shard() {
    let out = tmpdir("shard-flag");
    let o = Command::new(env!("CARGO_BIN_EXE_branchsim"))
        .args(["run", SCENARIO, "-n", "3", "-q", "--shard", "0/2", "--xlsx-replications", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--xlsx-replications") && err.contains("branchsim merge"), "{err}");
    assert!(!out.join(SLUG).exists(), "the shard wrote something");
}

/// timeseries.csv as (variant, series, entity) → rows of (bin_start, clock, mean, p05, p95),
/// empty cells as NaN.
type Series = BTreeMap<(String, String, String), Vec<(f64, String, [f64; 3])>>;

fn timeseries_csv(dir: &Path) -> Series {
    let mut r = csv::Reader::from_path(dir.join("timeseries.csv")).unwrap();
    let mut out = Series::new();
    let x = |s: &str| if s.is_empty() { f64::NAN } else { s.parse::<f64>().unwrap() };
    for rec in r.records() {
        let rec = rec.unwrap();
        out.entry((rec[0].to_string(), rec[1].to_string(), rec[2].to_string())).or_default().push((
            x(&rec[3]),
            rec[4].to_string(),
            [x(&rec[5]), x(&rec[6]), x(&rec[7])],
        ));
    }
    out
}

/// The Time series sheet as `Series` (the table, without its header and note).
fn timeseries_sheet(file: &Path) -> (Series, BTreeMap<(u32, u32), Cell>) {
    let cells = sheet(file, "Time series");
    let text = |r: u32, c: u32| match cells.get(&(r, c)) {
        Some(Cell::Text(t)) => t.clone(),
        None => String::new(),
        Some(other) => panic!("row {r} column {c}: {other:?}"),
    };
    let number = |r: u32, c: u32| match cells.get(&(r, c)) {
        Some(Cell::Number(x)) => *x,
        None => f64::NAN,
        Some(other) => panic!("row {r} column {c}: {other:?}"),
    };
    let header: Vec<String> = (0..8).map(|c| text(0, c)).collect();
    assert_eq!(header, ["variant", "series", "name", "bin_start", "label", "mean", "p05", "p95"]);
    let last = cells.keys().map(|&(r, _)| r).max().unwrap();
    let mut out = Series::new();
    for r in 1..=last {
        out.entry((text(r, 0), text(r, 1), text(r, 2))).or_default().push((
            number(r, 3),
            text(r, 4),
            [number(r, 5), number(r, 6), number(r, 7)],
        ));
    }
    (out, cells)
}

/// Same numbers (NaN = NaN: an empty cell).
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn assert_same_series(sheet: &[(f64, String, [f64; 3])], csv: &[(f64, String, [f64; 3])], what: &str) {
    assert_eq!(sheet.len(), csv.len(), "{what}: bins");
    for (i, (s, c)) in sheet.iter().zip(csv).enumerate() {
        assert!(same(s.0, c.0) && s.1 == c.1, "{what}, bin {i}: {s:?} against {c:?}");
        for k in 0..3 {
            assert!(same(s.2[k], c.2[k]), "{what}, bin {i}: {s:?} against {c:?}");
        }
    }
}

/// A branch-sized model: the sheet is timeseries.csv, series for series and value for value,
/// with no note.
#[test]
fn the_time_series_sheet_of_a_branch_is_the_csv() {
    let dir = branchsim(&["run", SCENARIO, "-n", "3"], &tmpdir("series-branch"));
    let csv = timeseries_csv(&dir);
    let (sheet, cells) = timeseries_sheet(&dir.join("results.xlsx"));
    assert!(!cells.contains_key(&(0, u32::from(NOTE_COLUMN))), "a note on a branch-sized model");
    assert_eq!(sheet.keys().collect::<Vec<_>>(), csv.keys().collect::<Vec<_>>(), "the same series");
    for (k, rows) in &csv {
        assert_same_series(&sheet[k], rows, &format!("{k:?}"));
    }
}

/// KPI means of kpis.csv: (variant, path) → mean.
fn kpi_means(dir: &Path) -> BTreeMap<(String, String), f64> {
    let mut r = csv::Reader::from_path(dir.join("kpis.csv")).unwrap();
    r.records()
        .map(|rec| rec.unwrap())
        .map(|rec| ((rec[0].to_string(), rec[1].to_string()), rec[6].parse().unwrap_or(f64::NAN)))
        .collect()
}

/// The regional scenario (a large model): per variant the sheet lists the total queue (the sum
/// of every step's mean, bin by bin), the busiest steps and resources (by their largest mean
/// queue or utilisation over the variants, as the report ranks them) with the values of
/// timeseries.csv, and the waits by arrival time; the note names how many series and rows
/// timeseries.csv has.
#[test]
fn the_time_series_sheet_of_a_large_model_lists_what_the_report_draws() {
    let dir = branchsim(&["run", "scenarios/regional.toml", "-n", "2"], &tmpdir("series-regional"));
    let csv = timeseries_csv(&dir);
    let (sheet, cells) = timeseries_sheet(&dir.join("results.xlsx"));
    let Some(Cell::Text(note)) = cells.get(&(0, u32::from(NOTE_COLUMN))) else { panic!("no note") };
    let rows: usize = csv.values().map(Vec::len).sum();
    assert!(note.contains(&format!("({} series, {rows} rows)", csv.len())), "{note}");
    assert!(note.contains("timeseries.csv") && note.contains(QUEUE_TOTAL), "{note}");
    let means = kpi_means(&dir);
    let variants: std::collections::BTreeSet<&String> = csv.keys().map(|(v, _, _)| v).collect();
    assert!(variants.len() > 1);
    // The largest mean of `kpi` of `group.name` over the variants.
    let worst = |group: &str, name: &str, kpi: &str| {
        variants
            .iter()
            .filter_map(|v| means.get(&((*v).clone(), format!("{group}.{name}.{kpi}"))))
            .fold(f64::NEG_INFINITY, |a, &b| a.max(b))
    };
    for (kind, group, kpi, top) in
        [("queue", "steps", "queue_mean", 6), ("utilisation", "resources", "utilisation", 12)]
    {
        let listed: std::collections::BTreeSet<&String> =
            sheet.keys().filter(|(_, k, _)| k == kind).map(|(_, _, n)| n).collect();
        let all: std::collections::BTreeSet<&String> =
            csv.keys().filter(|(_, k, _)| k == kind).map(|(_, _, n)| n).collect();
        assert_eq!(listed.len(), top, "{kind}: {listed:?}");
        assert!(all.len() > 2 * top, "{kind}: the regional scenario has {} series", all.len());
        let floor = listed.iter().map(|n| worst(group, n, kpi)).fold(f64::INFINITY, f64::min);
        for n in all.difference(&listed) {
            assert!(worst(group, n, kpi) <= floor, "{kind} {n} is busier than a listed one ({floor})");
        }
    }
    for v in &variants {
        let ts = |kind: &str, name: &str| sheet.get(&((*v).clone(), kind.to_string(), name.to_string()));
        // Every listed series is the CSV's.
        for ((sv, kind, name), rows) in sheet.iter().filter(|((sv, k, _), _)| sv == *v && k != QUEUE_TOTAL) {
            assert_same_series(rows, &csv[&(sv.clone(), kind.clone(), name.clone())], &format!("{v} {kind} {name}"));
        }
        assert!(ts("wait_by_arrival", "").is_some(), "{v}: no waits by arrival time");
        // The total: the sum of the means of every step's queue in timeseries.csv.
        let total = ts(QUEUE_TOTAL, "").unwrap_or_else(|| panic!("{v}: no total queue"));
        let steps: Vec<&Vec<_>> =
            csv.iter().filter(|((sv, k, _), _)| sv == *v && k == "queue").map(|(_, r)| r).collect();
        for (i, (start, label, [mean, p05, p95])) in total.iter().enumerate() {
            let want: f64 = steps.iter().map(|r| r[i].2[0]).filter(|x| x.is_finite()).sum();
            assert!((mean - want).abs() <= 1e-9 * want.max(1.0), "{v} bin {i}: total {mean}, steps add up to {want}");
            assert!(p05.is_nan() && p95.is_nan(), "{v} bin {i}: percentiles do not add up");
            assert!(*start == steps[0][i].0 && *label == steps[0][i].1);
        }
    }
}
