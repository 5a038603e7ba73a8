//! Parameter sweeps: the grid of all combinations of `--set PATH=VALUES`, each point a full
//! Monte Carlo run of the baseline with the same seed (common random numbers across points).
//!
//! A point is made by editing the parsed document and compiling it like any scenario, so a
//! sweep point is exactly the scenario a user would get by writing the values into the file.

use crate::scenario::diag::did_you_mean;
use crate::scenario::tree::{Key, Node, Table, Val};

/// One swept parameter: a path such as `resources.teller.staff` and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub path: String,
    pub values: Vec<String>,
}

impl Param {
    /// Parses `PATH=2..6`, `PATH=0.8,1.0,1.2` or `PATH=3min,4min`.
    pub fn parse(s: &str) -> Result<Param, String> {
        let (path, vals) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected PATH=VALUES, e.g. resources.teller.staff=2..6"))?;
        let vals = vals.trim();
        let values: Vec<String> = if let Some((a, b)) = vals.split_once("..") {
            let signed = a.trim().starts_with('+') || b.trim().starts_with('+');
            let (a, b): (i64, i64) = match (a.trim().parse(), b.trim().parse()) {
                (Ok(a), Ok(b)) => (a, b),
                _ => return Err(format!("`{vals}`: a range is two whole numbers, e.g. 2..6")),
            };
            if b < a || b - a > 1000 {
                return Err(format!("`{vals}`: the range must go upwards and have at most 1001 values"));
            }
            // `+0..+2` (or a negative start) shifts a value, e.g. a staff schedule at every
            // interval: the sign is kept so that `apply` can tell a shift from a constant.
            let relative = signed || a < 0;
            (a..=b).map(|x| if relative { format!("{x:+}") } else { x.to_string() }).collect()
        } else {
            vals.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
        };
        if values.is_empty() {
            return Err(format!("`{s}`: no values to sweep"));
        }
        Ok(Param { path: path.trim().to_string(), values })
    }
}

/// All combinations, first parameter varying slowest.
pub fn grid(params: &[Param]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for p in params {
        let mut next = Vec::new();
        for prefix in &out {
            for v in &p.values {
                let mut row = prefix.clone();
                row.push(v.clone());
                next.push(row);
            }
        }
        out = next;
    }
    out
}

const SECTIONS: &[&str] = &["resources", "steps", "customers", "arrivals"];
const NUMERIC_KEYS: &[(&str, &[&str])] = &[
    ("resources", &["staff", "cost_per_hour"]),
    ("steps", &[]),
    ("customers", &["priority", "balk_at", "rate_scale"]),
    ("arrivals", &["rate", "scale"]),
];

fn entry_name<'a>(section: &str, t: &'a Table) -> Option<&'a str> {
    t.get("name")
        .and_then(Node::as_str)
        .or_else(|| if section == "arrivals" { t.get("customer").and_then(Node::as_str) } else { None })
}

/// Every path that can be swept in this document (numeric keys, including nested ones such
/// as `steps.teller.service.mean`).
pub fn valid_paths(root: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for &sec in SECTIONS {
        let Some(Val::Array(items)) = root.get(sec).map(|n| &n.val) else { continue };
        let extra: &[&str] = NUMERIC_KEYS.iter().find(|(s, _)| *s == sec).map_or(&[], |(_, k)| k);
        for it in items {
            let Some(t) = it.as_table() else { continue };
            let Some(name) = entry_name(sec, t) else { continue };
            let mut keys: Vec<String> = extra.iter().map(|k| k.to_string()).collect();
            collect_numeric(t, "", &mut keys);
            keys.dedup();
            for k in keys {
                let p = format!("{sec}.{name}.{k}");
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

fn collect_numeric(t: &Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in &t.entries {
        let path = if prefix.is_empty() { k.name.clone() } else { format!("{prefix}.{}", k.name) };
        match &v.val {
            Val::Int(_) | Val::Float(_) => out.push(path),
            Val::Str(s) if s.starts_with(|c: char| c.is_ascii_digit() || c == '.') => out.push(path),
            Val::Table(inner) => collect_numeric(inner, &path, out),
            _ => {}
        }
    }
}

fn value_node(v: &str, span: std::ops::Range<usize>) -> Node {
    let val = if let Ok(i) = v.parse::<i64>() {
        Val::Int(i)
    } else if let Ok(f) = v.parse::<f64>() {
        Val::Float(f)
    } else {
        Val::Str(v.to_string())
    };
    Node { span, val }
}

/// Sets `path` to `value` in a copy of the document.
pub fn apply(root: &Table, path: &str, value: &str) -> Result<Table, String> {
    let mut doc = root.clone();
    let bad = |doc: &Table| {
        let valid = valid_paths(doc);
        let refs: Vec<&str> = valid.iter().map(String::as_str).collect();
        format!("cannot sweep `{path}`: {}; valid paths: {}", did_you_mean(path, &refs), valid.join(", "))
    };
    let mut parts = path.splitn(3, '.');
    let (Some(sec), Some(name), Some(key)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad(&doc)) };
    if !SECTIONS.contains(&sec) {
        return Err(bad(&doc));
    }
    if sec == "customers" && key == "rate_scale" {
        let f: f64 = value.parse().map_err(|_| format!("`{value}` is not a number for {path}"))?;
        let mut found = false;
        if let Some(Val::Array(items)) = doc.get_mut("arrivals").map(|n| &mut n.val) {
            for it in items.iter_mut() {
                if let Val::Table(t) = &mut it.val
                    && t.get("customer").and_then(Node::as_str) == Some(name)
                {
                    let old = t.get("scale").and_then(Node::as_f64).unwrap_or(1.0);
                    let span = it.span.clone();
                    t.set(Key { name: "scale".into(), span: span.clone() }, Node { span, val: Val::Float(old * f) });
                    found = true;
                }
            }
        }
        return if found { Ok(doc) } else { Err(bad(root)) };
    }
    let Some(Val::Array(items)) = doc.get_mut(sec).map(|n| &mut n.val) else { return Err(bad(root)) };
    let Some(item) = items.iter_mut().find(|n| n.as_table().and_then(|t| entry_name(sec, t)) == Some(name)) else {
        return Err(bad(root));
    };
    let span = item.span.clone();
    let Val::Table(mut t) = std::mem::replace(&mut item.val, Val::Bool(false)) else { return Err(bad(root)) };
    if sec == "resources" && key == "staff" {
        let r = shift_staff(&mut t, path, value, span.clone());
        item.val = Val::Table(t);
        return r.map(|()| doc);
    }
    let keys: Vec<&str> = key.split('.').collect();
    let ok = set_nested(&mut t, &keys, value, span.clone(), sec);
    item.val = Val::Table(t);
    if ok { Ok(doc) } else { Err(bad(root)) }
}

/// Sets a resource's staff. A signed value (`+1`, `-1`) shifts the staff at every interval of
/// a schedule (never below zero); a plain number replaces a constant staff but is refused for
/// a schedule, which it would silently flatten (the lunch dip would disappear).
fn shift_staff(t: &mut Table, path: &str, value: &str, span: std::ops::Range<usize>) -> Result<(), String> {
    let v = value.trim();
    let relative = v.starts_with('+') || v.starts_with('-');
    let n: i64 = v.parse().map_err(|_| format!("`{value}` is not a whole number of staff for {path}"))?;
    let current = t.get("staff").map(|n| n.val.clone());
    let new = match current {
        Some(Val::Array(items)) if relative => {
            let mut out = Vec::new();
            for it in items {
                let Val::Int(x) = it.val else {
                    return Err(format!("cannot shift {path}: its schedule holds a value that is not a whole number"));
                };
                out.push(Node { span: span.clone(), val: Val::Int((x + n).max(0)) });
            }
            Val::Array(out)
        }
        Some(Val::Array(items)) => {
            let list: Vec<String> = items.iter().map(|i| i.as_f64().map_or("?".into(), |x| x.to_string())).collect();
            return Err(format!(
                "cannot set {path} to {value}: it is a schedule ({}), and one number would flatten it; sweep a shift of every interval instead, e.g. --set {path}=+0..+2 (adds 0, 1 and 2 staff at each interval)",
                list.join(", ")
            ));
        }
        Some(Val::Int(x)) if relative => Val::Int((x + n).max(0)),
        None if relative => return Err(format!("cannot shift {path}: the resource has no staff to shift")),
        Some(Val::Int(_)) | None => Val::Int(n),
        Some(_) => {
            return Err(format!(
                "cannot sweep {path}: its staff is not a number or a schedule of numbers (a calendar or shifts table); edit the file or use a variant"
            ));
        }
    };
    t.set(Key { name: "staff".into(), span: span.clone() }, Node { span, val: new });
    Ok(())
}

fn set_nested(t: &mut Table, keys: &[&str], value: &str, span: std::ops::Range<usize>, sec: &str) -> bool {
    match keys {
        [] => false,
        [k] => {
            let allowed = NUMERIC_KEYS.iter().any(|(s, ks)| *s == sec && ks.contains(k)) || t.get(k).is_some();
            if !allowed {
                return false;
            }
            if sec == "resources" && *k == "staff" {
                t.remove("interval");
            }
            if sec == "arrivals" && *k == "rate" {
                t.remove("rates");
                t.remove("interval");
            }
            t.set(Key { name: k.to_string(), span: span.clone() }, value_node(value, span));
            true
        }
        [k, rest @ ..] => match t.get_mut(k).map(|n| &mut n.val) {
            Some(Val::Table(inner)) => set_nested(inner, rest, value, span, sec),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_schedule_is_shifted_or_refused_never_flattened() {
        let text = "[[resources]]\nname = \"teller\"\ninterval = \"1h\"\nstaff = [4, 4, 3, 3, 4]\n[[resources]]\nname = \"advisor\"\nstaff = 2\n";
        let root = crate::scenario::tree::parse(text, &mut crate::scenario::Diagnostics::default()).unwrap();
        let err = apply(&root, "resources.teller.staff", "5").unwrap_err();
        assert!(err.contains("schedule (4, 4, 3, 3, 4)") && err.contains("=+0..+2"), "{err}");
        let doc = apply(&root, "resources.teller.staff", "+1").unwrap();
        let staff = |doc: &Table, i: usize| match &doc.get("resources").unwrap().val {
            Val::Array(a) => a[i].as_table().unwrap().get("staff").unwrap().val.clone(),
            _ => unreachable!(),
        };
        let Val::Array(a) = staff(&doc, 0) else { panic!("flattened") };
        assert_eq!(a.iter().map(|n| n.as_f64().unwrap()).collect::<Vec<_>>(), vec![5.0, 5.0, 4.0, 4.0, 5.0]);
        let t0 = match &doc.get("resources").unwrap().val {
            Val::Array(a) => a[0].as_table().unwrap().get("interval").is_some(),
            _ => false,
        };
        assert!(t0, "the interval of the schedule is kept");
        assert!(matches!(staff(&apply(&root, "resources.advisor.staff", "3").unwrap(), 1), Val::Int(3)));
        assert!(matches!(staff(&apply(&root, "resources.advisor.staff", "-5").unwrap(), 1), Val::Int(0)));
        assert_eq!(Param::parse("resources.teller.staff=+0..+2").unwrap().values, vec!["+0", "+1", "+2"]);
        assert_eq!(Param::parse("resources.teller.staff=2..4").unwrap().values, vec!["2", "3", "4"]);
    }

    #[test]
    fn parses_ranges_and_lists() {
        assert_eq!(
            Param::parse("resources.teller.staff=2..4").map(|p| p.values),
            Ok(vec!["2".into(), "3".into(), "4".into()])
        );
        assert_eq!(
            Param::parse("customers.retail.rate_scale=0.8, 1.2").map(|p| p.values),
            Ok(vec!["0.8".into(), "1.2".into()])
        );
        assert!(Param::parse("x=5..2").is_err());
        assert!(Param::parse("nothing").is_err());
        assert_eq!(
            grid(&[
                Param { path: "a".into(), values: vec!["1".into(), "2".into()] },
                Param { path: "b".into(), values: vec!["x".into(), "y".into()] }
            ])
            .len(),
            4
        );
    }
}
