//! The XES event log (IEEE Std 1849-2016): one `<trace>` per case, one `<event>` per lifecycle
//! transition (standard lifecycle model: schedule, start, suspend, resume, complete, ate_abort
//! for abandonment, withdraw for balking and no-shows), with the concept, time, lifecycle and
//! org extensions. A trace is written when its case leaves (its attributes, such as how it
//! left, come before its events in XES), so only the events of cases still in the system are
//! held in memory. Checked against the standard's XSD in tests/eventlog.rs.

use std::collections::HashMap;
use std::io::{self, Write};

use quick_xml::escape::escape;

use super::{Case, CaseEnd, Life, Log, Record, Sink, outcome_text};

pub struct XesSink<W: Write> {
    w: W,
    /// Events of cases still in the system, as XML.
    open: HashMap<u64, String>,
}

impl<W: Write> XesSink<W> {
    pub fn new(w: W) -> Self {
        XesSink { w, open: HashMap::new() }
    }
}

fn string(out: &mut String, key: &str, value: &str) {
    out.push_str(&format!("<string key=\"{key}\" value=\"{}\"/>", escape(value)));
}

impl<W: Write> Sink for XesSink<W> {
    fn begin(&mut self, log: &Log<'_>) -> io::Result<()> {
        let w = &mut self.w;
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            "<!-- Simulated by branchsim {}: see docs/outputs.md, \"Event logs\" -->",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(w, r#"<log xes.version="2.0">"#)?;
        for (name, prefix) in
            [("Concept", "concept"), ("Time", "time"), ("Lifecycle", "lifecycle"), ("Organizational", "org")]
        {
            writeln!(
                w,
                r#"<extension name="{name}" prefix="{prefix}" uri="http://www.xes-standard.org/{prefix}.xesext"/>"#
            )?;
        }
        writeln!(w, r#"<global scope="trace"><string key="concept:name" value=""/></global>"#)?;
        writeln!(
            w,
            r#"<global scope="event"><string key="concept:name" value=""/><string key="lifecycle:transition" value="complete"/><date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>"#
        )?;
        writeln!(w, r#"<classifier name="Activity" keys="concept:name"/>"#)?;
        writeln!(w, r#"<classifier name="Activity_lifecycle" keys="concept:name lifecycle:transition"/>"#)?;
        let mut attrs = String::new();
        string(
            &mut attrs,
            "concept:name",
            &format!("{} / {} / replication {}", log.model.name, log.variant, log.replication),
        );
        string(&mut attrs, "variant", log.variant);
        attrs.push_str(&format!("<int key=\"replication\" value=\"{}\"/>", log.replication));
        writeln!(w, "{attrs}")
    }

    fn record(&mut self, log: &Log<'_>, case: &Case, r: &Record) -> io::Result<()> {
        let Some(transition) = r.life.xes() else { return Ok(()) };
        let m = log.model;
        let mut e = String::from("<event>");
        string(&mut e, "concept:name", &m.steps[r.step].name);
        string(&mut e, "lifecycle:transition", transition);
        e.push_str(&format!("<date key=\"time:timestamp\" value=\"{}\"/>", log.clock.stamp(r.t)));
        if let Some((g, k)) = r.member {
            string(&mut e, "org:resource", &log.member_name(g, k));
            string(&mut e, "org:group", &m.resources[g].name);
        }
        if let Some(b) = r.batch {
            e.push_str(&format!("<int key=\"batch\" value=\"{}\"/>", b + 1));
        }
        let outcome = match r.life {
            Life::Abandon => "abandon".to_string(),
            Life::Balk => "balk".to_string(),
            Life::NoShow => "no_show".to_string(),
            _ => outcome_text(r.outcome),
        };
        if !outcome.is_empty() {
            string(&mut e, "outcome", &outcome);
        }
        e.push_str("</event>\n");
        self.open.entry(case.id).or_default().push_str(&e);
        Ok(())
    }

    fn close(&mut self, log: &Log<'_>, case: &Case, end: CaseEnd, t: Option<f64>) -> io::Result<()> {
        let events = self.open.remove(&case.id).unwrap_or_default();
        let mut head = String::from("<trace>");
        string(&mut head, "concept:name", &case.name);
        string(&mut head, "customer_type", &log.model.customers[case.ctype].name);
        if let Some(ch) = log.channel(case.stream) {
            string(&mut head, "channel", ch);
        }
        string(&mut head, "variant", log.variant);
        head.push_str(&format!("<int key=\"replication\" value=\"{}\"/>", log.replication));
        string(&mut head, "outcome", end.name());
        head.push_str(&format!("<boolean key=\"counted\" value=\"{}\"/>", case.counted));
        head.push_str(&format!("<date key=\"arrival\" value=\"{}\"/>", log.clock.stamp(case.arrival)));
        if let Some(t) = t {
            head.push_str(&format!("<date key=\"departure\" value=\"{}\"/>", log.clock.stamp(t)));
        }
        writeln!(self.w, "{head}")?;
        self.w.write_all(events.as_bytes())?;
        writeln!(self.w, "</trace>")
    }

    fn finish(&mut self, _log: &Log<'_>, _members: &[u32]) -> io::Result<()> {
        writeln!(self.w, "</log>")?;
        self.w.flush()
    }
}
