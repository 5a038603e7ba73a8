//! Scenario files: reading, validating and compiling them into models.
//!
//! The flow is `bytes → spanned tree (tree) → Scenario (schema) → Model (compile)`, once for
//! the baseline and once per variant (variants). Every step adds to one list of diagnostics.

pub mod calendar;
pub mod compile;
pub mod diag;
pub mod forks;
pub mod json_schema;
pub mod limits;
pub mod load;
pub mod reader;
pub mod schema;
pub mod start_date;
pub mod tree;
pub mod units;
pub mod variants;
pub mod visits;

use std::path::Path;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use schema::Scenario;

use crate::model::Model;

/// A model for one variant (the baseline is the variant named `baseline`).
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub description: String,
    pub scenario: Scenario,
    pub model: Model,
}

/// A scenario file that validated: the baseline first, then its variants in file order.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: String,
    pub source: String,
    /// FNV-1a 64 of the file bytes, recorded in every output so results can be traced back.
    pub content_hash: String,
    pub variants: Vec<Variant>,
    pub warnings: Diagnostics,
    /// The parsed document (for later layers that read extra tables such as `[[expect]]`).
    pub tree: tree::Table,
}

impl Loaded {
    pub fn baseline(&self) -> &Variant {
        &self.variants[0]
    }
}

/// Why a file could not be loaded.
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub source: String,
    pub diags: Diagnostics,
}

impl LoadError {
    pub fn render(&self) -> String {
        self.diags.render(&self.path, &self.source)
    }
}

/// Files larger than this are refused before parsing (a scenario is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let label = path.display().to_string();
    let fail = |msg: String| {
        let mut d = Diagnostics::default();
        d.error(None, "", msg);
        LoadError { path: label.clone(), source: String::new(), diags: d }
    };
    // Bounded: metadata says nothing about a pipe or a device (`/dev/zero` never ends).
    let bytes = crate::input::read_limited(path, MAX_FILE_BYTES).map_err(|e| {
        use crate::input::ReadError;
        fail(match e {
            ReadError::NotAFile("a folder") => "is a directory, not a scenario file".into(),
            ReadError::NotAFile(what) => format!("is {what}, not a scenario file"),
            ReadError::TooLarge { size: Some(n), .. } => {
                format!("the file is {n} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes")
            }
            ReadError::TooLarge { size: None, .. } => {
                format!("the input is larger than {MAX_FILE_BYTES} bytes, the limit of scenario files")
            }
            ReadError::Io(e) => format!("cannot read the file: {e}"),
        })
    })?;
    load_bytes(&bytes, &label)
}

pub fn load_bytes(bytes: &[u8], label: &str) -> Result<Loaded, LoadError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let mut d = Diagnostics::default();
            let valid = &bytes[..e.valid_up_to()];
            let prefix = String::from_utf8_lossy(valid).into_owned();
            d.error(
                Some(e.valid_up_to()..e.valid_up_to() + 1),
                "",
                format!(
                    "the file is not valid UTF-8: byte 0x{:02X} at offset {} is not part of a UTF-8 character",
                    bytes.get(e.valid_up_to()).copied().unwrap_or(0),
                    e.valid_up_to()
                ),
            )
            .with_help("save the file as UTF-8 (an accented name saved as Latin-1/Windows-1252 gives this error)");
            return Err(LoadError { path: label.into(), source: prefix, diags: d });
        }
    };
    load_str(text, label)
}

pub fn load_str(text: &str, label: &str) -> Result<Loaded, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut d = Diagnostics::default();
    let fail = |d: Diagnostics| LoadError { path: label.into(), source: text.into(), diags: d };
    if text.trim().is_empty() {
        d.error(None, "", "the file is empty").with_help(
            "a scenario needs at least `horizon`, [[customers]], [[arrivals]] and [[steps]]; see scenarios/README.md",
        );
        return Err(fail(d));
    }
    let Some(root) = tree::parse(text, &mut d) else {
        return Err(fail(d));
    };
    // Values the tree could not hold (integers beyond 64 bits) were replaced by a placeholder:
    // their errors must stop the load here, before the placeholder is read as a real value.
    if d.has_errors() {
        return Err(fail(d));
    }
    // `[[expect]]` tables are part of the scenario: every command that reads the file checks
    // them, so a typo in one fails `validate` and `run`, not only `check` later in CI.
    let expect = root.get("expect").is_some().then(|| {
        let mut t = tree::Table::default();
        t.entries.extend(root.entries.iter().filter(|(k, _)| k.name == "expect").cloned());
        t
    });
    let time_unit = root.get("time_unit").and_then(|n| n.as_str()).and_then(units::TimeUnit::parse);
    let loaded = load_tree(root, text, label);
    let Some(expect) = expect else { return loaded };
    let mut d = Diagnostics::default();
    match loaded {
        Ok(mut l) => {
            let target = crate::check::expect::Target::of(&l);
            crate::check::expect::read(&expect, label, text, &target, &mut d);
            if !d.has_errors() {
                return Ok(l);
            }
            d.extend(std::mem::take(&mut l.warnings));
            d.sort();
            Err(fail(d))
        }
        Err(mut e) => {
            // The variants and KPIs are unknown; keys, types and bounds are still checked.
            let target = crate::check::expect::Target::unknown(time_unit.unwrap_or(units::TimeUnit::Minutes));
            crate::check::expect::read(&expect, label, text, &target, &mut d);
            e.diags.extend(d);
            e.diags.sort();
            Err(e)
        }
    }
}

/// Validates and compiles an already parsed document (`source` is the text its spans refer
/// to). Sweeps use this to compile each grid point after changing the tree.
pub fn load_tree(root: tree::Table, text: &str, label: &str) -> Result<Loaded, LoadError> {
    let mut d = Diagnostics::default();
    let fail = |d: Diagnostics| LoadError { path: label.into(), source: text.into(), diags: d };
    let default_name =
        Path::new(label).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());

    limits::check(&root, &mut d);
    if d.has_errors() {
        return Err(fail(d));
    }
    let scenario = Scenario::from_table(&root, &default_name, &mut d);
    let base_model = compile::compile(&scenario, &mut d);
    if let (Some(o), Some(m)) = (&scenario.objective, &base_model) {
        check_objective(o, m, &mut d);
    }
    let mut variants = Vec::new();
    if let Some(m) = base_model {
        variants.push(Variant {
            name: "baseline".into(),
            description: "the scenario as written".into(),
            scenario,
            model: m,
        });
    }
    let docs = variants::build(&root, &mut d);
    for v in docs {
        let mut vd = Diagnostics::default();
        let vs = Scenario::from_table(&v.table, &default_name, &mut vd);
        let model = compile::compile_with(&vs, &v.removed_steps, &mut vd);
        // Problems the baseline already has are reported once, not again per variant.
        // A warning whose text the baseline already gave (same resource, same load) is the
        // same problem even if the variant rewrote the table it points at.
        let base_msgs: Vec<(Option<std::ops::Range<usize>>, String)> =
            d.items.iter().map(|x| (x.span.clone(), x.message.clone())).collect();
        for mut item in vd.items {
            let same_warning = item.severity == diag::Severity::Warning
                && d.items.iter().any(|x| x.variant.is_none() && x.key == item.key && x.message == item.message);
            if !same_warning && !base_msgs.contains(&(item.span.clone(), item.message.clone())) {
                item.variant = Some(v.name.clone());
                d.items.push(item);
            }
        }
        if let Some(model) = model {
            variants.push(Variant { name: v.name, description: v.description, scenario: vs, model });
        }
    }
    d.sort();
    if d.has_errors() {
        return Err(fail(d));
    }
    Ok(Loaded {
        path: label.into(),
        source: text.into(),
        content_hash: content_hash(text.as_bytes()),
        variants,
        warnings: d,
        tree: root,
    })
}

/// The objective's KPIs must exist in the model: an unknown one is an error with the nearest
/// valid path, like every other name in the file.
fn check_objective(o: &schema::ObjectiveSpec, m: &crate::model::Model, d: &mut Diagnostics) {
    let paths: Vec<String> = crate::kpi::catalogue(m).iter().map(|id| id.path()).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let mut check = |k: &reader::Sp<String>, key: &str| {
        if !paths.iter().any(|p| p == &k.v) {
            d.error(
                Some(k.span.clone()),
                key.to_string(),
                format!("unknown KPI `{}`; {}", k.v, diag::did_you_mean(&k.v, &refs)),
            );
        }
    };
    check(&o.kpi, "objective.kpi");
    if let Some(c) = &o.constraint {
        check(&c.kpi, "objective.constraint");
    }
}

pub fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A file-system-safe slug of a scenario name for the output folder: ASCII letters, digits,
/// `-` and `_`, other text kept as Unicode letters; never `..`, never empty, at most 64 chars.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s: String = s.trim_matches('-').chars().take(64).collect();
    let s = s.trim_matches('-').to_string();
    // Device names Windows reserves in every folder (also with an extension).
    const RESERVED: &[&str] = &[
        "con", "prn", "aux", "nul", "conin", "conout", "clock", "com0", "com1", "com2", "com3", "com4", "com5", "com6",
        "com7", "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    ];
    if s.is_empty() || RESERVED.contains(&s.as_str()) {
        format!("scenario-{}", if s.is_empty() { "unnamed" } else { &s })
    } else {
        s
    }
}
