//! A JSON Schema (Draft 4) of scenario format v1, for editors: Taplo / "Even Better TOML"
//! complete keys, show the docs on hover and flag mistakes while the planner types.
//!
//! The schema is built from the reader's own key lists (`TOP_KEYS`, `STEP_KEYS`, …): `object`
//! panics when a list and the properties described here disagree, so a key added to the reader
//! without a schema entry fails every test that builds the schema. The schema checks shapes
//! (keys, types, enums, unit spellings); cross-references (does this step exist?) and
//! numeric relations (min <= mode <= max) remain `branchsim validate`'s job.

use serde_json::{Map, Value, json};

use super::calendar::CAL_KEYS;
use super::forks::{BRANCH_KEYS, FORK_KEYS};
use super::schema::{
    APPOINTMENT_KEYS, ARRIVAL_KEYS, BATCH_KEYS, BREAK_KEYS, CHANNEL_KEYS, CUSTOMER_KEYS, DIST_NAMES, OBJECTIVE_KEYS,
    PUNCTUALITY_KEYS, REPEAT_KEYS, RESOURCE_KEYS, ROUTE_KEYS, STEP_KEYS, TOP_KEYS, TOUCHLESS_KEYS, WEEKDAYS, dist_keys,
};
use super::variants::{CHANNEL_SHIFT_KEYS, VARIANT_KEYS};
use crate::check::expect::EXPECT_KEYS;
use crate::staffing::shifts::{LUNCH_KEYS, SHIFT_KEYS};

/// Where the hover links point: the format reference, relative to `docs/scenario.schema.json`.
const README: &str = "../scenarios/README.md";

/// A number as in the reader's `split_number` (no sign: durations and rates are >= 0).
const NUMBER: &str = r"\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?";

/// Every anchor of scenarios/README.md the schema links to (a test checks they exist).
pub const ANCHORS: &[&str] = &[
    "durations-rates-and-clock-times",
    "top-level-keys",
    "objective",
    "customers",
    "arrivals",
    "resources",
    "steps",
    "calendars-and-multi-day-work",
    "start-date-and-event-log-timestamps",
    "cases-and-batches",
    "skills-pooling-and-proficiency",
    "automation-rpa-ai",
    "channels-and-hand-offs-with-context",
    "information-silos-repeating-information",
    "parallel-work-fork-and-join",
    "appointments",
    "shift-templates-shifts",
    "distributions",
    "variants",
    "expect",
];

/// The schema as `branchsim schema` prints it and docs/scenario.schema.json holds it.
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("a JSON value always serialises");
    s.push('\n');
    s
}

/// The JSON Schema of scenario format v1.
pub fn schema() -> Value {
    let top = object(
        TOP_KEYS,
        vec![
            (
                "$schema",
                doc(
                    json!({"type": "string"}),
                    "The JSON Schema of this file for editors; ignored by branchsim.",
                    "top-level-keys",
                ),
            ),
            (
                "name",
                doc(
                    string(),
                    "Scenario name (any UTF-8); its slug names the output folder. Default: the file name.",
                    "top-level-keys",
                ),
            ),
            ("description", doc(string(), "Free text shown in outputs and the report.", "top-level-keys")),
            (
                "time_unit",
                doc(
                    json!({"type": "string", "enum": ["s", "min", "h"]}),
                    "Unit of bare numbers in the file and of every duration in the outputs. Default \"min\".",
                    "top-level-keys",
                ),
            ),
            ("start", doc(clock(), "Clock label of t = 0, \"HH:MM\". Default \"00:00\".", "top-level-keys")),
            (
                "horizon",
                doc(
                    duration(),
                    "Required. Arrivals come in [0, horizon); at most 3650 days. E.g. \"8h\".",
                    "top-level-keys",
                ),
            ),
            (
                "warmup",
                doc(
                    duration(),
                    "Customers arriving before it are simulated but not counted. Default 0.",
                    "top-level-keys",
                ),
            ),
            (
                "seed",
                doc(
                    json!({"type": "integer", "minimum": 0}),
                    "Base seed: fixes every result. Default 1.",
                    "top-level-keys",
                ),
            ),
            (
                "replications",
                doc(
                    json!({"type": "integer", "minimum": 1, "maximum": 10_000_000}),
                    "Independent replications per variant. Default 1.",
                    "top-level-keys",
                ),
            ),
            (
                "service_level",
                doc(duration(), "Wait threshold of the service_level KPIs. Default \"5min\".", "top-level-keys"),
            ),
            (
                "timeseries_bin",
                doc(duration(), "Bin width of the time series, > 0. Default \"15min\".", "top-level-keys"),
            ),
            (
                "customers",
                doc(
                    array_of(json!({"$ref": "#/definitions/customer"})),
                    "Customer types ([[customers]]).",
                    "customers",
                ),
            ),
            (
                "arrivals",
                doc(array_of(json!({"$ref": "#/definitions/arrival"})), "Arrival streams ([[arrivals]]).", "arrivals"),
            ),
            (
                "resources",
                doc(
                    array_of(json!({"$ref": "#/definitions/resource"})),
                    "Staff groups and robots ([[resources]]).",
                    "resources",
                ),
            ),
            ("steps", doc(array_of(json!({"$ref": "#/definitions/step"})), "Process steps ([[steps]]).", "steps")),
            (
                "variants",
                doc(array_of(variant()), "Redesigns, each a difference from the baseline ([[variants]]).", "variants"),
            ),
            ("expect", doc(array_of(expect()), "Promises checked by `branchsim check` ([[expect]]).", "expect")),
            (
                "start_day",
                doc(
                    weekday(),
                    "Weekday of t = 0 (\"mon\" … \"sun\"). Default \"mon\".",
                    "calendars-and-multi-day-work",
                ),
            ),
            (
                "start_date",
                doc(
                    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
                    "Calendar date of t = 0 (YYYY-MM-DD), for event-log timestamps; its weekday must match start_day. Default: 2024-01-01 moved to start_day's weekday.",
                    "start-date-and-event-log-timestamps",
                ),
            ),
            (
                "utc_offset",
                doc(
                    json!({"type": "string", "pattern": "^([+-][0-9]{2}:[0-9]{2}|Z)$"}),
                    "UTC offset of the scenario's clock (\"+01:00\"), for event-log timestamps. Default \"+00:00\".",
                    "start-date-and-event-log-timestamps",
                ),
            ),
            (
                "calendar",
                doc(
                    string(),
                    "The business calendar working time is measured in (a name from [calendars]).",
                    "calendars-and-multi-day-work",
                ),
            ),
            (
                "calendars",
                doc(
                    json!({"type": "object", "additionalProperties": calendar()}),
                    "Opening hours per calendar name: [calendars.NAME].",
                    "calendars-and-multi-day-work",
                ),
            ),
            (
                "channels",
                doc(array_of(channel()), "Contact channels ([[channels]]).", "channels-and-hand-offs-with-context"),
            ),
            (
                "shifts",
                doc(array_of(shift()), "Shift templates for `branchsim staff` ([[shifts]]).", "shift-templates-shifts"),
            ),
            (
                "objective",
                doc(objective(), "What \"better\" means: a KPI path, or { kpi, direction, constraint }.", "objective"),
            ),
        ],
    );
    let mut root = Map::new();
    root.insert("$schema".into(), json!("http://json-schema.org/draft-04/schema#"));
    root.insert("title".into(), json!("branchsim scenario (format v1)"));
    root.insert(
        "definitions".into(),
        json!({
            "customer": customer(),
            "arrival": arrival(),
            "resource": resource(),
            "step": step(),
            "distribution": distribution(),
            "routes": routes(),
            "duration": duration_def(),
        }),
    );
    let Value::Object(top) = with_required(top, &["horizon"]) else { unreachable!("object() builds an object") };
    root.extend(top);
    Value::Object(root)
}

/// An object whose properties are exactly `keys` (the reader's list), in the list's order.
/// Panics when a key has no schema or a schema names a key the reader does not know: the
/// schema must not drift from the reader.
fn object(keys: &[&str], props: Vec<(&str, Value)>) -> Value {
    for (k, _) in &props {
        assert!(keys.contains(k), "the schema describes `{k}`, which the reader does not accept");
    }
    let mut map = Map::new();
    for k in keys {
        let p = props.iter().find(|(n, _)| n == k).unwrap_or_else(|| panic!("no schema for key `{k}`"));
        map.insert((*k).to_string(), p.1.clone());
    }
    json!({"type": "object", "properties": map, "additionalProperties": false})
}

/// Adds a plain description and a Markdown one linking to the format reference.
fn doc(mut v: Value, text: &str, anchor: &str) -> Value {
    debug_assert!(ANCHORS.contains(&anchor), "anchor `{anchor}` is not in ANCHORS");
    if let Value::Object(m) = &mut v {
        m.insert("description".into(), json!(text));
        m.insert("markdownDescription".into(), json!(format!("{text}\n\n[Reference]({README}#{anchor})")));
    }
    v
}

fn string() -> Value {
    json!({"type": "string"})
}

fn array_of(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

fn with_required(mut v: Value, required: &[&str]) -> Value {
    v["required"] = json!(required);
    v
}

/// `"90s"`, `"2.5min"`, `"1h"`, `"2d"` (one optional space), or a bare number in `time_unit`.
fn duration_def() -> Value {
    json!({
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": format!(r"^\s*{NUMBER} ?(s|min|h|d)\s*$")},
        ],
        "description": "A duration: a number and a unit s, min, h or d (\"90s\", \"2.5min\", \"1h\", \"2d\"), or a bare number in the scenario's time_unit.",
        "markdownDescription": format!("A duration: a number and a unit `s`, `min`, `h` or `d` (`\"90s\"`, `\"2.5min\"`, `\"1h\"`, `\"2d\"`), or a bare number in the scenario's `time_unit`.\n\n[Reference]({README}#durations-rates-and-clock-times)"),
    })
}

fn duration() -> Value {
    json!({"$ref": "#/definitions/duration"})
}

/// A duration that may be negative (`"-3min"`: early).
fn signed_duration() -> Value {
    json!({"oneOf": [
        {"type": "number"},
        {"type": "string", "pattern": format!(r"^\s*-?{NUMBER} ?(s|min|h|d)\s*$")},
    ]})
}

/// `"90/h"`, `"1.5/min"`, or a bare number of events per `time_unit`.
fn rate() -> Value {
    doc(
        json!({"oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": format!(r"^\s*{NUMBER}\s*/\s*(s|min|h|d)\s*$")},
        ]}),
        "A rate: a number per unit (\"90/h\", \"1.5/min\", \"40/d\"), or a bare number per time_unit.",
        "durations-rates-and-clock-times",
    )
}

/// `"HH:MM"`, 00:00–23:59.
fn clock() -> Value {
    json!({"type": "string", "pattern": r"^\s*0*([0-9]|1[0-9]|2[0-3]):0*[0-5]?[0-9]\s*$"})
}

fn clocks() -> Value {
    json!({"oneOf": [clock(), array_of(clock())]})
}

fn probability() -> Value {
    json!({"type": "number", "minimum": 0, "maximum": 1})
}

fn factor() -> Value {
    json!({"type": "number", "minimum": 0, "maximum": 1000})
}

/// A weekday as the reader accepts it: "mon" or "monday", any case.
fn weekday() -> Value {
    let full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let ci = |w: &str| w.chars().map(|c| format!("[{c}{}]", c.to_ascii_uppercase())).collect::<String>();
    let alts: Vec<String> = WEEKDAYS.iter().chain(full.iter()).map(|w| ci(w)).collect();
    // The enum gives editors the names to complete; the pattern accepts what the reader does.
    json!({"type": "string", "anyOf": [{"enum": WEEKDAYS}, {"pattern": format!(r"^\s*({})\s*$", alts.join("|"))}]})
}

fn objective() -> Value {
    let table = object(
        OBJECTIVE_KEYS,
        vec![
            ("kpi", doc(string(), "The KPI path variants are ranked by, e.g. \"wait_p90\".", "objective")),
            (
                "direction",
                doc(
                    json!({"type": "string", "enum": ["minimise", "maximise", "minimize", "maximize", "lower", "higher"]}),
                    "Which way is better. Default: the KPI's natural direction.",
                    "objective",
                ),
            ),
            (
                "constraint",
                doc(
                    json!({"type": "string", "pattern": "^[^<>=]+(>=|<=)[^<>=]+$"}),
                    "\"KPI >= VALUE\" or \"KPI <= VALUE\", e.g. \"service_level >= 80%\".",
                    "objective",
                ),
            ),
        ],
    );
    json!({"oneOf": [string(), with_required(table, &["kpi"])]})
}

fn customer() -> Value {
    let a = "customers";
    with_required(
        object(
            CUSTOMER_KEYS,
            vec![
                ("name", doc(string(), "Name of the customer type.", a)),
                ("first_step", doc(string(), "Step where this type starts (default: the first step).", a)),
                (
                    "priority",
                    doc(
                        json!({"type": "integer", "minimum": -1_000_000, "maximum": 1_000_000}),
                        "Higher is served first. Default 0.",
                        a,
                    ),
                ),
                ("patience", doc(dist(), "How long a customer waits before abandoning (a distribution).", a)),
                (
                    "balk_at",
                    doc(
                        json!({"type": "integer", "minimum": 0}),
                        "Queue length at which an arriving customer leaves at once.",
                        a,
                    ),
                ),
                (
                    "kind",
                    doc(
                        json!({"type": "string", "enum": ["customer", "case"]}),
                        "\"customer\" (a person who waits) or \"case\" (a file that never abandons).",
                        "cases-and-batches",
                    ),
                ),
                ("tolerance", doc(duration(), "Total wait the customer accepts before being dissatisfied.", a)),
            ],
        ),
        &["name"],
    )
}

fn arrival() -> Value {
    let a = "arrivals";
    let day_factors = object(WEEKDAYS, WEEKDAYS.iter().map(|w| (*w, factor())).collect());
    let punctuality = object(
        PUNCTUALITY_KEYS,
        vec![
            ("mean", doc(signed_duration(), "Mean offset from the slot (negative: early).", "appointments")),
            ("sd", doc(duration(), "Standard deviation of the offset.", "appointments")),
        ],
    );
    let appointments = object(
        APPOINTMENT_KEYS,
        vec![
            ("every", doc(duration(), "Time between slots, at least 1 minute.", "appointments")),
            ("from", doc(clock(), "First slot, \"HH:MM\".", "appointments")),
            ("to", doc(clock(), "No slot starts at or after this clock time.", "appointments")),
            ("no_show", doc(probability(), "Probability that a booked customer does not come.", "appointments")),
            ("punctuality", doc(punctuality, "Offset of the arrival from the slot: { mean, sd }.", "appointments")),
            ("calendar", doc(string(), "Slots only on open days of this calendar.", "appointments")),
        ],
    );
    object(
        ARRIVAL_KEYS,
        vec![
            ("name", doc(string(), "Name of the stream (default: the customer type).", a)),
            ("customer", doc(string(), "The customer type that arrives.", a)),
            ("rate", rate()),
            ("interval", doc(duration(), "Length of each entry of `rates`.", a)),
            ("rates", doc(array_of(rate()), "A rate profile: one rate per `interval`.", a)),
            ("scale", doc(json!({"type": "number", "minimum": 0}), "Multiplies every rate. Default 1.", a)),
            ("channel", doc(string(), "The channel these customers use.", "channels-and-hand-offs-with-context")),
            ("first_step", doc(string(), "Step where this stream starts.", a)),
            ("calendar", doc(string(), "Arrivals only while this calendar is open.", "calendars-and-multi-day-work")),
            (
                "day_factors",
                doc(day_factors, "Rate factor per weekday, e.g. { sat = 0.5 }.", "calendars-and-multi-day-work"),
            ),
            ("appointments", doc(appointments, "Booked arrivals by slot instead of a rate.", "appointments")),
        ],
    )
}

fn resource() -> Value {
    let a = "resources";
    let brk = with_required(
        object(
            BREAK_KEYS,
            vec![
                ("start", doc(clock(), "Clock time the break starts.", a)),
                ("length", doc(duration(), "Length of the break.", a)),
                ("staff", doc(json!({"type": "integer", "minimum": 1}), "Staff on break at once. Default 1.", a)),
            ],
        ),
        &["start", "length"],
    );
    let staff = json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 100_000},
        array_of(json!({"type": "integer", "minimum": 0, "maximum": 100_000})),
    ]});
    with_required(
        object(
            RESOURCE_KEYS,
            vec![
                ("name", doc(string(), "Name of the staff group.", a)),
                ("staff", doc(staff, "Number of staff, or a schedule: one number per `interval`.", a)),
                ("interval", doc(duration(), "Length of each entry of a `staff` schedule.", a)),
                (
                    "cost_per_hour",
                    doc(json!({"type": "number", "minimum": 0}), "Cost of one staff member per hour.", a),
                ),
                (
                    "skills",
                    doc(
                        array_of(string()),
                        "Skills (work queues) this group serves.",
                        "skills-pooling-and-proficiency",
                    ),
                ),
                (
                    "speed",
                    doc(
                        json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1000}),
                        "Service speed factor (2 = twice as fast). Default 1.",
                        "skills-pooling-and-proficiency",
                    ),
                ),
                (
                    "calendar",
                    doc(string(), "Staff work only while this calendar is open.", "calendars-and-multi-day-work"),
                ),
                ("breaks", doc(array_of(brk), "Daily breaks: [{ start, length, staff }].", a)),
                (
                    "on_shift_end",
                    doc(
                        json!({"type": "string", "enum": ["finish", "preempt"]}),
                        "\"finish\" the service in progress, or \"preempt\" it.",
                        a,
                    ),
                ),
                (
                    "automated",
                    doc(json!({"type": "boolean"}), "A software robot rather than people.", "automation-rpa-ai"),
                ),
            ],
        ),
        &["name"],
    )
}

fn step() -> Value {
    let a = "steps";
    let touchless = object(
        TOUCHLESS_KEYS,
        vec![
            ("share", doc(probability(), "Share of automated successes that skip manual work.", "automation-rpa-ai")),
            ("to", doc(string(), "Step the touchless cases go to.", "automation-rpa-ai")),
        ],
    );
    let repeat = object(
        REPEAT_KEYS,
        vec![
            (
                "p",
                doc(
                    probability(),
                    "Probability that information must be provided again.",
                    "information-silos-repeating-information",
                ),
            ),
            ("back_to", doc(string(), "Step to start again at.", "information-silos-repeating-information")),
            ("delay", doc(dist(), "Time before the customer comes back.", "information-silos-repeating-information")),
        ],
    );
    let batch = object(
        BATCH_KEYS,
        vec![
            (
                "size",
                doc(
                    json!({"type": "integer", "minimum": 1, "maximum": 1_000_000}),
                    "Release every N cases.",
                    "cases-and-batches",
                ),
            ),
            ("at", doc(clocks(), "Release at these clock times, e.g. [\"15:00\"].", "cases-and-batches")),
            (
                "max",
                doc(
                    json!({"type": "integer", "minimum": 1, "maximum": 1_000_000}),
                    "Most cases released at once.",
                    "cases-and-batches",
                ),
            ),
            ("calendar", doc(string(), "Releases only while this calendar is open.", "cases-and-batches")),
        ],
    );
    let routes = json!({"$ref": "#/definitions/routes"});
    with_required(
        object(
            STEP_KEYS,
            vec![
                ("name", doc(string(), "Name of the step.", a)),
                ("resource", doc(string(), "The staff group that serves this step.", a)),
                (
                    "skill",
                    doc(
                        string(),
                        "The skill this step needs (instead of `resource`).",
                        "skills-pooling-and-proficiency",
                    ),
                ),
                ("service", doc(dist(), "Service time: a distribution or a fixed duration.", a)),
                (
                    "service_for",
                    doc(
                        json!({"type": "object", "additionalProperties": dist()}),
                        "Service time per customer type: { retail = { … } }.",
                        a,
                    ),
                ),
                ("next", doc(routes.clone(), "Where customers go next: [{ step, p }]; the rest leave.", a)),
                (
                    "next_for",
                    doc(json!({"type": "object", "additionalProperties": routes}), "Routes per customer type.", a),
                ),
                ("success", doc(probability(), "Probability that the automated work succeeds.", "automation-rpa-ai")),
                ("on_failure", doc(string(), "Step that handles failed automated work.", "automation-rpa-ai")),
                ("touchless", doc(touchless, "{ share, to }: successes that skip manual work.", "automation-rpa-ai")),
                (
                    "repeat_info",
                    doc(
                        repeat,
                        "{ p, back_to, delay }: information asked for again.",
                        "information-silos-repeating-information",
                    ),
                ),
                (
                    "batch",
                    doc(
                        batch,
                        "Hold cases and release them together: { size, at, max, calendar }.",
                        "cases-and-batches",
                    ),
                ),
                (
                    "context_factor",
                    doc(
                        json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1000}),
                        "Service time factor for work handed over without context. Default 1.",
                        "channels-and-hand-offs-with-context",
                    ),
                ),
                ("fork", doc(fork(), "Parallel branches instead of `next`: { branches, join }.", FORK_ANCHOR)),
            ],
        ),
        &["name"],
    )
}

const FORK_ANCHOR: &str = "parallel-work-fork-and-join";

/// `fork = { branches = ["a", { step = "b", p = 0.6 }], join = "decision" }`.
fn fork() -> Value {
    let branch = with_required(
        object(
            BRANCH_KEYS,
            vec![
                ("step", doc(string(), "First step of the branch.", FORK_ANCHOR)),
                ("p", doc(probability(), "Probability that the branch is taken (default 1).", FORK_ANCHOR)),
            ],
        ),
        &["step"],
    );
    let item = json!({"oneOf": [string(), branch]});
    with_required(
        object(
            FORK_KEYS,
            vec![
                (
                    "branches",
                    doc(
                        json!({"type": "array", "items": item, "minItems": 1}),
                        "Steps where the parallel branches start: names (all taken) or { step, p } (each taken with p).",
                        FORK_ANCHOR,
                    ),
                ),
                ("join", doc(string(), "The step where the branches meet.", FORK_ANCHOR)),
            ],
        ),
        FORK_KEYS,
    )
}

fn routes() -> Value {
    let route = with_required(
        object(
            ROUTE_KEYS,
            vec![
                ("step", doc(string(), "The next step.", "steps")),
                ("p", doc(probability(), "Probability of going there.", "steps")),
            ],
        ),
        ROUTE_KEYS,
    );
    array_of(route)
}

fn dist() -> Value {
    json!({"$ref": "#/definitions/distribution"})
}

/// A fixed duration, or `{ dist = NAME, … }` with exactly that distribution's parameters.
fn distribution() -> Value {
    let mut alts = vec![duration()];
    for name in DIST_NAMES {
        let keys = dist_keys(name).expect("every name in DIST_NAMES has keys");
        let props = keys
            .iter()
            .map(|k| {
                let v = match *k {
                    "dist" => json!({"type": "string", "enum": [name]}),
                    "k" => doc(
                        json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                        "Number of phases.",
                        "distributions",
                    ),
                    "shape" => {
                        doc(json!({"type": "number", "minimum": 0.1}), "Weibull shape, at least 0.1.", "distributions")
                    }
                    "values" => {
                        doc(array_of(duration()), "Observed durations, drawn with equal probability.", "distributions")
                    }
                    _ => duration(),
                };
                (*k, v)
            })
            .collect();
        alts.push(doc(with_required(object(keys, props), keys), &format!("The {name} distribution."), "distributions"));
    }
    doc(
        json!({"oneOf": alts}),
        "A distribution { dist = \"exponential\", mean = \"2min\" } or a fixed duration.",
        "distributions",
    )
}

fn calendar() -> Value {
    let hours = json!({"type": "string", "pattern": r"^\s*(closed|\s*[0-9]+:[0-9]+\s*-\s*[0-9]+:[0-9]+\s*)$"});
    let day = doc(
        json!({"oneOf": [hours.clone(), array_of(hours)]}),
        "Opening hours: \"09:00-17:00\", \"closed\", or an array of ranges.",
        "calendars-and-multi-day-work",
    );
    object(CAL_KEYS, CAL_KEYS.iter().map(|k| (*k, day.clone())).collect())
}

fn channel() -> Value {
    let a = "channels-and-hand-offs-with-context";
    with_required(
        object(
            CHANNEL_KEYS,
            vec![
                ("name", doc(string(), "Name of the channel.", a)),
                ("first_step", doc(string(), "Step where customers of this channel start.", a)),
            ],
        ),
        &["name"],
    )
}

fn shift() -> Value {
    let a = "shift-templates-shifts";
    let lunch = object(
        LUNCH_KEYS,
        vec![
            ("from", doc(clock(), "Earliest lunch start.", a)),
            ("to", doc(clock(), "Latest lunch end.", a)),
            ("length", doc(duration(), "Length of the lunch.", a)),
        ],
    );
    object(
        SHIFT_KEYS,
        vec![
            ("name", doc(string(), "Name of the shift template.", a)),
            ("resource", doc(string(), "The staff group this shift staffs.", a)),
            ("starts", doc(array_of(clock()), "Possible start times, e.g. [\"08:00\", \"12:00\"].", a)),
            ("length", doc(duration(), "Length of the shift, at most 24 hours.", a)),
            ("lunch", doc(lunch, "Lunch window: { from, to, length }.", a)),
            ("cost_per_hour", doc(json!({"type": "number", "minimum": 0}), "Cost per staff hour on this shift.", a)),
            ("min", doc(json!({"type": "integer", "minimum": 0}), "Fewest staff on this shift.", a)),
            ("max", doc(json!({"type": "integer", "minimum": 0}), "Most staff on this shift.", a)),
        ],
    )
}

fn variant() -> Value {
    let a = "variants";
    let channel_shift = object(
        CHANNEL_SHIFT_KEYS,
        vec![
            ("customer", doc(string(), "Customer type.", a)),
            ("from", doc(string(), "Channel customers move from.", a)),
            ("to", doc(string(), "Channel customers move to.", a)),
            ("share", doc(probability(), "Share that moves.", a)),
        ],
    );
    with_required(
        object(
            VARIANT_KEYS,
            vec![
                ("name", doc(string(), "Name of the variant (not \"baseline\").", a)),
                ("description", doc(string(), "What the redesign changes.", a)),
                (
                    "customers",
                    doc(
                        array_of(json!({"$ref": "#/definitions/customer"})),
                        "Customer types added or changed (merged by name).",
                        a,
                    ),
                ),
                (
                    "arrivals",
                    doc(
                        array_of(json!({"$ref": "#/definitions/arrival"})),
                        "Arrival streams added or changed (merged by name).",
                        a,
                    ),
                ),
                (
                    "resources",
                    doc(
                        array_of(json!({"$ref": "#/definitions/resource"})),
                        "Staff groups added or changed (merged by name).",
                        a,
                    ),
                ),
                (
                    "steps",
                    doc(array_of(json!({"$ref": "#/definitions/step"})), "Steps added or changed (merged by name).", a),
                ),
                ("remove_steps", doc(array_of(string()), "Steps removed (they become pass-throughs).", a)),
                ("remove_customers", doc(array_of(string()), "Customer types removed, with their arrivals.", a)),
                ("remove_arrivals", doc(array_of(string()), "Arrival streams removed.", a)),
                (
                    "arrival_scale",
                    doc(
                        json!({"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}),
                        "Rate factor per customer type, e.g. { retail = 0.8 }.",
                        a,
                    ),
                ),
                (
                    "channel_shift",
                    doc(array_of(channel_shift), "Move a share of a type's arrivals to another channel.", a),
                ),
            ],
        ),
        &["name"],
    )
}

fn expect() -> Value {
    let a = "expect";
    let bound = json!({"type": ["number", "string"]});
    with_required(
        object(
            EXPECT_KEYS,
            vec![
                ("name", doc(string(), "Label of the expectation in reports.", a)),
                ("kpi", doc(string(), "KPI path, e.g. \"wait_p90\" or \"customers.retail.wait_mean\".", a)),
                (
                    "variant",
                    doc(
                        json!({"oneOf": [string(), {"type": "array", "items": string(), "minItems": 1}]}),
                        "Variant or list of variants checked (default: baseline).",
                        a,
                    ),
                ),
                ("min", doc(bound.clone(), "Lower bound: a number, \"5%\" or a duration.", a)),
                ("max", doc(bound, "Upper bound: a number, \"5%\" or a duration.", a)),
                ("better_than", doc(string(), "The variant must beat this one significantly.", a)),
                (
                    "direction",
                    doc(
                        json!({"type": "string", "enum": ["lower", "higher"]}),
                        "Which way is better for `better_than`.",
                        a,
                    ),
                ),
            ],
        ),
        &["kpi"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property list of the schema is exactly a reader key list (built by `object`).
    #[test]
    fn builds_and_links_only_known_anchors() {
        let s = schema();
        assert_eq!(s["type"], "object");
        let text = schema_text();
        for part in text.split(&format!("{README}#")).skip(1) {
            let anchor: String = part.chars().take_while(|c| *c != ')').collect();
            assert!(ANCHORS.contains(&anchor.as_str()), "unlisted anchor {anchor}");
        }
    }
}
