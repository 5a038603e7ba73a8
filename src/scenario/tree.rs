//! An owned, spanned copy of the TOML document.
//!
//! Scenario files are read through this tree rather than straight into serde structs so that
//! (1) every problem is collected, not just the first one serde meets, (2) every value keeps
//! its byte span for line/column messages, and (3) variants can be merged into the baseline
//! table by table before the merged document is read like any other scenario.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::diag::Diagnostics;

pub type Span = Range<usize>;

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub val: Val,
}

#[derive(Clone, Debug)]
pub enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub entries: Vec<(Key, Node)>,
}

#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.entries.iter_mut().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }

    pub fn remove(&mut self, name: &str) -> Option<Node> {
        let pos = self.entries.iter().position(|(k, _)| k.name == name)?;
        Some(self.entries.remove(pos).1)
    }

    /// Inserts or replaces `name`, keeping the original position of a replaced key.
    pub fn set(&mut self, key: Key, node: Node) {
        match self.entries.iter_mut().find(|(k, _)| k.name == key.name) {
            Some(slot) => slot.1 = node,
            None => self.entries.push((key, node)),
        }
    }
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match &self.val {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a float",
            Val::Bool(_) => "a boolean",
            Val::Datetime(_) => "a date-time",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }

    pub fn as_table(&self) -> Option<&Table> {
        match &self.val {
            Val::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.val {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Numbers of either TOML kind, as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match &self.val {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Parses TOML text into the owned tree; syntax errors go to `diags` (all of them the parser
/// can recover from).
pub fn parse(source: &str, diags: &mut Diagnostics) -> Option<Table> {
    let (doc, errors) = DeTable::parse_recoverable(source);
    let had_errors = !errors.is_empty();
    let mut seen: Vec<(Option<Span>, String)> = Vec::new();
    for e in errors {
        let msg = e.message().trim().to_string();
        let msg = msg.lines().next().unwrap_or("invalid TOML").to_string();
        // The recovering parser can report one problem twice.
        if seen.contains(&(e.span(), msg.clone())) {
            continue;
        }
        seen.push((e.span(), msg.clone()));
        let at = e.span().and_then(|s| source.get(s.start..s.end.max(s.start)));
        let (msg, help) = explain(&msg, at, e.span().and_then(|s| source.get(s.start..)));
        let item = diags.error(e.span(), "", format!("TOML syntax error: {msg}"));
        if let Some(h) = help {
            item.with_help(h);
        }
    }
    if had_errors {
        return None;
    }
    let span = doc.span();
    let table = doc.into_inner();
    Some(convert_table(&table, span, diags))
}

/// The parser's message made clearer for a planner, and advice where a common slip is likely.
fn explain(msg: &str, at: Option<&str>, rest: Option<&str>) -> (String, Option<String>) {
    if let Some(c) = rest.and_then(|r| r.chars().next()).filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return (
            format!("{msg} (a control character U+{:04X} is here)", u32::from(c)),
            Some("the file contains control characters: is it a text file, saved as plain UTF-8?".into()),
        );
    }
    if msg.contains("recurs") {
        return (
            msg.to_string(),
            Some(
                "arrays, tables or dotted keys are nested far too deeply; a scenario nests them only a few levels"
                    .into(),
            ),
        );
    }
    if msg == "duplicate key" {
        let key = at.map(|k| k.trim().trim_matches(|c| c == '[' || c == ']').trim()).filter(|k| !k.is_empty());
        return match key {
            Some(k) => (
                format!("duplicate key `{k}`"),
                Some("a key may appear only once in a table (an array of tables [[x]] cannot also be a value)".into()),
            ),
            None => (msg.to_string(), None),
        };
    }
    if msg.contains("escape") {
        return (
            msg.to_string(),
            Some(r#"inside "double quotes" a backslash starts an escape: write \\ for one backslash, or use 'single quotes'"#.into()),
        );
    }
    if msg.contains("expected `false`") || msg.contains("must be quoted") || msg.contains("literal string") {
        return (
            msg.to_string(),
            Some(
                r#"a value is a "quoted string", a number, true or false, an array [...] or an inline table { ... }"#
                    .into(),
            ),
        );
    }
    (msg.to_string(), None)
}

fn convert_table(t: &DeTable<'_>, _span: Span, diags: &mut Diagnostics) -> Table {
    let mut entries = Vec::with_capacity(t.len());
    for (k, v) in t.iter() {
        let key = Key { name: k.get_ref().to_string(), span: k.span() };
        entries.push((key, convert(v.get_ref(), v.span(), diags)));
    }
    Table { entries }
}

fn convert(v: &DeValue<'_>, span: Span, diags: &mut Diagnostics) -> Node {
    let val = match v {
        DeValue::String(s) => Val::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Val::Int(n),
                Err(_) => {
                    diags
                        .error(Some(span.clone()), "", format!("integer `{digits}` is too large"))
                        .with_help("whole numbers must lie between -9223372036854775808 and 9223372036854775807");
                    Val::Int(0)
                }
            }
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            Val::Float(text.parse::<f64>().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(d) => Val::Datetime(d.to_string()),
        DeValue::Array(a) => Val::Array(a.iter().map(|e| convert(e.get_ref(), e.span(), diags)).collect()),
        DeValue::Table(t) => Val::Table(convert_table(t, span.clone(), diags)),
    };
    Node { span, val }
}
