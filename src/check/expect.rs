//! `[[expect]]` tables: reading and validating expectations before anything is simulated.
//!
//! ```toml
//! [[expect]]
//! kpi = "wait_p90"            # any KPI path of summary.json
//! variant = "lunch_cover"     # or a list; default: every variant (the baseline included)
//! max = "8min"                # and/or min; durations with a unit or in the time_unit
//!
//! [[expect]]
//! kpi = "wait_mean"
//! variant = "shared_crm"
//! better_than = "baseline"    # comparative: paired CI must exclude zero
//! direction = "lower"         # default: the KPI's natural direction
//! ```
//!
//! Every problem is reported with file:line:col and a suggestion, and all of them are found
//! before the first replication runs.

use crate::kpi::{self, Group};
use crate::model::Model;
use crate::scenario::Loaded;
use crate::scenario::diag::{Diagnostics, did_you_mean, line_col, suggest};
use crate::scenario::reader::{Obj, number};
use crate::scenario::schema::tables;
use crate::scenario::tree::{Node, Table, Val};
use crate::scenario::units::{self, TimeUnit};

pub const EXPECT_KEYS: &[&str] = &["name", "kpi", "variant", "min", "max", "better_than", "direction"];

/// KPIs that are fractions in [0, 1]: their bounds may also be written as "5%".
const FRACTION_KPIS: &[&str] =
    &["abandon_rate", "wait_prob", "service_level", "service_level_arrivals", "utilisation", "satisfied_rate"];

/// Where an expectation was written.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// One end of a band, in the units of summary.json (the time unit for durations).
#[derive(Clone, Debug)]
pub struct Limit {
    pub value: f64,
    /// As written, for reports ("8min", "0.05", "8 min" for a bare duration).
    pub text: String,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// An absolute bound: min ≤ KPI ≤ max (either end may be open).
    Bound { min: Option<Limit>, max: Option<Limit> },
    /// The variant must beat `than` significantly in the direction given.
    Better { than: String, lower: bool },
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub name: Option<String>,
    pub kpi: String,
    /// The variants it applies to, resolved against the scenario (file order).
    pub variants: Vec<String>,
    pub kind: Kind,
    pub source: Source,
}

/// The KPI paths a variant reports in summary.json (removed steps report nothing).
pub fn kpi_paths(m: &Model) -> Vec<String> {
    kpi::catalogue(m)
        .into_iter()
        .filter(|id| !(id.group == Group::Step && m.steps.iter().any(|s| s.name == id.entity && s.pass_through)))
        .map(|id| id.path())
        .collect()
}

/// What expectations are checked against: the variants of a loaded scenario and their KPIs.
pub struct Target<'a> {
    pub names: Vec<&'a str>,
    pub paths: Vec<Vec<String>>,
    /// Every KPI path of any variant, first-seen order, for suggestions.
    pub all_paths: Vec<String>,
    pub time_unit: TimeUnit,
    /// False when the scenario itself did not load: only what can be checked without its
    /// variants and KPIs (keys, types, bounds) is checked.
    pub known: bool,
}

impl<'a> Target<'a> {
    pub fn of(loaded: &'a Loaded) -> Target<'a> {
        let names: Vec<&str> = loaded.variants.iter().map(|v| v.name.as_str()).collect();
        let paths: Vec<Vec<String>> = loaded.variants.iter().map(|v| kpi_paths(&v.model)).collect();
        let mut all_paths: Vec<String> = Vec::new();
        for p in paths.iter().flatten() {
            if !all_paths.contains(p) {
                all_paths.push(p.clone());
            }
        }
        Target { names, paths, all_paths, time_unit: loaded.baseline().model.time_unit, known: true }
    }

    /// For a scenario with errors: its variants and KPIs are not known, so names are not checked.
    pub fn unknown(time_unit: TimeUnit) -> Target<'a> {
        Target { names: Vec::new(), paths: Vec::new(), all_paths: Vec::new(), time_unit, known: false }
    }

    fn has(&self, variant: &str, path: &str) -> bool {
        self.names.iter().position(|n| *n == variant).is_some_and(|i| self.paths[i].iter().any(|p| p == path))
    }
}

/// Reads the `expect` array of a parsed document. `file` and `source` locate the document
/// (the scenario file itself or a separate `--expect` file).
pub fn read(root: &Table, file: &str, source: &str, target: &Target<'_>, d: &mut Diagnostics) -> Vec<Expectation> {
    let top = Obj { t: root, path: String::new(), span: 0..0 };
    let mut out = Vec::new();
    if root.get("expect").is_none() {
        return out;
    }
    for (node, path) in tables(&top, "expect", d) {
        if let Some(e) = read_one(node, &path, file, source, target, d) {
            out.push(e);
        }
    }
    out
}

/// Reads a separate expectations file: only `[[expect]]` tables are allowed in it.
pub fn read_file_tables(
    root: &Table,
    file: &str,
    source: &str,
    target: &Target<'_>,
    d: &mut Diagnostics,
) -> Vec<Expectation> {
    let _ = Obj::root(root, &["expect"], d);
    if root.get("expect").is_none() {
        d.error(None, "", "the file holds no [[expect]] tables")
            .with_help("write one [[expect]] table per expectation, e.g. [[expect]] kpi = \"wait_p90\" max = \"8min\"");
        return Vec::new();
    }
    read(root, file, source, target, d)
}

fn read_one(
    node: &Node,
    path: &str,
    file: &str,
    source: &str,
    t: &Target<'_>,
    d: &mut Diagnostics,
) -> Option<Expectation> {
    let errors_before = d.error_count();
    let o = Obj::open(node, path, EXPECT_KEYS, d)?;
    let name = o.str("name", d).map(|s| s.v);
    let kpi = o.req_str("kpi", d);
    let anchor = kpi.as_ref().map_or(node.span.start, |k| k.span.start).min(source.len());
    let (line, column) = line_col(source, anchor);
    let src = Source { file: file.to_string(), line, column };

    // The KPI path must exist in at least one variant.
    let kpi = kpi.and_then(|k| {
        if !t.known || t.all_paths.contains(&k.v) {
            Some(k)
        } else {
            let refs: Vec<&str> = t.all_paths.iter().map(String::as_str).collect();
            d.error(
                Some(k.span.clone()),
                o.key("kpi"),
                format!("unknown KPI `{}`", k.v),
            )
            .with_help(match suggest(&k.v, refs.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "KPI paths are as in summary.json: `wait_mean`, `customers.<type>.wait_p90`, `steps.<step>.queue_mean`, `resources.<resource>.utilisation`".to_string(),
            });
            None
        }
    });

    // Variants named explicitly.
    let explicit: Option<Vec<(String, crate::scenario::tree::Span)>> = match o.get("variant") {
        None => None,
        Some(n) => match &n.val {
            Val::Str(s) => Some(vec![(s.clone(), n.span.clone())]),
            Val::Array(items) => {
                let mut v = Vec::new();
                for it in items {
                    match &it.val {
                        Val::Str(s) => v.push((s.clone(), it.span.clone())),
                        _ => {
                            d.error(
                                Some(it.span.clone()),
                                o.key("variant"),
                                format!("expected a variant name, found {}", it.type_name()),
                            );
                        }
                    }
                }
                if items.is_empty() {
                    d.error(Some(n.span.clone()), o.key("variant"), "the list of variants is empty")
                        .with_help("leave `variant` out to check every variant");
                }
                Some(v)
            }
            _ => {
                d.error(
                    Some(n.span.clone()),
                    o.key("variant"),
                    format!("expected a variant name or a list of names, found {}", n.type_name()),
                );
                None
            }
        },
    };
    if let Some(list) = explicit.as_ref().filter(|_| t.known) {
        for (v, span) in list {
            if !t.names.contains(&v.as_str()) {
                d.error(Some(span.clone()), o.key("variant"), format!("unknown variant `{v}`"))
                    .with_help(did_you_mean(v, &t.names));
            } else if let Some(k) = &kpi
                && !t.has(v, &k.v)
            {
                d.error(
                        Some(span.clone()),
                        o.key("variant"),
                        format!(
                            "variant `{v}` does not report KPI `{}` (it removes or lacks that step, resource or customer type)",
                            k.v
                        ),
                    );
            }
        }
    }

    let kpi_name = kpi.as_ref().map(|k| k.v.rsplit('.').next().unwrap_or(&k.v).to_string()).unwrap_or_default();
    // Bounds are read in the KPI's units, so only once the KPI is known.
    let (min, max) = if kpi.is_some() {
        (limit(&o, "min", &kpi_name, t.time_unit, source, d), limit(&o, "max", &kpi_name, t.time_unit, source, d))
    } else {
        (None, None)
    };
    let better = o.str("better_than", d);
    let direction = o.str("direction", d);

    let kind = if let Some(b) = better {
        if o.get("min").is_some() || o.get("max").is_some() {
            d.error(
                Some(b.span.clone()),
                o.key("better_than"),
                "an expectation either bounds a KPI (min/max) or compares variants (better_than), not both",
            )
            .with_help("write two [[expect]] tables");
        }
        if t.known && !t.names.contains(&b.v.as_str()) {
            d.error(Some(b.span.clone()), o.key("better_than"), format!("unknown variant `{}`", b.v))
                .with_help(did_you_mean(&b.v, &t.names));
        } else if let Some(k) = kpi.as_ref().filter(|_| t.known)
            && !t.has(&b.v, &k.v)
        {
            d.error(
                Some(b.span.clone()),
                o.key("better_than"),
                format!("variant `{}` does not report KPI `{}`", b.v, k.v),
            );
        }
        if let Some(list) = &explicit {
            for (v, span) in list {
                if *v == b.v {
                    d.error(
                        Some(span.clone()),
                        o.key("variant"),
                        format!("variant `{v}` cannot be compared with itself"),
                    );
                }
            }
        }
        let lower = match &direction {
            None => crate::experiment::compare::lower_is_better(&kpi_name),
            Some(s) => match s.v.as_str() {
                "lower" => true,
                "higher" => false,
                other => {
                    d.error(Some(s.span.clone()), o.key("direction"), format!("unknown direction `{other}`"))
                        .with_help(match suggest(other, ["lower", "higher"]) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "expected \"lower\" or \"higher\"".to_string(),
                        });
                    true
                }
            },
        };
        Kind::Better { than: b.v, lower }
    } else {
        if let Some(dir) = &direction {
            d.error(
                Some(dir.span.clone()),
                o.key("direction"),
                "`direction` only applies to comparisons (with `better_than`)",
            );
        }
        if o.get("min").is_none() && o.get("max").is_none() {
            d.error(Some(node.span.clone()), path, "the expectation states nothing to check")
                .with_help("give `min`, `max` (or both), or `better_than` with `direction`");
        }
        if let (Some(lo), Some(hi)) = (&min, &max)
            && lo.value > hi.value
        {
            d.error(
                Some(o.span_of("min")),
                o.key("min"),
                format!("min ({}) is larger than max ({})", lo.text, hi.text),
            );
        }
        Kind::Bound { min, max }
    };

    if d.error_count() > errors_before || !t.known {
        return None;
    }
    let kpi = kpi?;
    let variants: Vec<String> = match (&explicit, &kind) {
        (Some(list), _) => list.iter().map(|(v, _)| v.clone()).collect(),
        (None, Kind::Bound { .. }) => t.names.iter().filter(|v| t.has(v, &kpi.v)).map(|v| v.to_string()).collect(),
        (None, Kind::Better { than, .. }) => {
            t.names.iter().filter(|v| **v != than.as_str() && t.has(v, &kpi.v)).map(|v| v.to_string()).collect()
        }
    };
    if variants.is_empty() {
        d.error(
            Some(kpi.span.clone()),
            o.key("kpi"),
            "no variant to check: the scenario has no other variant to compare",
        )
        .with_help("add [[variants]] to the scenario or name a `variant`");
        return None;
    }
    Some(Expectation { name, kpi: kpi.v, variants, kind, source: src })
}

/// Reads `min` or `max` in the units of summary.json.
fn limit(o: &Obj<'_>, key: &str, kpi_name: &str, tu: TimeUnit, source: &str, d: &mut Diagnostics) -> Option<Limit> {
    let n = o.get(key)?;
    let duration = kpi::is_duration(kpi_name);
    let written = source.get(n.span.clone()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let value = match &n.val {
        Val::Int(_) | Val::Float(_) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if !x.is_finite() {
                d.error(Some(n.span.clone()), o.key(key), "expected a finite number");
                return None;
            }
            if duration && x < 0.0 {
                d.error(
                    Some(n.span.clone()),
                    o.key(key),
                    format!("`{}` is negative; durations must be >= 0", number(x)),
                );
                return None;
            }
            let text = written.unwrap_or_else(|| number(x));
            let text = if duration { format!("{text} {tu}") } else { text };
            return Some(Limit { value: x, text });
        }
        Val::Str(s) if duration => match units::parse_duration(s) {
            Ok(m) => tu.from_minutes(m),
            Err(e) => {
                d.error(Some(n.span.clone()), o.key(key), e);
                return None;
            }
        },
        Val::Str(s) => {
            let pct = s.trim().strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok());
            match pct {
                Some(p) if FRACTION_KPIS.contains(&kpi_name) && p.is_finite() => p / 100.0,
                _ => {
                    let help = if FRACTION_KPIS.contains(&kpi_name) {
                        format!(
                            "write a number such as 0.05 or a percentage such as \"5%\" (`{kpi_name}` is a fraction)"
                        )
                    } else {
                        format!("write a number; `{kpi_name}` is not a duration, so units do not apply")
                    };
                    d.error(
                        Some(n.span.clone()),
                        o.key(key),
                        format!("`{s}` is not a valid bound for KPI `{kpi_name}`"),
                    )
                    .with_help(help);
                    return None;
                }
            }
        }
        _ => {
            d.error(
                Some(n.span.clone()),
                o.key(key),
                format!(
                    "expected {}, found {}",
                    if duration { "a duration such as \"8min\" or a number in the time unit" } else { "a number" },
                    n.type_name()
                ),
            );
            return None;
        }
    };
    let text = match &n.val {
        Val::Str(s) => s.clone(),
        _ => number(value),
    };
    Some(Limit { value, text })
}

/// How many expectations a list expands to, one per variant.
pub fn count_checks(list: &[Expectation]) -> usize {
    list.iter().map(|e| e.variants.len()).sum()
}

/// How many comparative checks a list expands to (the Bonferroni m).
pub fn count_comparisons(list: &[Expectation]) -> usize {
    list.iter().filter(|e| matches!(e.kind, Kind::Better { .. })).map(|e| e.variants.len()).sum()
}
