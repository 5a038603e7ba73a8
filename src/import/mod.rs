//! `branchsim import`: a BPMN 2.0 process (plus, optionally, Prosimos 2.x simulation
//! parameters) converted into a readable, commented scenario file.
//!
//! The pipeline is pure text to text: `bpmn` reads the XML into a graph of flow nodes,
//! `prosimos` reads the JSON parameters, `graph` turns gateways into routing, and `emit`
//! writes the TOML. Whatever cannot be represented is an error (`Err`, exit 2) or a warning
//! naming the BPMN element id and line, so that nothing is dropped silently.

pub mod batch;
pub mod bpmn;
mod emit;
pub mod graph;
pub mod prosimos;

/// The result of an import: the scenario text and what the user must know about it.
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    pub warnings: Vec<String>,
    /// Parameters that still have placeholder values (no JSON, or missing from it).
    pub to_set: Vec<String>,
    /// The scenario uses `fork` (parallel or inclusive gateways).
    pub uses_forks: bool,
}

/// What to write at the top of the file and in its description.
pub struct Options<'a> {
    /// Target of the `#:schema` directive (a path relative to the output file, or a URL).
    pub schema: &'a str,
    /// The BPMN file's name, for the description and the default scenario name.
    pub bpmn_name: &'a str,
    pub params_name: Option<&'a str>,
}

/// Converts a BPMN document (and Prosimos parameters) into scenario TOML.
pub fn import(bpmn_text: &str, params_text: Option<&str>, opts: &Options) -> Result<Imported, String> {
    let model = bpmn::parse(bpmn_text)?;
    let params = match params_text {
        Some(t) => Some(prosimos::parse(t)?),
        None => None,
    };
    emit::emit(&model, params.as_ref(), opts)
}
