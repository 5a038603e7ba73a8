//! The discovered model written as a scenario file, each inferred value with its evidence in
//! a comment (sample size, confidence interval or fit statistic), so a planner can see what
//! rests on 8 observations and what on 8,000.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Discovery;
use super::arrivals::BINS;
use super::fit::{Family, Fit};
use super::log::NONE;
use super::process::Routes;
use super::time::WEEKDAYS;

/// A TOML basic string.
pub fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A duration in minutes, 4 significant digits.
fn dur(x: f64) -> String {
    format!("{}min", sig(x))
}

fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (4 - 1 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn clock(m: f64) -> String {
    format!("{:02}:{:02}", (m / 60.0) as u32, (m % 60.0) as u32)
}

pub fn dist(f: &Family) -> String {
    match f {
        Family::Exponential { mean } => format!("{{ dist = \"exponential\", mean = \"{}\" }}", dur(*mean)),
        Family::Lognormal { mu, sigma } => {
            let mean = (mu + sigma * sigma / 2.0).exp();
            let sd = mean * ((sigma * sigma).exp() - 1.0).sqrt();
            format!("{{ dist = \"lognormal\", mean = \"{}\", sd = \"{}\" }}", dur(mean), dur(sd))
        }
        Family::Gamma { shape, scale } => {
            format!("{{ dist = \"gamma\", mean = \"{}\", sd = \"{}\" }}", dur(shape * scale), dur(shape.sqrt() * scale))
        }
        Family::Weibull { shape, scale } => {
            format!("{{ dist = \"weibull\", shape = {}, scale = \"{}\" }}", sig(*shape), dur(*scale))
        }
        Family::TruncNormal { mean, sd } => {
            format!("{{ dist = \"normal\", mean = \"{}\", sd = \"{}\" }}", dur(*mean), dur(*sd))
        }
        Family::Fixed { value } => format!("{{ dist = \"deterministic\", value = \"{}\" }}", dur(*value)),
        Family::Empirical { values } => {
            let v: Vec<String> = values.iter().map(|x| sig(*x)).collect();
            format!("{{ dist = \"empirical\", values = [{}] }}", v.join(", "))
        }
    }
}

/// The evidence of a fit. `n` is the number of observations; a fit of a sample (a step
/// visited more than `sample::CAP` times) says so, with the sample's size.
fn fit_comment(f: &Fit) -> String {
    let mut s = format!("n = {}", f.observed);
    if f.sampled() {
        let _ = write!(s, " (fitted to a uniform sample of {})", f.n);
    }
    if f.zeros > 0 {
        let of = if f.sampled() { " of the sample" } else { "" };
        let _ = write!(s, " ({} zero-length{of} left out of the fit)", f.zeros);
    }
    if f.aic.is_finite() {
        let _ = write!(s, ", AIC {:.1}, BIC {:.1}, KS D = {:.3} (p ≈ {:.2})", f.aic, f.bic, f.ks, f.ks_p);
        let others: Vec<String> = f.candidates.iter().map(|(n, a)| format!("{n} {a:.1}")).collect();
        let _ = write!(s, "; AIC of candidates: {}", others.join(", "));
    }
    if !f.note.is_empty() {
        let _ = write!(s, "; {}", f.note);
    }
    s
}

/// Routing probabilities as the scenario writes them, one per successor in `r.next`'s order:
/// millionths, rounded down so they never sum above 1; the remainder leaves, except where no
/// case ended here: then the most frequent successor takes it, so that rounding does not
/// invent a way out (which a step on a parallel branch must not have). The fit report shows
/// the same values.
pub fn route_probabilities(r: &Routes) -> Vec<f64> {
    let total = r.total().max(1) as u128;
    let counts: Vec<u64> = r.next.values().copied().collect();
    let mut micros: Vec<u64> = counts.iter().map(|n| (*n as u128 * 1_000_000 / total) as u64).collect();
    if r.ended == 0 {
        let rest = 1_000_000u64.saturating_sub(micros.iter().sum());
        // The first of the most frequent successors (a stable choice).
        if let Some(i) = (0..counts.len()).rev().max_by_key(|&i| counts[i]) {
            micros[i] += rest;
        }
    }
    micros.iter().map(|m| *m as f64 / 1e6).collect()
}

/// A step's `next` list and its evidence comment.
fn routes(r: &Routes, names: &[String]) -> (String, String) {
    let mut items = Vec::new();
    let mut evidence = Vec::new();
    for ((a, n), p) in r.next.iter().zip(route_probabilities(r)) {
        items.push(format!("{{ step = {}, p = {} }}", q(&names[*a as usize]), p));
        evidence.push(format!("{n}"));
    }
    let text = format!("[{}]", items.join(", "));
    let ev = format!("{} of {} visits; {} ended here", evidence.join(" + "), r.total(), r.ended);
    (text, ev)
}

/// A pool's staff: the number of distinct members, or a daily schedule per half-hour when some
/// open hour had fewer members on duty on every date (lunch breaks, shorter shifts). On a
/// calendar a schedule repeats every day from `start` (00:00); closed hours do not matter.
fn schedule(p: &super::pools::Pool) -> String {
    use super::pools::{SLOT, SLOTS};
    let n = p.members.len() as u32;
    let open = |h: usize| p.hours.iter().flatten().any(|(a, b)| (*a / SLOT) as usize <= h && h < (*b / SLOT) as usize);
    if p.hours.iter().all(Vec::is_empty) || !(0..SLOTS).any(|h| open(h) && p.staff_by_slot[h] < n) {
        return n.to_string();
    }
    let v: Vec<String> = (0..SLOTS).map(|h| if open(h) { p.staff_by_slot[h].max(1) } else { n }.to_string()).collect();
    format!(
        "[{}]\ninterval = \"30min\"   # staff per half-hour of the day: the most members starting work in it on one date",
        v.join(", ")
    )
}

/// Where arrivals the log does not record were placed, and the queue discipline that allowed it.
fn hidden_comment(o: &mut String, h: &super::hidden_arrivals::Summary) {
    if h.hidden == 0 {
        return;
    }
    let judged: Vec<String> = h
        .pools
        .iter()
        .map(|(p, n, over, fifo)| {
            format!("{p}: {over} of {n} visits overtook an earlier one, {}", if *fifo { "FIFO" } else { "not FIFO" })
        })
        .collect();
    let _ = writeln!(
        o,
        "# The log records no arrival for {} cases: {} of them arrived before their first start (a mean {} earlier),",
        h.hidden,
        h.moved,
        dur(h.mean_wait)
    );
    let _ = writeln!(
        o,
        "# placed between the enable times of the visits their first start came after and before in a FIFO queue ({}).",
        if judged.is_empty() { "no pool with enough visible waits".to_string() } else { judged.join("; ") }
    );
}

/// A pool's `breaks` line with its evidence (see `breaks`).
fn breaks(b: &super::breaks::PoolBreaks) -> String {
    let items: Vec<String> = b
        .breaks
        .iter()
        .map(|x| format!("{{ start = {}, length = {}, staff = {} }}", q(&clock(x.start)), q(&dur(x.length)), x.staff))
        .collect();
    format!(
        "breaks = [{}]\n# breaks: fewer than {} members on duty while work waited, on {} of the {} dates with waited work there ({} date × 5-minute bins; \
         {} dates worked); the level is the upper quartile over dates per 5 minutes\n",
        items.join(", "),
        b.level,
        b.dates_below,
        b.dates_seen,
        b.samples,
        b.dates
    )
}

fn names_of(d: &Discovery) -> &[String] {
    &d.log.activities.names
}

fn batch_calendar(step: &str) -> String {
    format!("{step} releases")
}

/// Writes the scenario. `schema` adds the `#:schema` line (only when the relative path
/// resolves from the output's folder).
pub fn scenario(d: &Discovery, schema: bool) -> String {
    let log = &d.log;
    let mut o = String::new();
    if schema {
        o.push_str("#:schema ../docs/scenario.schema.json\n");
    }
    let _ = writeln!(o, "# Discovered by `branchsim discover` from {}", d.source);
    let _ = writeln!(
        o,
        "# {} cases, {} events, {} activities, {} resources; {}.",
        log.cases,
        log.events.len(),
        log.activities.len(),
        log.resources.len(),
        log.describe_span()
    );
    for line in log.issues.report(&d.source).lines() {
        let _ = writeln!(o, "# data: {line}");
    }
    o.push_str(
        "# Every inferred value carries its evidence in a comment: n (observations), 95% CI or fit statistics.\n\n",
    );
    let weeks = d.weeks;
    let _ = writeln!(o, "name = {}", q(&format!("discovered from {}", d.source_name)));
    let _ = writeln!(o, "description = {}", q(&format!("As-is model of {}", log.describe_span())));
    o.push_str("time_unit = \"min\"\nstart = \"00:00\"          # t = 0 is a Monday midnight: the arrival profile below is per hour of the week\nstart_day = \"mon\"\n");
    if let Some(monday) = super::horizon::start(d) {
        // The Monday of the log's first arrival: simulated dates continue the log's, and a
        // horizon longer than the log (`--weeks`, `--until`) simulates the period after it with
        // the backlog the log's own cases built up (see scenarios/README.md, "From your data").
        let label = super::time::label(monday);
        let _ =
            writeln!(o, "start_date = {}   # the Monday of the first arrival", q(label.get(..10).unwrap_or(&label)));
    }
    let _ = writeln!(o, "horizon = \"{}d\"            # {}", weeks * 7, super::horizon::describe(d));
    o.push_str("seed = 1\nreplications = 20\n\n");

    // Calendars of the pools.
    for p in &d.pools {
        if p.hours.iter().all(Vec::is_empty) {
            continue;
        }
        let _ = writeln!(
            o,
            "[calendars.{}]   # hours in which members start work (≥ 1/4 of a typical hour's starts)",
            q(&p.name)
        );
        for (wd, hours) in p.hours.iter().enumerate() {
            if hours.is_empty() {
                let _ = writeln!(o, "{} = \"closed\"", WEEKDAYS[wd]);
            } else {
                let r: Vec<String> = hours.iter().map(|(a, b)| q(&format!("{}-{}", clock(*a), clock(*b)))).collect();
                let _ = writeln!(o, "{} = [{}]", WEEKDAYS[wd], r.join(", "));
            }
        }
        o.push('\n');
    }

    // Release days of timed batches.
    for b in &d.batches {
        let _ = writeln!(
            o,
            "[calendars.{}]   # weekdays with releases of the batch",
            q(&batch_calendar(&names_of(d)[b.activity as usize]))
        );
        let until = (b.at + 60.0).min(1439.0);
        for (wd, open) in b.days.iter().enumerate() {
            if *open {
                let _ = writeln!(o, "{} = {}", WEEKDAYS[wd], q(&format!("{}-{}", clock(b.at), clock(until))));
            } else {
                let _ = writeln!(o, "{} = \"closed\"", WEEKDAYS[wd]);
            }
        }
        o.push('\n');
    }

    // Customers.
    let types: Vec<(u32, u64)> = d.process.cases_by_type.iter().map(|(t, n)| (*t, *n)).collect();
    let total_cases: u64 = types.iter().map(|t| t.1).sum::<u64>().max(1);
    let type_name = |t: u32| -> String {
        if t == NONE {
            if log.tickets { "customer".into() } else { "case".into() }
        } else {
            log.types.names[t as usize].clone()
        }
    };
    let names = &log.activities.names;
    for (t, n) in &types {
        let firsts: Vec<(u32, u64)> =
            d.process.first.iter().filter(|((ty, _), _)| ty == t).map(|((_, a), c)| (*a, *c)).collect();
        let main = firsts.iter().max_by_key(|f| f.1).map(|f| f.0).unwrap_or(0);
        o.push_str("[[customers]]\n");
        let _ = writeln!(o, "name = {}            # {n} of {total_cases} cases", q(&type_name(*t)));
        let _ = writeln!(o, "first_step = {}", q(&names[main as usize]));
        if let Some((level, n)) = d.priorities.get(t) {
            let _ = writeln!(
                o,
                "priority = {level}   # overtook {n} waiting customers of lower types, almost never the other way"
            );
        }
        let patience = d.patience_by_type.get(t);
        let balk = d.balks.get(t);
        if log.tickets || patience.is_some() || balk.is_some() {
            o.push_str("kind = \"customer\"\n");
        } else {
            o.push_str("kind = \"case\"\n");
        }
        if let Some(p) = patience {
            let _ = writeln!(
                o,
                "patience = {{ dist = \"exponential\", mean = \"{}\" }}   # censored MLE: {} left unserved, {} served (censored at their wait); Kaplan–Meier median {}",
                dur(p.exp_mean),
                p.abandoned,
                p.censored,
                p.km_median.map_or("not reached".to_string(), dur)
            );
        }
        if let Some((limit, n)) = balk {
            let _ = writeln!(
                o,
                "balk_at = {}   # the shortest queue any of the {n} customers who refused to queue saw",
                (*limit).max(1)
            );
        }
        o.push('\n');
    }

    // Arrivals: one stream per (type, first activity), the weekly profile scaled by share.
    let a = &d.arrivals;
    o.push_str("# Arrivals per hour of the week (non-homogeneous Poisson, rate = arrivals in the hour / number of\n");
    o.push_str("# such weekdays in the log); 95% Poisson CI of each non-zero hour:\n");
    for (wd, day) in WEEKDAYS.iter().enumerate() {
        if a.closed(wd) {
            let _ = writeln!(o, "#   {day}: no arrivals on {} {day}s: closed", a.days[wd]);
            continue;
        }
        let mut parts = Vec::new();
        for h in 0..BINS {
            let (r, lo, hi) = a.rate(wd, h);
            if a.counts[wd][h] > 0 {
                parts.push(format!("{h:02}h {} [{}, {}]", sig(r), sig(lo), sig(hi)));
            }
        }
        let _ = writeln!(
            o,
            "#   {} (n = {} over {} days): {}",
            WEEKDAYS[wd],
            a.counts[wd].iter().sum::<u64>(),
            a.days[wd],
            parts.join("; ")
        );
    }
    if !a.quiet_dates.is_empty() {
        let _ = writeln!(
            o,
            "# Dates without arrivals on open weekdays (holidays? not modelled): {}",
            a.quiet_dates.join(", ")
        );
    }
    hidden_comment(&mut o, &d.hidden);
    for (t, n) in &types {
        let firsts: Vec<(u32, u64)> =
            d.process.first.iter().filter(|((ty, _), _)| ty == t).map(|((_, a), c)| (*a, *c)).collect();
        for (f, c) in firsts {
            let mut profile = String::new();
            for w in 0..weeks {
                for (wd, day) in WEEKDAYS.iter().enumerate() {
                    let hour = |h: usize| (w as usize * 7 + wd) * BINS + h;
                    let rs: Vec<String> = (0..BINS)
                        .map(|h| {
                            let r = a.stream_rate((*t, f), wd, h) * super::horizon::open_share(d, hour(h));
                            q(&format!("{}/h", sig(r)))
                        })
                        .collect();
                    let _ = write!(profile, "  {},", rs.join(", "));
                    if w == 0 {
                        let _ = write!(profile, "   # {day}");
                    }
                    profile.push('\n');
                }
            }
            o.push_str("[[arrivals]]\n");
            let _ = writeln!(o, "name = {}", q(&format!("{} → {}", type_name(*t), names[f as usize])));
            let _ = writeln!(o, "customer = {}", q(&type_name(*t)));
            let _ = writeln!(o, "first_step = {}", q(&names[f as usize]));
            let _ = writeln!(
                o,
                "interval = \"1h\"          # {c} of {total_cases} cases ({n} of this type) start here; its own weekly profile"
            );
            let _ = writeln!(o, "rates = [\n{profile}]\n");
        }
    }

    // Resources.
    let mut queue_of: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for p in &d.pools {
        for a in &p.activities {
            queue_of.entry(*a).or_default().push(&p.name);
        }
    }
    let resumed = super::resumed::across_closing(log, &d.pools);
    for (pi, p) in d.pools.iter().enumerate() {
        let members: Vec<&str> = p.members.iter().map(|m| log.resources.names[*m as usize].as_str()).collect();
        let skills: Vec<String> = p
            .activities
            .iter()
            .filter(|a| queue_of.get(a).is_some_and(|v| v.len() > 1))
            .map(|a| q(&names[*a as usize]))
            .collect();
        let acts: Vec<&str> = p.activities.iter().map(|a| names[*a as usize].as_str()).collect();
        o.push_str("[[resources]]\n");
        let _ = writeln!(o, "name = {}", q(&p.name));
        let peak = p.busy.iter().flatten().fold(0.0f64, |m, x| m.max(*x));
        let _ = writeln!(
            o,
            "staff = {}            # distinct members seen ({}); at most {} starting work in one hour on average; {} events",
            schedule(p),
            members.join(", "),
            sig(peak),
            p.events
        );
        let _ = writeln!(o, "# performs: {}", acts.join(", "));
        if !skills.is_empty() {
            let _ = writeln!(o, "skills = [{}]   # activities shared with other pools", skills.join(", "));
        }
        if !p.hours.iter().all(Vec::is_empty) {
            let _ = writeln!(o, "calendar = {}", q(&p.name));
        }
        if let Some(b) = d.breaks.get(pi).filter(|b| !b.breaks.is_empty()) {
            o.push_str(&breaks(b));
        }
        let interrupted = p.members.iter().filter(|m| log.preempted.contains(m)).count();
        if interrupted > 0 {
            let _ = writeln!(
                o,
                "on_shift_end = \"preempt\"   # {interrupted} member(s) had work interrupted and resumed later"
            );
        } else if resumed[pi] > 0 {
            let _ = writeln!(
                o,
                "on_shift_end = \"preempt\"   # {} of {} events stopped at closing and went on at the next opening",
                resumed[pi], p.events
            );
        }
        if let Some(sp) = d.process.speeds.get(&pi) {
            let _ = writeln!(
                o,
                "speed = {}   # its mean durations over the reference pools' at shared activities (SE {}, {} visits)",
                sig(sp.factor),
                sig(sp.se),
                sp.n
            );
        }
        o.push('\n');
    }

    // Steps.
    let multi_type = types.len() > 1;
    for s in &d.process.steps {
        let name = &names[s.activity as usize];
        o.push_str("[[steps]]\n");
        let _ = writeln!(o, "name = {}            # {} visits", q(name), s.visits);
        match queue_of.get(&s.activity).map(Vec::as_slice) {
            Some([one]) => {
                let _ = writeln!(o, "resource = {}", q(one));
            }
            Some(_) => {
                let _ = writeln!(o, "resource = {}   # a skill of several pools", q(name));
            }
            None => o.push_str("# no resource in the log: a pure delay\n"),
        }
        let batch = d.batches.iter().find(|b| b.activity == s.activity);
        if let Some(b) = batch {
            let _ = writeln!(
                o,
                "batch = {{ at = {}, calendar = {} }}   # {} of {} releases at this time, {} visits each on average",
                q(&clock(b.at)),
                q(&batch_calendar(name)),
                b.on_time,
                b.releases,
                sig(b.mean_size)
            );
        }
        match batch.and_then(|b| b.fit.as_ref()).or(s.fit.as_ref()) {
            Some(f) => {
                let _ = writeln!(o, "service = {}", dist(&f.family));
                let _ = writeln!(o, "# service fit: {}", fit_comment(f));
            }
            None => o.push_str("service = \"0min\"   # no finished event: duration unknown\n"),
        }
        if s.wait_n > 0 {
            let _ = writeln!(
                o,
                "# observed wait before the step (start − enable time): mean {} over {} visits",
                dur(s.wait_sum / s.wait_n as f64),
                s.wait_n
            );
        }
        for (t, f) in &s.fit_for {
            let _ = writeln!(o, "service_for.{} = {}", q(&type_name(*t)), dist(&f.family));
            let _ = writeln!(o, "# service fit for {}: {}", type_name(*t), fit_comment(f));
        }
        if let Some(block) = d.process.parallel.fork_at(s.activity) {
            let branches: Vec<String> = block
                .branches
                .iter()
                .map(|b| {
                    let n = q(&names[b.first as usize]);
                    if b.share >= 0.98 { n } else { format!("{{ step = {n}, p = {} }}", sig(b.share)) }
                })
                .collect();
            let _ = writeln!(
                o,
                "fork = {{ branches = [{}], join = {} }}   # branches overlapped in time in {} of {} cases",
                branches.join(", "),
                q(&names[block.join as usize]),
                block.overlapping,
                block.forks
            );
            o.push('\n');
            continue;
        }
        let mut own = s.routes.clone();
        let mut own_for = s.routes_for.clone();
        if let Some(dl) = &s.delayed {
            let repeats = own.next.remove(&dl.to).unwrap_or(0);
            for r in own_for.values_mut() {
                r.next.remove(&dl.to);
            }
            let p = (repeats as f64 / s.routes.total().max(1) as f64 * 1e6).floor() / 1e6;
            let back =
                if dl.to == s.activity { String::new() } else { format!(", back_to = {}", q(&names[dl.to as usize])) };
            let _ = writeln!(
                o,
                "repeat_info = {{ p = {p}{back}, delay = {} }}   # {repeats} of {} visits went on after a delay ({} of {} such transitions delayed); delay fit: {}",
                dist(&dl.fit.family),
                s.routes.total(),
                dl.delayed,
                dl.transitions,
                fit_comment(&dl.fit)
            );
        }
        if !own.next.is_empty() {
            let (text, ev) = routes(&own, names);
            let _ = writeln!(o, "next = {text}   # {ev}");
        }
        if multi_type {
            for (t, r) in &own_for {
                let (text, ev) = routes(r, names);
                let _ = writeln!(o, "next_for.{} = {text}   # {ev}", q(&type_name(*t)));
            }
        }
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(text: &str) -> Vec<f64> {
        text.split(", p = ").skip(1).map(|t| t.split([' ', '}']).next().unwrap().parse().unwrap()).collect()
    }

    #[test]
    fn rounding_opens_no_way_out_where_no_case_ended() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        // Thirds: rounded down they sum to 0.999999, which would leave at 1e-6.
        let r = Routes { next: [(0, 1), (1, 1), (2, 1)].into_iter().collect(), ended: 0 };
        let p = ps(&routes(&r, &names).0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
        assert_eq!(p, [0.333334, 0.333333, 0.333333]);
        // 1 of 7 ended: the remainder still leaves.
        let r = Routes { next: [(0, 2), (1, 4)].into_iter().collect(), ended: 1 };
        let p = ps(&routes(&r, &names).0);
        assert_eq!(p, [0.285714, 0.571428]);
    }
}
