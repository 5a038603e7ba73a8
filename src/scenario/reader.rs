//! Typed reading of the spanned tree, collecting every problem instead of stopping.
//!
//! Each table is opened with the list of keys it may hold; unknown keys are errors with a
//! "did you mean" suggestion (a typo such as `replicatons` must never be silently ignored).

use super::diag::{Diagnostics, did_you_mean, unsafe_for_terminal};
use super::tree::{Node, Span, Table, Val};
use super::units::{self, TimeUnit};

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Sp<T> {
    pub v: T,
    pub span: Span,
}

impl<T: serde::Serialize> serde::Serialize for Sp<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.v.serialize(s)
    }
}

impl<T> Sp<T> {
    pub fn new(v: T, span: Span) -> Self {
        Sp { v, span }
    }
}

/// A table being read at a key path, e.g. `steps[2]`.
pub struct Obj<'a> {
    pub t: &'a Table,
    pub path: String,
    pub span: Span,
}

impl<'a> Obj<'a> {
    /// Opens a table and reports keys not in `known` (dynamic-key tables pass `None`).
    pub fn open(node: &'a Node, path: &str, known: &[&str], d: &mut Diagnostics) -> Option<Obj<'a>> {
        let Some(t) = node.as_table() else {
            d.error(Some(node.span.clone()), path, format!("expected a table, found {}", node.type_name()));
            return None;
        };
        let obj = Obj { t, path: path.to_string(), span: node.span.clone() };
        obj.check_keys(known, d);
        Some(obj)
    }

    pub fn root(t: &'a Table, known: &[&str], d: &mut Diagnostics) -> Obj<'a> {
        let obj = Obj { t, path: String::new(), span: 0..0 };
        obj.check_keys(known, d);
        obj
    }

    pub fn check_keys(&self, known: &[&str], d: &mut Diagnostics) {
        for (k, _) in &self.t.entries {
            if !known.contains(&k.name.as_str()) {
                let what = if self.path.is_empty() { "top level".to_string() } else { format!("`{}`", self.path) };
                d.error(Some(k.span.clone()), self.key(&k.name), format!("unknown key `{}` in {what}", k.name))
                    .with_help(did_you_mean(&k.name, known));
            }
        }
    }

    pub fn key(&self, name: &str) -> String {
        if self.path.is_empty() { name.to_string() } else { format!("{}.{name}", self.path) }
    }

    pub fn get(&self, name: &str) -> Option<&'a Node> {
        self.t.get(name)
    }

    /// Span of a key's value, or of the table when the key is absent.
    pub fn span_of(&self, name: &str) -> Span {
        self.get(name).map_or(self.span.clone(), |n| n.span.clone())
    }

    fn wrong_type(&self, n: &Node, key: &str, expected: &str, d: &mut Diagnostics) {
        d.error(Some(n.span.clone()), self.key(key), format!("expected {expected}, found {}", n.type_name()));
    }

    pub fn missing(&self, key: &str, expected: &str, d: &mut Diagnostics) {
        let what = if self.path.is_empty() { "the scenario".to_string() } else { format!("`{}`", self.path) };
        // A key missing at the top level has no place in the file to point at.
        let span = (!self.path.is_empty()).then(|| self.span.clone());
        d.error(span, self.key(key), format!("missing key `{key}` in {what}: expected {expected}"));
    }

    pub fn str(&self, key: &str, d: &mut Diagnostics) -> Option<Sp<String>> {
        let n = self.get(key)?;
        match &n.val {
            Val::Str(s) if key == "name" && !name_ok(s, &n.span, &self.key(key), d) => None,
            Val::Str(s) => Some(Sp::new(s.clone(), n.span.clone())),
            _ => {
                self.wrong_type(n, key, "a string", d);
                None
            }
        }
    }

    pub fn req_str(&self, key: &str, d: &mut Diagnostics) -> Option<Sp<String>> {
        if self.get(key).is_none() {
            self.missing(key, "a string", d);
            return None;
        }
        self.str(key, d)
    }

    /// A non-empty name.
    pub fn name(&self, key: &str, d: &mut Diagnostics) -> Option<Sp<String>> {
        let s = self.req_str(key, d)?;
        if s.v.trim().is_empty() {
            d.error(Some(s.span.clone()), self.key(key), "a name must not be empty");
            return None;
        }
        Some(s)
    }

    pub fn int(&self, key: &str, min: i64, max: i64, d: &mut Diagnostics) -> Option<Sp<i64>> {
        let n = self.get(key)?;
        int_value(n, &self.key(key), min, max, d)
    }

    pub fn float(&self, key: &str, d: &mut Diagnostics) -> Option<Sp<f64>> {
        let n = self.get(key)?;
        match n.as_f64() {
            Some(f) if f.is_finite() => Some(Sp::new(f, n.span.clone())),
            Some(_) => {
                d.error(Some(n.span.clone()), self.key(key), "expected a finite number");
                None
            }
            None => {
                self.wrong_type(n, key, "a number", d);
                None
            }
        }
    }

    pub fn bool(&self, key: &str, d: &mut Diagnostics) -> Option<Sp<bool>> {
        let n = self.get(key)?;
        match &n.val {
            Val::Bool(b) => Some(Sp::new(*b, n.span.clone())),
            _ => {
                self.wrong_type(n, key, "true or false", d);
                None
            }
        }
    }

    pub fn duration(&self, key: &str, unit: TimeUnit, d: &mut Diagnostics) -> Option<Sp<f64>> {
        let n = self.get(key)?;
        duration_value(n, &self.key(key), unit, d)
    }

    pub fn rate(&self, key: &str, unit: TimeUnit, d: &mut Diagnostics) -> Option<Sp<f64>> {
        let n = self.get(key)?;
        rate_value(n, &self.key(key), unit, d)
    }

    pub fn array(&self, key: &str, d: &mut Diagnostics) -> Option<&'a [Node]> {
        let n = self.get(key)?;
        match &n.val {
            Val::Array(a) => Some(a),
            _ => {
                self.wrong_type(n, key, "an array", d);
                None
            }
        }
    }

    /// A table with free-form keys (e.g. `service_for.<customer>`).
    pub fn map(&self, key: &str, d: &mut Diagnostics) -> Option<&'a Table> {
        let n = self.get(key)?;
        match &n.val {
            Val::Table(t) => Some(t),
            _ => {
                self.wrong_type(n, key, "a table keyed by name", d);
                None
            }
        }
    }
}

/// Names reach terminals, file names, charts and reports: no control characters (an escape
/// sequence could rewrite the terminal of whoever runs the file) and no bidirectional controls
/// (they reorder what follows on screen). Reports the problem and returns false.
pub fn name_ok(s: &str, span: &Span, key: &str, d: &mut Diagnostics) -> bool {
    let Some(c) = s.chars().find(|&c| unsafe_for_terminal(c)) else {
        return true;
    };
    let what = if c.is_control() { "control characters" } else { "bidirectional control characters" };
    d.error(Some(span.clone()), key, format!("a name must not contain {what} (found U+{:04X})", u32::from(c)))
        .with_help("write names as plain text on one line");
    false
}

pub fn int_value(n: &Node, key: &str, min: i64, max: i64, d: &mut Diagnostics) -> Option<Sp<i64>> {
    let v = match &n.val {
        Val::Int(i) => *i,
        Val::Float(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e15 => *f as i64,
        _ => {
            d.error(Some(n.span.clone()), key, format!("expected a whole number, found {}", n.type_name()));
            return None;
        }
    };
    if v < min || v > max {
        d.error(Some(n.span.clone()), key, format!("{v} is out of range: expected a whole number from {min} to {max}"));
        return None;
    }
    Some(Sp::new(v, n.span.clone()))
}

pub fn duration_value(n: &Node, key: &str, unit: TimeUnit, d: &mut Diagnostics) -> Option<Sp<f64>> {
    let r = match &n.val {
        Val::Str(s) => units::parse_duration(s),
        Val::Int(_) | Val::Float(_) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            units::check_duration(x * unit.minutes(), &number(x))
        }
        _ => Err(format!("expected a duration such as \"5min\", found {}", n.type_name())),
    };
    match r {
        Ok(m) => Some(Sp::new(m, n.span.clone())),
        Err(e) => {
            d.error(Some(n.span.clone()), key, e);
            None
        }
    }
}

pub fn rate_value(n: &Node, key: &str, unit: TimeUnit, d: &mut Diagnostics) -> Option<Sp<f64>> {
    let r = match &n.val {
        Val::Str(s) => units::parse_rate(s),
        Val::Int(_) | Val::Float(_) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            units::check_rate(x / unit.minutes(), &number(x))
        }
        _ => Err(format!("expected a rate such as \"90/h\", found {}", n.type_name())),
    };
    match r {
        Ok(m) => Some(Sp::new(m, n.span.clone())),
        Err(e) => {
            d.error(Some(n.span.clone()), key, e);
            None
        }
    }
}

/// A number as a planner wrote it: `1e300`, not three hundred digits.
pub fn number(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e15 || x.abs() < 1e-6) { format!("{x:e}") } else { x.to_string() }
}
