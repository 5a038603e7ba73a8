//! Size limits of a scenario, checked on the parsed document before anything is compiled.
//!
//! A bank branch or back-office process has tens of steps and a handful of customer types.
//! Validation (routing traffic equations per customer type, reachability) and the engine's
//! per-resource queues grow faster than linearly with these counts, so an absurd file (made
//! by a script gone wrong, or on purpose) could otherwise take minutes and gigabytes before
//! it is even rejected. The limits are far above any real study and are documented in
//! scenarios/README.md.

use super::diag::Diagnostics;
use super::tree::{Table, Val};

/// (section, most entries, what they are): baseline entries and variant additions together.
pub const LIMITS: &[(&str, usize, &str)] = &[
    ("customers", 30, "customer types"),
    ("arrivals", 200, "arrival streams"),
    ("resources", 200, "resources"),
    ("steps", 200, "steps"),
    ("variants", 30, "variants"),
];

/// Most entries in one routing list (`next` or `next_for.<type>`).
pub const MAX_ROUTES: usize = 50;

/// Reports every section with more entries than its limit (counting the tables variants add
/// or change, an upper bound of what any merged variant can hold).
pub fn check(root: &Table, d: &mut Diagnostics) {
    let variants = root.get("variants").and_then(|n| match &n.val {
        Val::Array(a) => Some(a.as_slice()),
        _ => None,
    });
    for &(section, max, what) in LIMITS {
        let mut seen = 0usize;
        let mut first_over = None;
        let mut count = |node: Option<&super::tree::Node>| {
            if let Some(Val::Array(items)) = node.map(|n| &n.val) {
                for it in items {
                    seen += 1;
                    if seen == max + 1 {
                        first_over = Some(it.span.clone());
                    }
                }
            }
        };
        count(root.get(section));
        if section != "variants" {
            for v in variants.unwrap_or(&[]) {
                if let Some(t) = v.as_table() {
                    count(t.get(section));
                }
            }
        }
        if seen > max {
            let in_variants = if section == "variants" { "" } else { " (variants included)" };
            d.error(first_over, section, format!("the scenario has {seen} {what}{in_variants}; at most {max} are supported"))
                .with_help(format!(
                    "branchsim is made for branches and processes of up to {}; split a larger process into several scenario files",
                    LIMITS.iter().map(|(_, m, w)| format!("{m} {w}")).collect::<Vec<_>>().join(", ")
                ));
        }
    }
    for step in tables(root.get("steps"))
        .chain(variants.unwrap_or(&[]).iter().flat_map(|v| tables(v.as_table().and_then(|t| t.get("steps")))))
    {
        let mut lists: Vec<&super::tree::Node> = step.get("next").into_iter().collect();
        if let Some(Val::Table(per_type)) = step.get("next_for").map(|n| &n.val) {
            lists.extend(per_type.entries.iter().map(|(_, n)| n));
        }
        for l in lists {
            if let Val::Array(items) = &l.val {
                if items.len() > MAX_ROUTES {
                    d.error(
                        Some(l.span.clone()),
                        "",
                        format!("a routing list has {} entries; at most {MAX_ROUTES} are supported", items.len()),
                    )
                    .with_help("a step sends customers on to at most 50 other steps");
                }
            }
        }
    }
}

/// The tables of an array-of-tables node (nothing for anything else).
fn tables(node: Option<&super::tree::Node>) -> impl Iterator<Item = &Table> {
    let items: &[super::tree::Node] = match node.map(|n| &n.val) {
        Some(Val::Array(a)) => a,
        _ => &[],
    };
    items.iter().filter_map(|n| n.as_table())
}
