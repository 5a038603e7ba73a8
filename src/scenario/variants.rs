//! Variants: each redesign is written as a small difference from the baseline.
//!
//! Merging happens on the spanned tree, before the merged document is read and compiled like
//! any scenario, so a variant is checked as a full scenario and its errors point at the lines
//! the user wrote. A table with the name of a baseline table replaces only the keys it gives;
//! a new name adds a table; `remove_*` lists delete; `arrival_scale` scales a customer type's
//! arrival rates.

use super::diag::{Diagnostics, did_you_mean};
use super::reader::Obj;
use super::schema::tables;
use super::tree::{Key, Node, Table, Val};

pub const VARIANT_KEYS: &[&str] = &[
    "name",
    "description",
    "customers",
    "arrivals",
    "resources",
    "steps",
    "remove_steps",
    "remove_customers",
    "remove_arrivals",
    "arrival_scale",
    "channel_shift",
];
pub const CHANNEL_SHIFT_KEYS: &[&str] = &["customer", "from", "to", "share"];

/// A variant's merged document and what the engine must know beyond the document.
pub struct VariantDoc {
    pub name: String,
    pub description: String,
    pub table: Table,
    /// Steps removed by the variant: they stay in the model as zero-time pass-throughs so
    /// that routes into them go on to where the step would have sent the customer.
    pub removed_steps: Vec<String>,
}

/// Reads `[[variants]]` and builds each variant's merged document.
pub fn build(root: &Table, d: &mut Diagnostics) -> Vec<VariantDoc> {
    let top = Obj { t: root, path: String::new(), span: 0..0 };
    let mut base = root.clone();
    base.remove("variants");
    base.remove("expect");
    let mut out: Vec<VariantDoc> = Vec::new();
    for (vn, path) in tables(&top, "variants", d) {
        let Some(v) = Obj::open(vn, &path, VARIANT_KEYS, d) else {
            continue;
        };
        let Some(name) = v.name("name", d) else {
            continue;
        };
        if name.v == "baseline" {
            d.error(
                Some(name.span.clone()),
                v.key("name"),
                "`baseline` is the name of the scenario without changes; choose another variant name",
            );
            continue;
        }
        if out.iter().any(|o| o.name == name.v) {
            d.error(Some(name.span.clone()), v.key("name"), format!("duplicate variant name `{}`", name.v));
            continue;
        }
        let description = v.str("description", d).map(|s| s.v).unwrap_or_default();
        let mut doc = base.clone();
        for section in ["customers", "arrivals", "resources", "steps"] {
            for (tn, tpath) in tables(&v, section, d) {
                merge_named(&mut doc, section, tn, &tpath, d);
            }
        }
        let mut removed_steps = Vec::new();
        for (key, section) in
            [("remove_steps", "steps"), ("remove_customers", "customers"), ("remove_arrivals", "arrivals")]
        {
            let Some(arr) = v.array(key, d) else { continue };
            for (i, item) in arr.iter().enumerate() {
                let Some(target) = item.as_str() else {
                    d.error(
                        Some(item.span.clone()),
                        format!("{}[{i}]", v.key(key)),
                        format!("expected a name, found {}", item.type_name()),
                    );
                    continue;
                };
                let names = section_names(&doc, section);
                if !names.iter().any(|n| n == target) {
                    let cands: Vec<&str> = names.iter().map(String::as_str).collect();
                    d.error(
                        Some(item.span.clone()),
                        format!("{}[{i}]", v.key(key)),
                        format!("cannot remove unknown {} `{target}`", singular(section)),
                    )
                    .with_help(did_you_mean(target, &cands));
                    continue;
                }
                if section == "steps" {
                    removed_steps.push(target.to_string());
                } else {
                    remove_named(&mut doc, section, target);
                    if section == "customers" {
                        strip_customer_overrides(&mut doc, target);
                        // Arrival streams of a removed customer type go with it.
                        retain_arrivals(&mut doc, |a| a.get("customer").and_then(Node::as_str) != Some(target));
                    }
                }
            }
        }
        if let Some(scales) = v.map("arrival_scale", d) {
            for (k, factor) in &scales.entries {
                let Some(f) = factor.as_f64().filter(|f| f.is_finite() && *f >= 0.0) else {
                    d.error(
                        Some(factor.span.clone()),
                        format!("{}.arrival_scale.{}", v.key(""), k.name).replace("..", "."),
                        "expected a number >= 0",
                    );
                    continue;
                };
                let names = section_names(&doc, "customers");
                if !names.contains(&k.name) {
                    let cands: Vec<&str> = names.iter().map(String::as_str).collect();
                    d.error(
                        Some(k.span.clone()),
                        format!("{}.arrival_scale", v.path),
                        format!("unknown customer type `{}`", k.name),
                    )
                    .with_help(did_you_mean(&k.name, &cands));
                    continue;
                }
                scale_arrivals(&mut doc, &k.name, f, factor);
            }
        }
        if let Some(arr) = v.array("channel_shift", d) {
            for (i, item) in arr.iter().enumerate() {
                let path = format!("{}[{i}]", v.key("channel_shift"));
                let Some(o) = Obj::open(item, &path, CHANNEL_SHIFT_KEYS, d) else { continue };
                let (Some(c), Some(from), Some(to)) =
                    (o.req_str("customer", d), o.req_str("from", d), o.req_str("to", d))
                else {
                    continue;
                };
                let share = match o.float("share", d) {
                    Some(sh) if (0.0..=1.0).contains(&sh.v) => sh.v,
                    Some(sh) => {
                        d.error(Some(sh.span.clone()), o.key("share"), format!("share {} is outside [0, 1]", sh.v));
                        continue;
                    }
                    None => {
                        if o.get("share").is_none() {
                            o.missing("share", "the share of the demand that moves, from 0 to 1", d);
                        }
                        continue;
                    }
                };
                if !shift_channel(&mut doc, &c.v, &from.v, &to.v, share, item) {
                    d.error(
                        Some(item.span.clone()),
                        path,
                        format!("no arrival stream of customer type `{}` comes through channel `{}`", c.v, from.v),
                    )
                    .with_help(
                        "a channel shift moves demand between arrival streams that name `customer` and `channel`",
                    );
                }
            }
        }
        out.push(VariantDoc { name: name.v, description, table: doc, removed_steps });
    }
    out
}

fn singular(section: &str) -> &str {
    match section {
        "customers" => "customer type",
        "arrivals" => "arrival stream",
        "resources" => "resource",
        _ => "step",
    }
}

/// Name of a table in a section; arrival streams default to their customer's name.
fn entry_name<'a>(section: &str, t: &'a Table) -> Option<&'a str> {
    t.get("name")
        .and_then(Node::as_str)
        .or_else(|| if section == "arrivals" { t.get("customer").and_then(Node::as_str) } else { None })
}

fn section_names(doc: &Table, section: &str) -> Vec<String> {
    match doc.get(section).map(|n| &n.val) {
        Some(Val::Array(a)) => {
            a.iter().filter_map(|n| n.as_table().and_then(|t| entry_name(section, t)).map(str::to_string)).collect()
        }
        _ => Vec::new(),
    }
}

fn section_mut<'a>(doc: &'a mut Table, section: &str, span: &std::ops::Range<usize>) -> Option<&'a mut Vec<Node>> {
    if doc.get(section).is_none() {
        doc.set(
            Key { name: section.to_string(), span: span.clone() },
            Node { span: span.clone(), val: Val::Array(Vec::new()) },
        );
    }
    match doc.get_mut(section).map(|n| &mut n.val) {
        Some(Val::Array(a)) => Some(a),
        _ => None,
    }
}

fn merge_named(doc: &mut Table, section: &str, patch: &Node, path: &str, d: &mut Diagnostics) {
    let Some(pt) = patch.as_table() else { return };
    let Some(name) = entry_name(section, pt).map(str::to_string) else {
        d.error(
            Some(patch.span.clone()),
            path,
            format!("a variant's {} entry needs a `name` to say which one it changes or adds", singular(section)),
        );
        return;
    };
    let Some(arr) = section_mut(doc, section, &patch.span) else {
        return;
    };
    let existing = arr.iter_mut().find(|n| n.as_table().and_then(|t| entry_name(section, t)) == Some(name.as_str()));
    match existing {
        Some(node) => {
            if let Val::Table(t) = &mut node.val {
                for (k, v) in &pt.entries {
                    // Replacing a constant staff by a schedule (or back) must not keep a stale interval.
                    if section == "resources" && k.name == "staff" && !matches!(v.val, Val::Array(_)) {
                        t.remove("interval");
                    }
                    // A variant that turns a serial step into a fork (or back) replaces the
                    // routing: `next` and `fork` exclude each other.
                    if section == "steps" && k.name == "fork" {
                        t.remove("next");
                        t.remove("next_for");
                    }
                    if section == "steps" && (k.name == "next" || k.name == "next_for") {
                        t.remove("fork");
                    }
                    if section == "arrivals" && (k.name == "rate" || k.name == "rates") {
                        t.remove("rate");
                        t.remove("rates");
                        if k.name == "rate" {
                            t.remove("interval");
                        }
                    }
                    t.set(k.clone(), v.clone());
                }
            }
        }
        None => arr.push(patch.clone()),
    }
}

fn remove_named(doc: &mut Table, section: &str, name: &str) {
    if let Some(Val::Array(a)) = doc.get_mut(section).map(|n| &mut n.val) {
        a.retain(|n| n.as_table().and_then(|t| entry_name(section, t)) != Some(name));
    }
}

fn retain_arrivals(doc: &mut Table, keep: impl Fn(&Table) -> bool) {
    if let Some(Val::Array(a)) = doc.get_mut("arrivals").map(|n| &mut n.val) {
        a.retain(|n| n.as_table().is_none_or(&keep));
    }
}

fn scale_arrivals(doc: &mut Table, customer: &str, factor: f64, at: &Node) {
    if let Some(Val::Array(a)) = doc.get_mut("arrivals").map(|n| &mut n.val) {
        for n in a.iter_mut() {
            if let Val::Table(t) = &mut n.val
                && t.get("customer").and_then(Node::as_str) == Some(customer)
            {
                let old = t.get("scale").and_then(Node::as_f64).unwrap_or(1.0);
                t.set(
                    Key { name: "scale".into(), span: at.span.clone() },
                    Node { span: at.span.clone(), val: Val::Float(old * factor) },
                );
            }
        }
    }
}

/// A removed customer type takes its per-type service and routing overrides with it.
fn strip_customer_overrides(doc: &mut Table, customer: &str) {
    if let Some(Val::Array(steps)) = doc.get_mut("steps").map(|n| &mut n.val) {
        for st in steps.iter_mut() {
            if let Val::Table(t) = &mut st.val {
                for key in ["service_for", "next_for"] {
                    if let Some(Val::Table(m)) = t.get_mut(key).map(|n| &mut n.val) {
                        m.remove(customer);
                    }
                }
            }
        }
    }
}

/// Moves `share` of the demand of `customer` through channel `from` to channel `to`: each
/// matching stream keeps (1 − share) of its rate and a copy with the rest, renamed and with
/// the target channel (hence its own random stream and the channel's first step), is added.
fn shift_channel(doc: &mut Table, customer: &str, from: &str, to: &str, share: f64, at: &Node) -> bool {
    let Some(Val::Array(a)) = doc.get_mut("arrivals").map(|n| &mut n.val) else { return false };
    let mut added = Vec::new();
    for n in a.iter_mut() {
        let Val::Table(t) = &mut n.val else { continue };
        if t.get("customer").and_then(Node::as_str) != Some(customer)
            || t.get("channel").and_then(Node::as_str) != Some(from)
        {
            continue;
        }
        let old = t.get("scale").and_then(Node::as_f64).unwrap_or(1.0);
        let name = t.get("name").and_then(Node::as_str).map_or_else(|| format!("{customer} ({from})"), str::to_string);
        let key = |k: &str| Key { name: k.into(), span: at.span.clone() };
        let node = |val: Val| Node { span: at.span.clone(), val };
        let mut copy = t.clone();
        t.set(key("scale"), node(Val::Float(old * (1.0 - share))));
        copy.set(key("scale"), node(Val::Float(old * share)));
        copy.set(key("channel"), node(Val::Str(to.to_string())));
        copy.set(key("name"), node(Val::Str(format!("{name} → {to}"))));
        copy.remove("first_step");
        added.push(node(Val::Table(copy)));
    }
    let found = !added.is_empty();
    a.extend(added);
    found
}
