//! JSON Schemas of the files branchsim writes for other programs: summary.json, the baseline
//! file of `branchsim record` and the report of `branchsim check --json`.
//!
//! They are derived (schemars) from the very types that are serialized, so the published
//! contract (docs/schemas/, `branchsim schema summary|baseline|check`) cannot drift from what
//! is written. The contract is the *serialized* shape: a field with a default when read is
//! still always written, so it is required. Values that can be undefined (NaN: a KPI with no
//! customers, a CI from one replication) are written as `null` by serde_json; their fields
//! say so with `#[schemars(with = "Option<f64>")]`.

use schemars::generate::SchemaSettings;
use serde_json::Value;

/// Which file a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Scenario files (TOML), for editors: docs/scenario.schema.json.
    Scenario,
    /// summary.json of `branchsim run` / `sweep` / `merge`.
    Summary,
    /// The baseline file written by `branchsim record`.
    Baseline,
    /// The report of `branchsim check --json`.
    Check,
}

impl Output {
    /// Every output schema published in docs/schemas/ (the scenario schema lives beside the
    /// scenario docs, in docs/scenario.schema.json).
    pub const PUBLISHED: [Output; 3] = [Output::Summary, Output::Baseline, Output::Check];

    /// Where the schema is published, relative to the repository root.
    pub fn doc_path(self) -> &'static str {
        match self {
            Output::Scenario => "docs/scenario.schema.json",
            Output::Summary => "docs/schemas/summary.schema.json",
            Output::Baseline => "docs/schemas/baseline.schema.json",
            Output::Check => "docs/schemas/check.schema.json",
        }
    }
}

fn derived<T: schemars::JsonSchema>(title: &str) -> Value {
    let generator = SchemaSettings::draft2020_12().for_serialize().into_generator();
    let schema = generator.into_root_schema_for::<T>().to_value();
    // `$schema` and the title first, for a reader opening the file.
    let mut out = serde_json::Map::new();
    if let Some(m) = schema.get("$schema") {
        out.insert("$schema".into(), m.clone());
    }
    out.insert("title".into(), Value::String(title.into()));
    if let Value::Object(rest) = schema {
        out.extend(rest.into_iter().filter(|(k, _)| k != "$schema"));
    }
    Value::Object(out)
}

/// The schema as a JSON value.
pub fn schema(which: Output) -> Value {
    match which {
        Output::Scenario => crate::scenario::json_schema::schema(),
        Output::Summary => derived::<crate::report::Results>("branchsim summary.json"),
        Output::Baseline => derived::<crate::check::baseline::Baseline>("branchsim baseline file"),
        Output::Check => derived::<crate::check::output::Report>("branchsim check --json"),
    }
}

/// The schema as published: pretty JSON ending in a newline.
pub fn schema_text(which: Output) -> String {
    let mut s = serde_json::to_string_pretty(&schema(which)).unwrap_or_default();
    s.push('\n');
    s
}
