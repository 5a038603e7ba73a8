//! Reading a BPMN 2.0 XML file into a flat graph of flow nodes and sequence flows.
//!
//! Only what a simulation needs is kept: activities, events, gateways, sequence flows, the
//! sub-process a node sits in (flattened later) and the lane or pool it is drawn in (a
//! resource hint). Every node keeps its id and line, so that each message about it can point
//! the user to the diagram element. Elements with behaviour the converter cannot represent
//! are reported (warnings here, errors in `graph`), never dropped silently.

use std::collections::HashMap;

use roxmltree::{Document, Node as XNode};

/// The BPMN 2.0 model namespace (OMG, 2010-05-24), used by every BPMN 2.0 tool.
pub const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Task,
    Start,
    End,
    /// An intermediate catch event with a timer definition: a delay.
    Timer,
    /// Any other intermediate event (message, signal, none): a delay whose length comes from
    /// the parameters (Prosimos' `event_distribution`), zero by default.
    Intermediate,
    Exclusive,
    Parallel,
    Inclusive,
    /// Event-based gateway: imported as an exclusive choice (with a warning).
    EventBased,
    Complex,
    SubProcess,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    /// The label with runs of white space (line breaks in the diagram) made single spaces.
    pub name: String,
    /// The BPMN element name (`userTask`, `exclusiveGateway`), for messages.
    pub tag: String,
    pub kind: Kind,
    pub line: usize,
    /// The sub-process this node is drawn in.
    pub parent: Option<usize>,
    /// The lane (or else the pool) the node is drawn in.
    pub lane: Option<String>,
    pub incoming: Vec<usize>,
    pub outgoing: Vec<usize>,
    /// The process (pool) this node belongs to.
    pub process: usize,
    /// A timer's `timeDuration` text (ISO 8601, e.g. `PT2H`), when it has one.
    pub duration: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub source: usize,
    pub target: usize,
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Process {
    pub id: String,
    /// The pool's name (collaboration participant) or the process's own name.
    pub name: String,
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct Bpmn {
    pub nodes: Vec<Node>,
    pub flows: Vec<Flow>,
    pub processes: Vec<Process>,
    pub warnings: Vec<String>,
    /// Node index by id.
    index: HashMap<String, usize>,
}

impl Bpmn {
    pub fn node_by_id(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// `userTask \`Check credit\` (id Task_1, line 12)`, for messages.
    pub fn describe(&self, n: usize) -> String {
        let node = &self.nodes[n];
        if node.name.is_empty() {
            format!("{} (id {}, line {})", node.tag, node.id, node.line)
        } else {
            format!("{} `{}` (id {}, line {})", node.tag, node.name, node.id, node.line)
        }
    }
}

/// Element names that are activities (served by someone, or automated).
const TASKS: &[&str] = &[
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
];
/// Elements that do not change what happens to a case (documentation, data, diagram).
const INERT: &[&str] = &[
    "extensionElements",
    "documentation",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "group",
    "category",
    "property",
    "ioSpecification",
    "dataInputAssociation",
    "dataOutputAssociation",
    "incoming",
    "outgoing",
    "laneSet",
];

/// Offsets of the line breaks of a text, for `line_of`.
fn line_breaks(text: &str) -> Vec<usize> {
    text.bytes().enumerate().filter(|(_, c)| *c == b'\n').map(|(i, _)| i).collect()
}

/// Line of a byte offset (1-based), by binary search in the line breaks (roxmltree's
/// `text_pos_at` scans from the start of the text: quadratic over a large one-line file).
fn line_of(breaks: &[usize], pos: usize) -> usize {
    breaks.partition_point(|&nl| nl < pos) + 1
}

fn is_bpmn(n: &XNode, local: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(BPMN_NS) && n.tag_name().name() == local
}

fn label(n: &XNode) -> String {
    n.attribute("name").unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses BPMN 2.0 XML. Errors (not XML, not BPMN, dangling references) say where.
pub fn parse(text: &str) -> Result<Bpmn, String> {
    // roxmltree refuses DTDs by default: no entity expansion ("billion laughs") from a file.
    let doc = Document::parse(text).map_err(|e| format!("malformed XML: {e}"))?;
    let root = doc.root_element();
    if !is_bpmn(&root, "definitions") {
        let ns = root.tag_name().namespace().unwrap_or("no namespace");
        return Err(format!(
            "not a BPMN 2.0 file: the root element is <{}> ({ns}), expected <definitions> in the BPMN 2.0 namespace {BPMN_NS}",
            root.tag_name().name()
        ));
    }
    let mut b = Bpmn::default();
    let lines = line_breaks(text);
    // Pool names from the collaboration (participant processRef → name).
    let mut pools: HashMap<&str, String> = HashMap::new();
    for p in root.descendants().filter(|n| is_bpmn(n, "participant")) {
        if let Some(r) = p.attribute("processRef") {
            pools.insert(r, label(&p));
        }
    }
    for m in root.descendants().filter(|n| is_bpmn(n, "messageFlow")) {
        b.warnings.push(format!(
            "messageFlow {} (line {}) is not imported: branchsim has no messages between pools; each pool's process is simulated on its own",
            m.attribute("id").unwrap_or("?"),
            line_of(&lines, m.range().start)
        ));
    }
    let mut raw_flows: Vec<(String, String, String, String, usize)> = Vec::new();
    for p in root.children().filter(|n| is_bpmn(n, "process")) {
        let id = p.attribute("id").unwrap_or("").to_string();
        let name = pools.get(id.as_str()).filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| label(&p));
        let pi = b.processes.len();
        b.processes.push(Process { id, name: name.clone(), line: line_of(&lines, p.range().start) });
        let lanes = lanes_of(&p);
        let pool = (!name.is_empty()).then_some(name);
        walk(&lines, &p, pi, None, &lanes, &pool, &mut b, &mut raw_flows);
    }
    if b.processes.is_empty() {
        return Err("the BPMN file has no <process>: nothing to import".into());
    }
    b.index = b.nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
    let index = b.index.clone();
    for (id, name, src, dst, line) in raw_flows {
        let find = |r: &str, what: &str| {
            index.get(r).copied().ok_or_else(|| {
                format!("sequenceFlow {id} (line {line}): its {what} `{r}` is not a flow node of the process")
            })
        };
        let (s, t) = (find(&src, "sourceRef")?, find(&dst, "targetRef")?);
        let fi = b.flows.len();
        b.flows.push(Flow { id, name, source: s, target: t, line });
        b.nodes[s].outgoing.push(fi);
        b.nodes[t].incoming.push(fi);
    }
    Ok(b)
}

/// Lane of every flow node reference in a process (nested lanes: the innermost).
fn lanes_of(p: &XNode) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for lane in p.descendants().filter(|n| is_bpmn(n, "lane")) {
        let name = label(&lane);
        let name = if name.is_empty() { lane.attribute("id").unwrap_or("lane").to_string() } else { name };
        for r in lane.children().filter(|n| is_bpmn(n, "flowNodeRef")) {
            if let Some(t) = r.text() {
                // Descendants come in document order: an inner lane overrides its parent.
                m.insert(t.trim().to_string(), name.clone());
            }
        }
    }
    m
}

#[allow(clippy::too_many_arguments)]
fn walk(
    lines: &[usize],
    parent_el: &XNode,
    process: usize,
    parent: Option<usize>,
    lanes: &HashMap<String, String>,
    pool: &Option<String>,
    b: &mut Bpmn,
    flows: &mut Vec<(String, String, String, String, usize)>,
) {
    for el in parent_el.children().filter(|n| n.is_element()) {
        if el.tag_name().namespace() != Some(BPMN_NS) {
            continue; // tool extensions (qbp:, signavio:, camunda:) carry no BPMN behaviour
        }
        let tag = el.tag_name().name();
        let id = el.attribute("id").unwrap_or("").to_string();
        let line = line_of(lines, el.range().start);
        if tag == "sequenceFlow" {
            let s = el.attribute("sourceRef").unwrap_or("").to_string();
            let t = el.attribute("targetRef").unwrap_or("").to_string();
            flows.push((id, label(&el), s, t, line));
            continue;
        }
        let has = |def: &str| el.children().any(|c| is_bpmn(&c, def));
        let kind = match tag {
            t if TASKS.contains(&t) => {
                if el.children().any(|c| {
                    is_bpmn(&c, "multiInstanceLoopCharacteristics") || is_bpmn(&c, "standardLoopCharacteristics")
                }) {
                    b.warnings.push(format!(
                        "{tag} {id} (line {line}) has loop or multi-instance markers: imported as a single activity (model the repetition with a gateway loop)"
                    ));
                }
                Kind::Task
            }
            "startEvent" => {
                if parent.is_none() && has("timerEventDefinition") {
                    // A timer start is how some tools draw scheduled arrivals: still a start.
                }
                Kind::Start
            }
            "endEvent" => {
                if has("terminateEventDefinition") {
                    b.warnings.push(format!(
                        "terminate endEvent {id} (line {line}) is imported as a plain end event: other branches of the case are not cancelled"
                    ));
                }
                Kind::End
            }
            "intermediateCatchEvent" if has("timerEventDefinition") => Kind::Timer,
            "intermediateCatchEvent" | "intermediateThrowEvent" => Kind::Intermediate,
            "exclusiveGateway" => Kind::Exclusive,
            "parallelGateway" => Kind::Parallel,
            "inclusiveGateway" => Kind::Inclusive,
            "eventBasedGateway" => Kind::EventBased,
            "complexGateway" => Kind::Complex,
            "subProcess" | "transaction" | "adHocSubProcess" => Kind::SubProcess,
            "boundaryEvent" => {
                b.warnings.push(format!(
                    "boundaryEvent {id} (line {line}, attached to {}) is not imported: branchsim cannot interrupt an activity, so the path leaving it is never taken",
                    el.attribute("attachedToRef").unwrap_or("?")
                ));
                continue;
            }
            t if INERT.contains(&t) => continue,
            "lane" | "flowNodeRef" | "childLaneSet" => continue,
            other => {
                b.warnings.push(format!("<{other}> {id} (line {line}) is not imported: branchsim has no equivalent"));
                continue;
            }
        };
        if id.is_empty() {
            b.warnings.push(format!("<{tag}> at line {line} has no id: not imported"));
            continue;
        }
        let lane =
            lanes.get(&id).cloned().or_else(|| parent.and_then(|p| b.nodes[p].lane.clone())).or_else(|| pool.clone());
        let duration =
            el.descendants().find(|c| is_bpmn(c, "timeDuration")).and_then(|c| c.text()).map(|t| t.trim().to_string());
        let ni = b.nodes.len();
        b.nodes.push(Node {
            duration,
            id,
            name: label(&el),
            tag: tag.to_string(),
            kind,
            line,
            parent,
            lane,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            process,
        });
        if kind == Kind::SubProcess {
            walk(lines, &el, process, Some(ni), lanes, pool, b, flows);
        }
    }
}

/// Seconds of an ISO 8601 duration without years or months (`P1DT2H30M`, `PT45S`), the form
/// BPMN timers use; `None` for anything else (a date, a cycle, an expression).
pub fn iso_duration(s: &str) -> Option<f64> {
    let rest = s.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0.0;
    let mut any = false;
    for (part, units) in
        [(days, &[('W', 604800.0), ('D', 86400.0)][..]), (time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..])]
    {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else {
                let f = units.iter().find(|u| u.0 == c)?.1;
                total += num.parse::<f64>().ok()? * f;
                num.clear();
                any = true;
            }
        }
        if !num.is_empty() {
            return None;
        }
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations_of_timers() {
        assert_eq!(iso_duration("PT2H30M"), Some(9000.0));
        assert_eq!(iso_duration("P1DT1S"), Some(86401.0));
        assert_eq!(iso_duration("P2W"), Some(1209600.0));
        assert_eq!(iso_duration("R3/PT1H"), None);
        assert_eq!(iso_duration("P1Y"), None);
        assert_eq!(iso_duration("PT"), None);
    }

    #[test]
    fn a_file_that_is_not_bpmn_is_refused_with_its_root_element() {
        let e = parse("<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>").unwrap_err();
        assert!(e.contains("not a BPMN 2.0 file") && e.contains("<html>"), "{e}");
    }

    #[test]
    fn malformed_xml_names_line_and_column() {
        let e = parse(
            "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"p\">\n</definitions>",
        )
        .unwrap_err();
        assert!(e.starts_with("malformed XML") && e.contains("3:"), "{e}");
    }

    #[test]
    fn labels_lose_line_breaks_and_flows_link_nodes() {
        let b = parse(
            r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="s"/><task id="t" name="Check&#10;  credit"/><endEvent id="e"/>
<sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
</process></definitions>"#,
        )
        .unwrap();
        let t = b.node_by_id("t").unwrap();
        assert_eq!(b.nodes[t].name, "Check credit");
        assert_eq!(b.nodes[t].line, 2);
        assert_eq!((b.nodes[t].incoming.len(), b.nodes[t].outgoing.len()), (1, 1));
    }

    #[test]
    fn a_flow_to_an_unknown_node_is_an_error() {
        let e = parse(
            r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="nowhere"/></process></definitions>"#,
        )
        .unwrap_err();
        assert!(e.contains("f1") && e.contains("nowhere") && e.contains("line 2"), "{e}");
    }
}
