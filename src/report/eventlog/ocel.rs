//! The OCEL 2.0 event log (JSON format): the object-centric view of a replication.
//!
//! Objects: each case (`customer`), each staff member who served (`staff member`, with its
//! group), each batch released at a batch step (`batch`: one committee sitting serving many
//! cases) and each channel (`channel`). Events: arrival and departure of a case, every
//! lifecycle transition at a step (typed by the step's name, `lifecycle` attribute), and batch
//! releases; each relates to the objects involved (the case, the member serving it, its batch).
//!
//! Events are streamed into the file as they happen; objects are only complete when their case
//! leaves, so they go to an anonymous temporary file and are copied after the events. All
//! attribute values are strings, as the OCEL 2.0 JSON schema requires; `eventTypes` and
//! `objectTypes` declare how to read them (time, integer, boolean).

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

use serde_json::{Value, json};

use super::{Case, CaseEnd, Life, Log, Record, Sink, outcome_text};

pub struct OcelSink<W: Write> {
    w: W,
    objects: BufWriter<File>,
    /// Events and objects written so far (commas between array items).
    events: u64,
    n_objects: u64,
    /// Type names of the case-level events and batch releases, distinct from step names.
    arrive: String,
    leave: String,
    release: String,
}

impl<W: Write> OcelSink<W> {
    pub fn new(w: W) -> io::Result<Self> {
        let objects = BufWriter::new(tempfile::tempfile()?);
        Ok(OcelSink {
            w,
            objects,
            events: 0,
            n_objects: 0,
            arrive: String::new(),
            leave: String::new(),
            release: String::new(),
        })
    }

    fn event(
        &mut self,
        ty: &str,
        time: String,
        attributes: Vec<(&str, String)>,
        rels: Vec<(String, &str)>,
    ) -> io::Result<()> {
        self.events += 1;
        let e = json!({
            "id": format!("e{}", self.events),
            "type": ty,
            "time": time,
            "attributes": attributes.into_iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "relationships": rels.into_iter().map(|(o, q)| json!({"objectId": o, "qualifier": q})).collect::<Vec<_>>(),
        });
        if self.events > 1 {
            self.w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.w, &e)?;
        Ok(())
    }

    fn object(&mut self, o: Value) -> io::Result<()> {
        self.n_objects += 1;
        if self.n_objects > 1 {
            self.objects.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.objects, &o)?;
        Ok(())
    }
}

/// `base`, or `base (2)`, … : a name no step has.
fn unique(base: &str, taken: &[&str]) -> String {
    let mut name = base.to_string();
    let mut k = 1;
    while taken.contains(&name.as_str()) {
        k += 1;
        name = format!("{base} ({k})");
    }
    name
}

fn types(list: &[(&str, &str)]) -> Vec<Value> {
    list.iter().map(|(n, t)| json!({"name": n, "type": t})).collect()
}

pub fn customer_id(case: &Case) -> String {
    format!("customer:{}", case.name)
}

pub fn member_id(log: &Log<'_>, g: usize, k: u32) -> String {
    format!("staff:{}", log.member_name(g, k))
}

pub fn batch_id(log: &Log<'_>, step: usize, b: u64) -> String {
    format!("batch:{} #{}", log.model.steps[step].name, b + 1)
}

pub fn channel_id(name: &str) -> String {
    format!("channel:{name}")
}

impl<W: Write> Sink for OcelSink<W> {
    fn begin(&mut self, log: &Log<'_>) -> io::Result<()> {
        let m = log.model;
        let steps: Vec<&str> = m.steps.iter().map(|s| s.name.as_str()).collect();
        self.arrive = unique("arrive", &steps);
        self.leave = unique("leave", &steps);
        self.release = unique("batch release", &steps);
        let step_attrs = types(&[("lifecycle", "string"), ("outcome", "string"), ("batch", "integer")]);
        let mut event_types = vec![
            json!({"name": self.arrive, "attributes": types(&[("customer_type", "string")])}),
            json!({"name": self.leave, "attributes": types(&[("outcome", "string")])}),
            json!({"name": self.release, "attributes": types(&[("step", "string"), ("size", "integer")])}),
        ];
        for s in &steps {
            event_types.push(json!({"name": s, "attributes": step_attrs.clone()}));
        }
        let object_types = vec![
            json!({"name": "customer", "attributes": types(&[
                ("customer_type", "string"), ("channel", "string"), ("variant", "string"),
                ("replication", "integer"), ("counted", "boolean"), ("outcome", "string")])}),
            json!({"name": "staff member", "attributes": types(&[("group", "string")])}),
            json!({"name": "batch", "attributes": types(&[("step", "string"), ("size", "integer")])}),
            json!({"name": "channel", "attributes": []}),
        ];
        write!(self.w, "{{\"objectTypes\":")?;
        serde_json::to_writer(&mut self.w, &object_types)?;
        write!(self.w, ",\n\"eventTypes\":")?;
        serde_json::to_writer(&mut self.w, &event_types)?;
        write!(self.w, ",\n\"events\":[\n")?;
        Ok(())
    }

    fn arrival(&mut self, log: &Log<'_>, case: &Case) -> io::Result<()> {
        let mut rels = vec![(customer_id(case), "customer")];
        if let Some(ch) = log.channel(case.stream) {
            rels.push((channel_id(ch), "channel"));
        }
        let ty = self.arrive.clone();
        let ctype = log.model.customers[case.ctype].name.clone();
        self.event(&ty, log.clock.stamp(case.arrival), vec![("customer_type", ctype)], rels)
    }

    fn record(&mut self, log: &Log<'_>, case: &Case, r: &Record) -> io::Result<()> {
        if r.life == Life::Unfinished {
            return Ok(());
        }
        let mut attrs = vec![("lifecycle", r.life.csv().to_string())];
        let outcome = outcome_text(r.outcome);
        if !outcome.is_empty() {
            attrs.push(("outcome", outcome));
        }
        let mut rels = vec![(customer_id(case), "customer")];
        if let Some((g, k)) = r.member {
            rels.push((member_id(log, g, k), "served by"));
        }
        if let Some(b) = r.batch {
            attrs.push(("batch", (b + 1).to_string()));
            rels.push((batch_id(log, r.step, b), "batch"));
        }
        self.event(&log.model.steps[r.step].name, log.clock.stamp(r.t), attrs, rels)
    }

    fn close(&mut self, log: &Log<'_>, case: &Case, end: CaseEnd, t: Option<f64>) -> io::Result<()> {
        if let Some(t) = t {
            let ty = self.leave.clone();
            self.event(
                &ty,
                log.clock.stamp(t),
                vec![("outcome", end.name().to_string())],
                vec![(customer_id(case), "customer")],
            )?;
        }
        let at = log.clock.stamp(case.arrival);
        let attr = |n: &str, v: String| json!({"name": n, "value": v, "time": at});
        let mut attributes = vec![
            attr("customer_type", log.model.customers[case.ctype].name.clone()),
            attr("variant", log.variant.to_string()),
            attr("replication", log.replication.to_string()),
            attr("counted", case.counted.to_string()),
            attr("outcome", end.name().to_string()),
        ];
        let mut rels = Vec::new();
        if let Some(ch) = log.channel(case.stream) {
            attributes.push(attr("channel", ch.to_string()));
            rels.push(json!({"objectId": channel_id(ch), "qualifier": "arrived through"}));
        }
        self.object(
            json!({"id": customer_id(case), "type": "customer", "attributes": attributes, "relationships": rels}),
        )
    }

    fn batch(&mut self, log: &Log<'_>, t: f64, step: usize, b: u64, size: usize) -> io::Result<()> {
        let id = batch_id(log, step, b);
        let name = log.model.steps[step].name.clone();
        let at = log.clock.stamp(t);
        let ty = self.release.clone();
        self.event(
            &ty,
            at.clone(),
            vec![("step", name.clone()), ("size", size.to_string())],
            vec![(id.clone(), "released")],
        )?;
        self.object(json!({"id": id, "type": "batch", "attributes": [
            {"name": "step", "value": name, "time": at},
            {"name": "size", "value": size.to_string(), "time": at},
        ]}))
    }

    fn finish(&mut self, log: &Log<'_>, members: &[u32]) -> io::Result<()> {
        let epoch = log.clock.stamp(0.0);
        for (g, &n) in members.iter().enumerate() {
            for k in 0..n {
                let group = log.model.resources[g].name.clone();
                self.object(json!({"id": member_id(log, g, k), "type": "staff member",
                    "attributes": [{"name": "group", "value": group, "time": epoch}]}))?;
            }
        }
        let mut channels: Vec<&str> = log.model.arrivals.iter().filter_map(|a| a.channel.as_deref()).collect();
        channels.sort_unstable();
        channels.dedup();
        for ch in channels {
            self.object(json!({"id": channel_id(ch), "type": "channel", "attributes": []}))?;
        }
        write!(self.w, "\n],\n\"objects\":[\n")?;
        self.objects.flush()?;
        let f = self.objects.get_mut();
        f.rewind()?;
        io::copy(f, &mut self.w)?;
        write!(self.w, "\n]}}\n")?;
        self.w.flush()
    }
}
