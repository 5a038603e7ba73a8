//! CSV event logs and queue-ticket exports, read row by row.
//!
//! The reader keeps one reusable record and interned names: rows stream through, only the
//! compact `Event` of each is kept (see `log`).

use std::path::Path;

use super::columns::{self, Role};
use super::log::{Event, EventLog, Left, NONE, PatienceObs, Problem};
use super::rows::CaseKey;
use super::time;

/// Column names given on the command line (`None`: recognised from the header).
#[derive(Default, Debug, Clone)]
pub struct Mapping {
    pub case: Option<String>,
    pub activity: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub resource: Option<String>,
    pub enable: Option<String>,
    pub customer_type: Option<String>,
    pub ticket: Option<String>,
    pub service: Option<String>,
    pub issue: Option<String>,
    pub call: Option<String>,
    pub counter: Option<String>,
    pub left: Option<String>,
    pub lifecycle: Option<String>,
}

fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(file);
    let headers = rdr.headers().map_err(|e| format!("{}: line 1: cannot read the header: {e}", path.display()))?;
    let headers: Vec<String> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
    Ok((rdr, headers))
}

/// True if the CSV file's header is a queue-ticket export's.
pub fn looks_like_tickets(path: &Path) -> Result<bool, String> {
    let (_, headers) = open(path)?;
    Ok(columns::is_ticket_header(&headers))
}

fn need(path: &Path, headers: &[String], role: Role, flag: Option<&String>, what: &str) -> Result<usize, String> {
    columns::find(headers, role, flag.map(String::as_str)).map_err(|e| format!("{}: {e}", path.display()))?.ok_or_else(
        || {
            format!(
                "{}: line 1: no {what} column (header: {}); name it with {}",
                path.display(),
                headers.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", "),
                role.flag()
            )
        },
    )
}

fn opt(path: &Path, headers: &[String], role: Role, flag: Option<&String>) -> Result<Option<usize>, String> {
    columns::find(headers, role, flag.map(String::as_str)).map_err(|e| format!("{}: {e}", path.display()))
}

fn field(rec: &csv::StringRecord, i: Option<usize>) -> &str {
    i.and_then(|i| rec.get(i)).unwrap_or("")
}

/// Reads a CSV event log (one row per activity instance with start and end, or one row per
/// completion when only an end column exists).
pub fn read_events(path: &Path, m: &Mapping) -> Result<EventLog, String> {
    let (mut rdr, headers) = open(path)?;
    let case = need(path, &headers, Role::Case, m.case.as_ref(), "case id")?;
    let activity = need(path, &headers, Role::Activity, m.activity.as_ref(), "activity")?;
    let end = opt(path, &headers, Role::End, m.end.as_ref())?;
    let start = opt(path, &headers, Role::Start, m.start.as_ref())?;
    if start.is_none() && end.is_none() {
        return Err(format!(
            "{}: line 1: no start or end time column; name them with --start and --end",
            path.display()
        ));
    }
    let resource = opt(path, &headers, Role::Resource, m.resource.as_ref())?;
    let enable = opt(path, &headers, Role::Enable, m.enable.as_ref())?;
    let ctype = opt(path, &headers, Role::Type, m.customer_type.as_ref())?;
    let lifecycle = opt(path, &headers, Role::Lifecycle, m.lifecycle.as_ref())?;
    let mut log = EventLog { type_attribute: ctype.map(|i| headers[i].clone()), ..Default::default() };
    let mut rec = csv::StringRecord::new();
    // Visits interrupted (`suspend`) and resumed later: (case, activity) → work of the parts so
    // far, the first enable and start times, merged into the row that completes the visit.
    let mut suspended: std::collections::HashMap<(CaseKey, u32), (f64, f64, f64)> = std::collections::HashMap::new();
    while let Some(line) = next_record(&mut rdr, &mut rec, path)? {
        let (c, a) = (field(&rec, Some(case)), field(&rec, Some(activity)));
        if c.is_empty() || a.is_empty() {
            log.issues.note(Problem::MissingField, line);
            continue;
        }
        let life = lifecycle_of(field(&rec, lifecycle));
        if life == Life::Skip {
            continue;
        }
        if life == Life::Unfinished && field(&rec, start).is_empty() {
            // Still waiting when the log ended: an arrival without a visit.
            log.issues.note(Problem::UnfinishedCase, line);
            let ci = CaseKey::of(c);
            let queued = time::parse(field(&rec, enable)).unwrap_or(f64::NAN);
            let ty = type_of(&mut log, field(&rec, ctype));
            log.rows.case(ci, ty, queued, line);
            continue;
        }
        if let Life::Left(how) = life {
            // Gave up or refused to queue: no service, the end time is when the case left.
            let Some(t) = time::parse(field(&rec, end)).or_else(|| time::parse(field(&rec, start))) else {
                log.issues.note(Problem::BadTimestamp, line);
                continue;
            };
            let en = time::parse(field(&rec, enable)).unwrap_or(t);
            let ci = CaseKey::of(c);
            let ty = type_of(&mut log, field(&rec, ctype));
            let event = Event {
                case: 0,
                activity: log.activities.get(a),
                resource: NONE,
                start: t,
                end: t,
                enable: en,
                left: how,
                line: line as u32,
                ctype: ty,
                arrival: f64::NAN,
            };
            // A customer who gave up is a patience observation (typed with her case's type).
            if event.is_patience_observation() {
                log.rows.observed_visit(ci, event);
            } else {
                log.rows.visit(ci, event);
            }
            continue;
        }
        let s_txt = field(&rec, start);
        let e_txt = field(&rec, end);
        let s = time::parse(s_txt);
        let e = time::parse(e_txt);
        if (!s_txt.is_empty() && s.is_none()) || (!e_txt.is_empty() && e.is_none()) {
            log.issues.note(Problem::BadTimestamp, line);
            continue;
        }
        // A log with only completion times: each event is an instant.
        let (s, e) = match (s, e) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => {
                log.issues.note(Problem::MissingEnd, line);
                (s, f64::NAN)
            }
            (None, Some(e)) if start.is_none() => (e, e),
            _ => {
                log.issues.note(Problem::BadTimestamp, line);
                continue;
            }
        };
        if e < s {
            log.issues.note(Problem::EndBeforeStart, line);
            continue;
        }
        if e == s && start.is_some() {
            log.issues.note(Problem::ZeroLength, line);
        }
        let mut en = time::parse(field(&rec, enable)).unwrap_or(f64::NAN);
        let ci = CaseKey::of(c);
        let ty = type_of(&mut log, field(&rec, ctype));
        let ai = log.activities.get(a);
        let r = field(&rec, resource);
        if life == Life::Suspend {
            // The case is known from this row on, even if the visit never completes.
            log.rows.case(ci, ty, f64::NAN, line);
            let part = if e.is_nan() { 0.0 } else { e - s };
            let v = suspended.entry((ci, ai)).or_insert((0.0, en, s));
            v.0 += part;
            if !r.is_empty() {
                let ri = log.resources.get(r);
                log.preempted.insert(ri);
            }
            continue;
        }
        let mut s = s;
        if let Some((work, first_enable, first_start)) = suspended.remove(&(ci, ai)) {
            // One visit from its first start; its working time is the parts' (the
            // interruptions were waiting, not work), kept aside by line.
            log.resumed.insert(line as u32, (work, s));
            (s, en) = (first_start, first_enable);
        }
        let event = Event {
            case: 0,
            activity: ai,
            resource: if r.is_empty() { NONE } else { log.resources.get(r) },
            start: s,
            end: e,
            enable: en,
            left: Left::No,
            line: line as u32,
            ctype: ty,
            arrival: f64::NAN,
        };
        if event.is_patience_observation() {
            // A served visit: the customer was still patient after waiting this long.
            log.rows.observed_visit(ci, event);
        } else {
            log.rows.visit(ci, event);
        }
    }
    log.finish();
    Ok(log)
}

/// The customer type a row's type cell names (`NONE` when empty); a case takes the type of
/// its first row that names one (`rows`).
fn type_of(log: &mut EventLog, text: &str) -> u32 {
    if text.is_empty() { NONE } else { log.types.get(text) }
}

/// What a row's lifecycle value makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// A visit (or its completion): the usual case, and every row of a log without lifecycle.
    Visit,
    /// A part of a visit interrupted by preemption; the visit goes on in a later row.
    Suspend,
    Left(Left),
    /// Still waiting or in service when the log ended.
    Unfinished,
    /// A booked customer who never came, or a transition that is not a visit (`schedule`).
    Skip,
}

fn lifecycle_of(text: &str) -> Life {
    match text.trim().to_ascii_lowercase().as_str() {
        "abandon" | "ate_abort" | "abandoned" | "reneged" | "renege" => Life::Left(Left::Abandoned),
        "balk" | "balked" | "withdraw" => Life::Left(Left::Balked),
        "suspend" | "pi_abort" => Life::Suspend,
        "unfinished" => Life::Unfinished,
        "no_show" | "noshow" | "schedule" | "assign" | "start" | "resume" => Life::Skip,
        _ => Life::Visit,
    }
}

/// Reads a yes/no "left unserved" value.
fn flag(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "served" | "f" => Some(false),
        "1" | "true" | "yes" | "y" | "left" | "abandoned" | "unserved" | "no_show" | "noshow" | "t" => Some(true),
        _ => None,
    }
}

/// Reads a queue-ticket export: each ticket is a case of one visit whose activity is the
/// service type, arriving at the issue time, served from the call to the end by the counter.
/// Tickets that left unserved feed the patience estimate (served ones as censored waits).
pub fn read_tickets(path: &Path, m: &Mapping) -> Result<EventLog, String> {
    let (mut rdr, headers) = open(path)?;
    let ticket = need(path, &headers, Role::Ticket, m.ticket.as_ref(), "ticket id")?;
    let service = need(path, &headers, Role::Service, m.service.as_ref(), "service type")?;
    let issue = need(path, &headers, Role::Issue, m.issue.as_ref(), "issue time")?;
    let call = need(path, &headers, Role::Call, m.call.as_ref(), "call time")?;
    let end = opt(path, &headers, Role::End, m.end.as_ref())?;
    let counter = opt(path, &headers, Role::Counter, m.counter.as_ref())?;
    let left = opt(path, &headers, Role::Left, m.left.as_ref())?;
    let ctype = opt(path, &headers, Role::Type, m.customer_type.as_ref())?;
    let mut log = EventLog { tickets: true, type_attribute: ctype.map(|i| headers[i].clone()), ..Default::default() };
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_record(&mut rdr, &mut rec, path)? {
        let (id, svc) = (field(&rec, Some(ticket)), field(&rec, Some(service)));
        if id.is_empty() || svc.is_empty() {
            log.issues.note(Problem::MissingField, line);
            continue;
        }
        let Some(issued) = time::parse(field(&rec, Some(issue))) else {
            log.issues.note(Problem::BadTimestamp, line);
            continue;
        };
        let called = time::parse(field(&rec, Some(call)));
        let ended = time::parse(field(&rec, end));
        let gone = match flag(field(&rec, left)) {
            Some(g) => g,
            None => {
                log.issues.note(Problem::BadFlag, line);
                false
            }
        };
        if gone || called.is_none() {
            // Left unserved: gave up after the end (or call) time if recorded. Without either the
            // wait is unknown and the ticket only counts as an arrival.
            if let Some(t) = ended.or(called).filter(|t| *t >= issued) {
                let ty = ticket_type(&mut log, &rec, ctype);
                log.patience.push(PatienceObs { wait: t - issued, abandoned: true, ctype: ty });
            }
            let ci = CaseKey::of(id);
            let ty = ticket_type(&mut log, &rec, ctype);
            log.rows.case(ci, ty, issued, line);
            continue;
        }
        let called = called.unwrap_or(issued);
        if called < issued {
            log.issues.note(Problem::EndBeforeStart, line);
            continue;
        }
        let ty = ticket_type(&mut log, &rec, ctype);
        log.patience.push(PatienceObs { wait: called - issued, abandoned: false, ctype: ty });
        let e = match ended {
            Some(e) if e < called => {
                log.issues.note(Problem::EndBeforeStart, line);
                continue;
            }
            Some(e) => e,
            None => {
                log.issues.note(Problem::MissingEnd, line);
                f64::NAN
            }
        };
        if e == called {
            log.issues.note(Problem::ZeroLength, line);
        }
        let ci = CaseKey::of(id);
        let r = field(&rec, counter);
        let event = Event {
            case: 0,
            activity: log.activities.get(svc),
            resource: if r.is_empty() { NONE } else { log.resources.get(r) },
            start: called,
            end: e,
            enable: issued,
            left: Left::No,
            line: line as u32,
            ctype: ty,
            arrival: issued,
        };
        log.rows.visit(ci, event);
    }
    log.finish();
    Ok(log)
}

fn ticket_type(log: &mut EventLog, rec: &csv::StringRecord, ctype: Option<usize>) -> u32 {
    let t = field(rec, ctype);
    if t.is_empty() { NONE } else { log.types.get(t) }
}

/// Reads the next row into `rec`: its line number, `None` at the end, or an error naming
/// the file and line of text that is not CSV.
fn next_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    rec: &mut csv::StringRecord,
    path: &Path,
) -> Result<Option<u64>, String> {
    match rdr.read_record(rec) {
        Ok(true) => Ok(Some(rec.position().map_or(0, |p| p.line()))),
        Ok(false) => Ok(None),
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line());
            Err(format!("{}: line {line}: not valid CSV: {e}", path.display()))
        }
    }
}
