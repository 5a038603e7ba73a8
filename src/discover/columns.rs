//! Which column holds what: from flags, or recognised from the header by common conventions
//! (`case`/`case_id`/`case:concept:name`, `start`/`start_time`, `r esource` …).
//!
//! Header names are compared after lower-casing and dropping everything but letters and
//! digits, so `Start Time`, `start_time` and `startTime` are one name and the stray space of
//! real exports (`r esource`) does not hide a column.

/// A role a column can play, with the header names that mean it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Case,
    Activity,
    Start,
    End,
    Resource,
    Enable,
    Type,
    Ticket,
    Service,
    Issue,
    Call,
    Counter,
    Left,
    Lifecycle,
}

impl Role {
    pub fn flag(self) -> &'static str {
        match self {
            Role::Case => "--case",
            Role::Activity => "--activity",
            Role::Start => "--start",
            Role::End => "--end",
            Role::Resource => "--resource",
            Role::Enable => "--enable",
            Role::Type => "--type",
            Role::Ticket => "--ticket",
            Role::Service => "--service",
            Role::Issue => "--issue",
            Role::Call => "--call",
            Role::Counter => "--counter",
            Role::Left => "--left",
            Role::Lifecycle => "--lifecycle",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Role::Case => &["case", "caseid", "caseconceptname", "casename", "traceid", "processinstance"],
            Role::Activity => {
                &["activity", "activityname", "conceptname", "task", "taskname", "eventname", "activityid"]
            }
            Role::Start => &["start", "starttime", "starttimestamp", "timestart", "started", "startedat"],
            Role::End => &[
                "end",
                "endtime",
                "endtimestamp",
                "timetimestamp",
                "completetimestamp",
                "complete",
                "completed",
                "timestamp",
                "finish",
                "finishtime",
            ],
            Role::Resource => &["resource", "orgresource", "user", "performer", "staff", "agent", "employee"],
            Role::Enable => &["enable", "enabletime", "enabledtime", "enabletimestamp", "enablementtime"],
            Role::Type => &[
                "customertype",
                "casetype",
                "casecustomertype",
                "segment",
                "customersegment",
                "channel",
                "casechannel",
            ],
            Role::Ticket => &["ticket", "ticketid", "ticketno", "ticketnumber", "number"],
            Role::Service => &["service", "servicetype", "transaction", "transactiontype", "category", "queue"],
            Role::Issue => &["issue", "issuetime", "issued", "issuedat", "printtime", "printed", "arrivaltime"],
            Role::Call => &["call", "calltime", "called", "calledat"],
            Role::Counter => &["counter", "counterid", "staffid", "desk", "teller", "agent", "staff", "servedby"],
            Role::Left => &["left", "leftunserved", "abandoned", "noshow", "unserved", "walkout"],
            Role::Lifecycle => &["lifecycle", "lifecycletransition", "transition"],
        }
    }
}

fn normal(h: &str) -> String {
    h.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Finds the column of a role: the flag's column if given (by header name, error with the
/// nearest header otherwise), else the first header matching the role's names.
pub fn find(headers: &[String], role: Role, flag: Option<&str>) -> Result<Option<usize>, String> {
    if let Some(name) = flag {
        let exact =
            headers.iter().position(|h| h == name).or_else(|| headers.iter().position(|h| normal(h) == normal(name)));
        return match exact {
            Some(i) => Ok(Some(i)),
            None => Err(format!(
                "{} {name:?}: no such column; the header has {}{}",
                role.flag(),
                headers.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", "),
                crate::scenario::diag::suggest(name, headers.iter().map(String::as_str))
                    .map(|n| format!(" (did you mean {n:?}?)"))
                    .unwrap_or_default()
            )),
        };
    }
    let norm: Vec<String> = headers.iter().map(|h| normal(h)).collect();
    Ok(role.names().iter().find_map(|n| norm.iter().position(|h| h == n)))
}

/// True if the header looks like a queue-ticket export (issue and call times).
pub fn is_ticket_header(headers: &[String]) -> bool {
    let has = |r: Role| find(headers, r, None).ok().flatten().is_some();
    has(Role::Issue) && has(Role::Call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn conventions_are_recognised() {
        let hs = h(&["case", "start", "end", "LogType", "activity", "elementId", "r esource"]);
        assert_eq!(find(&hs, Role::Case, None), Ok(Some(0)));
        assert_eq!(find(&hs, Role::Resource, None), Ok(Some(6)));
        assert_eq!(find(&hs, Role::Enable, None), Ok(None));
        let hs = h(&["case:concept:name", "concept:name", "Start_Time", "End Time"]);
        assert_eq!(find(&hs, Role::Case, None), Ok(Some(0)));
        assert_eq!(find(&hs, Role::Activity, None), Ok(Some(1)));
        assert_eq!(find(&hs, Role::Start, None), Ok(Some(2)));
        assert_eq!(find(&hs, Role::End, None), Ok(Some(3)));
    }

    #[test]
    fn a_flag_naming_no_column_suggests_the_nearest() {
        let hs = h(&["case", "activty", "start"]);
        let e = find(&hs, Role::Activity, Some("activity")).unwrap_err();
        assert!(e.contains("--activity \"activity\": no such column"), "{e}");
        assert!(e.contains("did you mean \"activty\""), "{e}");
        assert_eq!(find(&hs, Role::Activity, Some("activty")), Ok(Some(1)));
    }
}
