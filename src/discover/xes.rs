//! XES event logs (IEEE 1849), streamed trace by trace with quick-xml.
//!
//! Only the current trace's events are held while it is read; `lifecycle:transition` start
//! and complete events of one activity are paired in order (a complete without a start is an
//! instant). Positions are byte offsets while reading and are turned into line numbers for
//! the messy-data examples at the end (one extra pass over the bytes, only for those).

use std::io::{BufRead, BufReader};
use std::path::Path;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as Xml};

use super::log::{Event, EventLog, NONE, Problem};
use super::rows::CaseKey;
use super::time;

#[derive(Default)]
struct Raw {
    activity: String,
    resource: String,
    timestamp: String,
    transition: String,
    offset: u64,
}

fn key_value(e: &BytesStart) -> (String, String) {
    let mut k = String::new();
    let mut v = String::new();
    for a in e.attributes().flatten() {
        let val = a.normalized_value(XmlVersion::Implicit1_0).map(|c| c.into_owned()).unwrap_or_default();
        match a.key.as_ref() {
            b"key" => k = val,
            b"value" => v = val,
            _ => {}
        }
    }
    (k, v)
}

fn is_type_key(k: &str, wanted: Option<&str>) -> bool {
    match wanted {
        Some(w) => k == w,
        None => {
            let n: String = k.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
            matches!(n.as_str(), "customertype" | "casetype" | "segment" | "channel" | "customersegment")
        }
    }
}

/// Reads an XES file. `type_key` names the trace attribute giving the customer type.
pub fn read(path: &Path, type_key: Option<&str>) -> Result<EventLog, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(file));
    reader.config_mut().trim_text(true);
    let mut log = EventLog::default();
    let mut buf = Vec::new();
    let mut in_trace = false;
    let mut depth_in_event = 0usize;
    let mut trace_name = String::new();
    let mut trace_type = String::new();
    let mut raws: Vec<Raw> = Vec::new();
    let mut cur = Raw::default();
    let mut anonymous = 0u64;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("{}: byte {}: not valid XML: {e}", path.display(), reader.error_position()))?;
        match ev {
            Xml::Start(e) => match e.local_name().as_ref() {
                b"trace" => {
                    in_trace = true;
                    trace_name.clear();
                    trace_type.clear();
                    raws.clear();
                }
                b"event" if in_trace => {
                    depth_in_event = 1;
                    cur = Raw { offset: pos, ..Default::default() };
                }
                _ if depth_in_event > 0 => {
                    let (k, v) = key_value(&e);
                    attribute(&mut cur, &k, v);
                    depth_in_event += 1;
                }
                _ => {}
            },
            Xml::Empty(e) => {
                let (k, v) = key_value(&e);
                if depth_in_event > 0 {
                    attribute(&mut cur, &k, v);
                } else if in_trace {
                    if k == "concept:name" {
                        trace_name = v;
                    } else if is_type_key(&k, type_key) {
                        if log.type_attribute.is_none() {
                            log.type_attribute = Some(k);
                        }
                        trace_type = v;
                    }
                }
            }
            Xml::End(e) => match e.local_name().as_ref() {
                b"event" if depth_in_event > 0 => {
                    depth_in_event = 0;
                    raws.push(std::mem::take(&mut cur));
                }
                b"trace" if in_trace => {
                    in_trace = false;
                    if trace_name.is_empty() {
                        anonymous += 1;
                        trace_name = format!("trace-{anonymous}");
                    }
                    flush_trace(&mut log, &trace_name, &trace_type, &mut raws);
                }
                _ if depth_in_event > 1 => depth_in_event -= 1,
                _ => {}
            },
            Xml::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    log.finish();
    offsets_to_lines(path, &mut log)?;
    Ok(log)
}

fn attribute(cur: &mut Raw, k: &str, v: String) {
    match k {
        "concept:name" => cur.activity = v,
        "org:resource" => cur.resource = v,
        "time:timestamp" => cur.timestamp = v,
        "lifecycle:transition" => cur.transition = v.to_lowercase(),
        _ => {}
    }
}

/// Pairs the starts and completes of one trace into events.
fn flush_trace(log: &mut EventLog, name: &str, ctype: &str, raws: &mut Vec<Raw>) {
    let case = CaseKey::of(name);
    let ctype = if ctype.is_empty() { NONE } else { log.types.get(ctype) };
    // The trace is a case even if none of its events is usable.
    let first = raws.first().map_or(0, |r| r.offset);
    log.rows.case(case, ctype, f64::NAN, first);
    // Open starts: (activity, resource, time, offset), matched first-in first-out.
    let mut open: Vec<(String, String, f64, u64)> = Vec::new();
    for r in raws.drain(..) {
        let line = r.offset.min(u64::from(u32::MAX - 1));
        if r.activity.is_empty() {
            log.issues.note(Problem::MissingField, line);
            continue;
        }
        let Some(t) = time::parse(&r.timestamp) else {
            log.issues.note(Problem::BadTimestamp, line);
            continue;
        };
        match r.transition.as_str() {
            "start" => open.push((r.activity, r.resource, t, line)),
            "complete" | "" => {
                let start = open
                    .iter()
                    .position(|o| o.0 == r.activity && (o.1 == r.resource || r.resource.is_empty() || o.1.is_empty()))
                    .map(|i| open.remove(i));
                let (s, res, sline) = match start {
                    Some((_, res, s, l)) => (s, if r.resource.is_empty() { res } else { r.resource }, l),
                    None => (t, r.resource, line),
                };
                if t < s {
                    log.issues.note(Problem::EndBeforeStart, line);
                    continue;
                }
                let ev = Event {
                    case: 0,
                    activity: log.activities.get(&r.activity),
                    resource: if res.is_empty() { NONE } else { log.resources.get(&res) },
                    start: s,
                    end: t,
                    enable: f64::NAN,
                    left: super::log::Left::No,
                    line: sline as u32,
                    ctype,
                    arrival: f64::NAN,
                };
                log.rows.visit(case, ev);
            }
            _ => {}
        }
    }
    // Starts never completed: the case is unfinished.
    for (a, res, s, line) in open {
        log.issues.note(Problem::MissingEnd, line);
        let ev = Event {
            case: 0,
            activity: log.activities.get(&a),
            resource: if res.is_empty() { NONE } else { log.resources.get(&res) },
            start: s,
            end: f64::NAN,
            enable: f64::NAN,
            left: super::log::Left::No,
            line: line as u32,
            ctype,
            arrival: f64::NAN,
        };
        log.rows.visit(case, ev);
    }
}

/// Replaces the byte offsets kept as examples by line numbers.
fn offsets_to_lines(path: &Path, log: &mut EventLog) -> Result<(), String> {
    let mut wanted: Vec<u64> = log.issues.counts.values().flat_map(|(_, ex)| ex.iter().copied()).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort_unstable();
    let file = std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut r = BufReader::new(file);
    let mut map = std::collections::HashMap::new();
    let (mut offset, mut line, mut next) = (0u64, 1u64, 0usize);
    loop {
        let chunk = r.fill_buf().map_err(|e| format!("{}: {e}", path.display()))?;
        if chunk.is_empty() || next == wanted.len() {
            break;
        }
        let n = chunk.len();
        for &b in chunk {
            while next < wanted.len() && wanted[next] <= offset {
                map.insert(wanted[next], line);
                next += 1;
            }
            if b == b'\n' {
                line += 1;
            }
            offset += 1;
        }
        r.consume(n);
    }
    for (_, ex) in log.issues.counts.values_mut() {
        for v in ex.iter_mut() {
            *v = map.get(v).copied().unwrap_or(line);
        }
    }
    Ok(())
}
