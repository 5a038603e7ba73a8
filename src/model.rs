//! The compiled model: what the engine runs.
//!
//! Everything is resolved to indices and prepared numbers (rates per minute, distribution
//! parameters already transformed), so the event loop never looks up a name or recomputes a
//! parameter. Built only by `scenario::compile`, which guarantees the invariants the engine
//! relies on (indices in range, probabilities summing to at most 1, schedules covering the
//! horizon, finite positive parameters).

use rand_distr::{Distribution, Exp1, Gamma, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng as RandRng, TryRng};

use crate::scenario::units::TimeUnit;

mod hot;
pub use hot::{ArrivalHot, Flags, Hot, LEAVE, NONE, StepHot};

/// The generator of a sequential stream (arrivals of one stream in one replication).
pub type Rng = Xoshiro256PlusPlus;

/// A tiny counter-based generator (wyrand, the generator of the `fastrand` crate: a counter
/// stepped by an odd constant, folded by one 128-bit multiply) for the draws that belong to
/// one customer at one step visit: its service time, its patience, its routing choice.
///
/// Seeding it from (replication, purpose, customer, visit) instead of drawing from a shared
/// sequential stream keeps common random numbers synchronised between variants: customer k
/// of an arrival stream gets the same service time at its n-th step in every variant, however
/// the order of service starts changes. Each purpose still has its own family of streams.
#[derive(Clone, Debug)]
pub struct DrawRng(u64);

impl TryRng for DrawRng {
    type Error = std::convert::Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(WY0);
        Ok(mum(self.0, self.0 ^ WY1))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// Seed of a replication, mixed from the base seed (shared by sequential streams and draws).
#[inline]
pub fn replication_seed(seed: u64, replication: u64) -> u64 {
    mix64(mix64(seed ^ 0x5851_F42D_4C95_7F2D).wrapping_add(replication))
}

/// The generator for purpose `key` of customer `id` at its `visit`-th step entry.
///
/// Its state is wyhash's hash of the 128 bits (customer, visit and purpose and replication):
/// two multiply-folds (`mum`), about a third of the work of chained SplitMix64 finalisers, and
/// this runs once per service time, patience and routing choice. The visit is spread by an
/// odd multiplier before it meets the key, so no two (purpose, visit) pairs of a model share
/// a stream by accident.
#[inline]
pub fn draw_rng(rep_seed: u64, key: u64, id: u64, visit: u32) -> DrawRng {
    let h = mum(id ^ WY1, key ^ rep_seed ^ u64::from(visit).wrapping_mul(WY2));
    DrawRng(mum(h ^ WY0, WY3))
}

/// wyhash's constants (odd, with balanced bits).
const WY0: u64 = 0xa076_1d64_78bd_642f;
const WY1: u64 = 0xe703_7ed1_a0b4_28db;
const WY2: u64 = 0x8ebc_6af0_9c88_c6e3;
const WY3: u64 = 0x5899_65cc_7537_4cc3;

/// The 128-bit product of `a` and `b`, folded to 64 bits (high half xor low half).
#[inline(always)]
fn mum(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// A uniform number in [0, 1) from the top 53 bits.
#[inline]
pub fn uniform01<R: RandRng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A prepared duration distribution (minutes).
#[derive(Clone, Debug)]
pub enum Dist {
    Exponential {
        mean: f64,
    },
    Deterministic {
        value: f64,
    },
    Uniform {
        min: f64,
        width: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Normal truncated at 0 by rejection (mean > 0, so at least half the mass is kept).
    Normal {
        mean: f64,
        sd: f64,
    },
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Gamma {
        gamma: Gamma<f64>,
        mean: f64,
    },
    Weibull {
        inv_shape: f64,
        scale: f64,
    },
    Empirical {
        values: Vec<f64>,
    },
}

#[inline(always)]
fn exponential<R: RandRng + ?Sized>(mean: f64, rng: &mut R) -> f64 {
    let e: f64 = Exp1.sample(rng);
    mean * e
}

impl Dist {
    /// One draw. The exponential, the most common service and patience time, is drawn inline
    /// at the call site; the others go through a call (the event loop stays small).
    #[inline(always)]
    pub fn sample<R: RandRng + ?Sized>(&self, rng: &mut R) -> f64 {
        if let Dist::Exponential { mean } = self {
            return exponential(*mean, rng);
        }
        self.sample_other(rng)
    }

    #[inline(never)]
    fn sample_other<R: RandRng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Exponential { mean } => exponential(*mean, rng),
            Dist::Deterministic { value } => *value,
            Dist::Uniform { min, width } => min + width * uniform01(rng),
            Dist::Triangular { min, mode, max } => {
                let u = uniform01(rng);
                let f = (mode - min) / (max - min);
                if u < f {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Normal { mean, sd } => {
                for _ in 0..64 {
                    let z: f64 = StandardNormal.sample(rng);
                    let x = mean + sd * z;
                    if x >= 0.0 {
                        return x;
                    }
                }
                0.0
            }
            Dist::Lognormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Gamma { gamma, .. } => gamma.sample(rng),
            Dist::Weibull { inv_shape, scale } => {
                let u = 1.0 - uniform01(rng);
                scale * (-u.ln()).powf(*inv_shape)
            }
            Dist::Empirical { values } => {
                let i = ((uniform01(rng) * values.len() as f64) as usize).min(values.len() - 1);
                values[i]
            }
        }
    }
}

/// A customer type (segment).
#[derive(Clone, Debug)]
pub struct CustomerType {
    pub name: String,
    pub first_step: usize,
    /// Rank of the priority among all types: 0 is served first.
    pub level: usize,
    pub priority: i64,
    pub patience: Option<Dist>,
    pub balk_at: Option<u32>,
    /// Seed key of this type's patience stream.
    pub patience_key: u64,
    /// A back-office case (loan file, application): never reneges or balks.
    pub case: bool,
    /// Longest wait this type tolerates (minutes), for `satisfied_rate`.
    pub tolerance: f64,
}

#[derive(Clone, Debug)]
pub enum RateProfile {
    /// Events per minute.
    Constant(f64),
    /// Piecewise-constant rates per minute, interval `interval` each from t = 0; zero after.
    Piecewise { interval: f64, rates: Vec<f64> },
    /// A repeating profile (daily profile under a calendar, weekly factors): rates per minute.
    Timeline(Timeline),
}

impl RateProfile {
    /// Expected number of arrivals in [0, t): the integral of the rate.
    pub fn integral(&self, t: f64) -> f64 {
        match self {
            RateProfile::Constant(r) => r * t,
            RateProfile::Piecewise { interval, rates } => {
                let mut acc = 0.0;
                for (i, r) in rates.iter().enumerate() {
                    let a = i as f64 * interval;
                    if a >= t {
                        break;
                    }
                    acc += r * ((a + interval).min(t) - a);
                }
                acc
            }
            RateProfile::Timeline(tl) => tl.integral(t),
        }
    }

    pub fn max_rate(&self) -> f64 {
        match self {
            RateProfile::Constant(r) => *r,
            RateProfile::Piecewise { rates, .. } => rates.iter().copied().fold(0.0, f64::max),
            RateProfile::Timeline(tl) => tl.max(),
        }
    }
}

/// Minutes in a day and in a week: calendars repeat weekly, daily schedules daily.
pub const DAY: f64 = 1440.0;
pub const WEEK: f64 = 7.0 * DAY;

/// A piecewise-constant function of time that repeats with `period`: `values[i]` holds on
/// `[times[i], times[i + 1])` of each period (the last one until the period ends).
/// Calendars, daily staff schedules with breaks and weekly arrival profiles all compile to it,
/// so the engine handles one shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Starts of the segments within one period; `times[0] == 0`, increasing.
    pub times: Vec<f64>,
    pub values: Vec<f64>,
    pub period: f64,
    /// Integral of the function over one period.
    pub per_period: f64,
}

impl Timeline {
    pub fn new(times: Vec<f64>, values: Vec<f64>, period: f64) -> Timeline {
        let mut tl = Timeline { times, values, period, per_period: 0.0 };
        tl.per_period = (0..tl.times.len()).map(|i| tl.values[i] * (tl.end(i) - tl.times[i])).sum();
        tl
    }

    /// End of segment `i` within the period.
    #[inline]
    pub fn end(&self, i: usize) -> f64 {
        self.times.get(i + 1).copied().unwrap_or(self.period)
    }

    /// (period number, segment index) of time `t`.
    #[inline]
    pub fn locate(&self, t: f64) -> (u64, usize) {
        let k = (t / self.period).floor().max(0.0);
        let r = t - k * self.period;
        let i = self.times.partition_point(|&x| x <= r).saturating_sub(1);
        (k as u64, i)
    }

    pub fn at(&self, t: f64) -> f64 {
        self.values[self.locate(t).1]
    }

    /// Integral over [0, t).
    pub fn integral(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let (k, i) = self.locate(t);
        let r = t - k as f64 * self.period;
        let mut acc = k as f64 * self.per_period;
        for j in 0..i {
            acc += self.values[j] * (self.end(j) - self.times[j]);
        }
        acc + self.values[i] * (r - self.times[i])
    }

    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }
}

/// Instants that repeat every `period` (batch release times, appointment slots): the n-th
/// instant overall is `times[n % len] + (n / len) * period`.
#[derive(Clone, Debug, PartialEq)]
pub struct Instants {
    pub times: Vec<f64>,
    pub period: f64,
}

impl Instants {
    #[inline]
    pub fn nth(&self, n: u64) -> Option<f64> {
        let len = self.times.len() as u64;
        if len == 0 {
            return None;
        }
        Some(self.times[(n % len) as usize] + (n / len) as f64 * self.period)
    }

    /// Index of the first instant at or after `t`.
    pub fn first_from(&self, t: f64) -> u64 {
        let len = self.times.len() as u64;
        if len == 0 {
            return 0;
        }
        let k = (t / self.period).floor().max(0.0);
        let r = t - k * self.period;
        let i = self.times.partition_point(|&x| x < r) as u64;
        k as u64 * len + i
    }
}

/// Opening hours, compiled to open intervals of simulation time within one week.
#[derive(Clone, Debug)]
pub struct Calendar {
    pub name: String,
    /// 1.0 while open, 0.0 while closed.
    pub open: Timeline,
}

impl Calendar {
    pub fn is_open(&self, t: f64) -> bool {
        self.open.at(t) > 0.0
    }

    /// Open minutes in [a, b): working time.
    pub fn worked(&self, a: f64, b: f64) -> f64 {
        self.open.integral(b) - self.open.integral(a)
    }
}

#[derive(Clone, Debug)]
pub struct ArrivalStream {
    pub name: String,
    pub customer: usize,
    pub profile: RateProfile,
    pub key: u64,
    /// Where customers of this stream start (the arrival's, its channel's or its type's).
    pub first_step: usize,
    pub channel: Option<String>,
    /// Booked appointments instead of Poisson walk-ins (`profile` is then unused).
    pub appointments: Option<Appointments>,
}

/// Scheduled appointment slots: one booked customer per slot, who may not show up and
/// arrives early or late around the slot time.
#[derive(Clone, Debug)]
pub struct Appointments {
    pub slots: Instants,
    pub no_show: f64,
    /// Arrival offset from the slot: normal(mean, sd), clamped to [-lead, +inf).
    pub offset_mean: f64,
    pub offset_sd: f64,
}

/// How far before its slot an appointment customer can arrive (minutes): slots are decided
/// this long in advance, which bounds earliness.
pub const APPOINTMENT_LEAD: f64 = 60.0;

#[derive(Clone, Debug)]
pub enum Staffing {
    Constant(u32),
    /// `staff[i]` from `i * interval`; the last value holds after the schedule ends.
    Schedule {
        interval: f64,
        staff: Vec<u32>,
    },
    /// A repeating staffing pattern (calendar, daily schedule, breaks), staff counts as values.
    Timeline(Timeline),
}

impl Staffing {
    pub fn at(&self, t: f64) -> u32 {
        match self {
            Staffing::Constant(n) => *n,
            Staffing::Schedule { interval, staff } => {
                let i = ((t / interval).floor().max(0.0) as usize).min(staff.len() - 1);
                staff[i]
            }
            Staffing::Timeline(tl) => tl.at(t) as u32,
        }
    }

    /// Staff-minutes scheduled over [a, b).
    ///
    /// Inlined for a constant staffing (the utilisation series asks for every bin of every
    /// resource, thousands in a region); the others go out of line.
    #[inline]
    pub fn staff_minutes(&self, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        match self {
            Staffing::Constant(n) => f64::from(*n) * (b - a),
            _ => self.varying_minutes(a, b),
        }
    }

    /// `staff_minutes` of a schedule or timeline, `a < b`.
    #[inline(never)]
    fn varying_minutes(&self, a: f64, b: f64) -> f64 {
        match self {
            Staffing::Constant(_) => self.staff_minutes(a, b),
            Staffing::Schedule { interval, staff } => {
                let mut acc = 0.0;
                let last = staff.len() - 1;
                // Only the entries overlapping [a, b) add anything (one interval of slack
                // each side for rounding): the same additions in the same order as over all
                // entries, at the cost of the bins' width instead of the schedule's length
                // (the utilisation series asks for every bin of every resource).
                let first = ((a / interval).floor().max(0.0) as usize).saturating_sub(1).min(last);
                let end = ((b / interval).ceil().max(0.0) as usize).saturating_add(2).min(staff.len());
                for (i, s) in staff.iter().enumerate().take(end).skip(first) {
                    let lo = i as f64 * interval;
                    let hi = if i == last { f64::INFINITY } else { lo + interval };
                    let (x, y) = (lo.max(a), hi.min(b));
                    if y > x {
                        acc += f64::from(*s) * (y - x);
                    }
                }
                acc
            }
            Staffing::Timeline(tl) => tl.integral(b) - tl.integral(a),
        }
    }

    pub fn max(&self) -> u32 {
        match self {
            Staffing::Constant(n) => *n,
            Staffing::Schedule { staff, .. } => staff.iter().copied().max().unwrap_or(0),
            Staffing::Timeline(tl) => tl.max() as u32,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub name: String,
    pub staff: Staffing,
    pub cost_per_hour: f64,
    /// Work queues (pools) this group serves, in its order of preference: its own pool
    /// (steps naming the resource) first, then its skills.
    pub skills: Vec<usize>,
    /// Service-time factor of this group (1.3 = trainees take 30% longer, 0.8 = experts).
    pub speed: f64,
    /// At a capacity drop, interrupt services in progress (resumed later) instead of letting
    /// them finish.
    pub preempt: bool,
    /// An automated resource (RPA, AI): shown as such in reports.
    pub automated: bool,
}

/// A work queue: the steps that need one skill, and the staff groups that have it, in the
/// order a newly arrived customer tries them (groups listing the skill earlier first, then in
/// declaration order).
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub groups: Vec<usize>,
}

/// After an automated step: a share fails and goes to a human exception step.
#[derive(Clone, Debug)]
pub struct Automation {
    pub success: f64,
    pub on_failure: usize,
    /// Share of successes that go straight to `touchless_to`, skipping manual work.
    pub touchless: f64,
    pub touchless_to: Option<usize>,
}

/// Information the customer must provide again (information silos).
#[derive(Clone, Debug)]
pub struct Repeat {
    pub p: f64,
    /// Revisit this earlier step; without it, the step is redone after `delay`.
    pub back_to: Option<usize>,
    /// Index into `Model::dists` of the rework delay.
    pub delay: Option<usize>,
}

/// Cases processed together.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Release as soon as this many wait.
    pub size: Option<u32>,
    /// Release whoever waits at these instants (e.g. a committee at 15:00 on working days).
    pub at: Option<Instants>,
    /// Most cases per release.
    pub max: u32,
}

/// Where a customer of one type goes after a step: cumulative probabilities; beyond the
/// last, it leaves the process.
#[derive(Clone, Debug, Default)]
pub struct Route {
    pub cum: Vec<f64>,
    pub to: Vec<usize>,
}

impl Route {
    #[inline]
    pub fn pick(&self, u: f64) -> Option<usize> {
        self.cum.iter().position(|&c| u < c).map(|i| self.to[i])
    }

    pub fn leave_probability(&self) -> f64 {
        1.0 - self.cum.last().copied().unwrap_or(0.0)
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    /// The work queue (pool) whose staff serve this step; `None` for a pure delay.
    pub pool: Option<usize>,
    /// Service distribution per customer type (index into `Model::dists`).
    pub service: Vec<usize>,
    /// Routing per customer type.
    pub route: Vec<Route>,
    pub service_key: u64,
    pub routing_key: u64,
    /// Removed by a variant: customers pass through in zero time, routed as before.
    pub pass_through: bool,
    pub automation: Option<Automation>,
    pub repeat: Option<Repeat>,
    pub repeat_key: u64,
    pub batch: Option<Batch>,
    /// Factor on the customer's next service time (a hand-off with context is shorter).
    pub context_factor: f64,
    /// Parallel work: when the visit ends the case splits into one token per branch taken
    /// (instead of `route`, which is then empty), to meet again at the join step.
    pub fork: Option<Fork>,
    /// The fork step whose branches meet here (this step is a join).
    pub join_of: Option<usize>,
    /// A routing-only node (no resource, no service, no batch): zero time, a BPMN gateway.
    pub gateway: bool,
    /// Whether entering the step needs more than "queue or be served": removed by a variant
    /// (`pass_through`), a gateway or a join. One flag, so the engine's entry tests one byte.
    pub special: bool,
}

/// A parallel split (see `engine::fork`).
#[derive(Clone, Debug)]
pub struct Fork {
    pub branches: Vec<Branch>,
    /// The step where the branches meet.
    pub join: usize,
}

/// One branch of a fork: taken with probability `p` (1 for an AND split).
#[derive(Clone, Debug)]
pub struct Branch {
    pub step: usize,
    pub p: f64,
    /// Keys the branch token's identity (and the draw deciding whether it is taken) by the
    /// branch's first step name, so reordering or adding branches keeps each one's numbers.
    pub key: u64,
}

impl Step {
    /// Share of visits that end in the step's routing (`next` or `fork`): not sent to rework,
    /// to an automation failure or to a touchless shortcut. The same arithmetic as `outcomes`.
    pub fn routed_share(&self) -> f64 {
        let mut rest = 1.0;
        if let Some(rp) = &self.repeat {
            rest *= 1.0 - rp.p;
        }
        if let Some(a) = &self.automation {
            rest *= a.success;
            if a.touchless_to.is_some() {
                rest *= 1.0 - a.touchless;
            }
        }
        rest
    }

    /// Probabilities of where a customer of type `ct` goes after this step, all outcomes
    /// (repeat, automation failure, touchless, routing) combined: (step, probability); the
    /// rest leaves. For the load estimate and the reachability checks.
    pub fn outcomes(&self, me: usize, ct: usize) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        let mut rest = 1.0;
        if let Some(rp) = &self.repeat {
            out.push((rp.back_to.unwrap_or(me), rp.p));
            rest *= 1.0 - rp.p;
        }
        if let Some(a) = &self.automation {
            out.push((a.on_failure, rest * (1.0 - a.success)));
            rest *= a.success;
            if let Some(t) = a.touchless_to {
                out.push((t, rest * a.touchless));
                rest *= 1.0 - a.touchless;
            }
        }
        if let Some(f) = &self.fork {
            // Each branch is taken with its probability; with none taken the case goes
            // straight to the join (the load analysis adds the join's once-per-case visit).
            out.extend(f.branches.iter().map(|b| (b.step, rest * b.p)));
            out.push((f.join, rest * f.branches.iter().map(|b| 1.0 - b.p).product::<f64>()));
            return out;
        }
        let r = &self.route[ct];
        let mut prev = 0.0;
        for (t, c) in r.to.iter().zip(&r.cum) {
            out.push((*t, rest * (c - prev)));
            prev = *c;
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub time_unit: TimeUnit,
    /// Clock time of t = 0, minutes after midnight (labels only).
    pub start_clock: f64,
    /// Weekday of t = 0 (0 = Monday; labels only: calendars are already compiled in).
    pub start_day: usize,
    /// Calendar date and UTC offset of t = 0's day: event-log timestamps (`start_date`).
    pub epoch: crate::scenario::start_date::Epoch,
    pub horizon: f64,
    pub warmup: f64,
    pub seed: u64,
    pub replications: u32,
    pub service_level: f64,
    pub bin_width: f64,
    pub n_bins: usize,
    pub customers: Vec<CustomerType>,
    pub arrivals: Vec<ArrivalStream>,
    pub resources: Vec<Resource>,
    pub steps: Vec<Step>,
    pub dists: Vec<Dist>,
    /// Means of `dists` (minutes), for load estimates.
    pub dist_means: Vec<f64>,
    pub priority_levels: usize,
    pub pools: Vec<Pool>,
    pub calendars: Vec<Calendar>,
    /// The business calendar working time is measured in (`cycle_time_work_mean`).
    pub work_calendar: Option<usize>,
    /// The run ends this long after the horizon even if customers remain (they are reported
    /// `unfinished`): repeating events (staff changes, batch releases) stop there, and no one
    /// is served on at whatever staffing was in force then, so a model whose work can never
    /// finish still ends.
    pub drain: f64,
    /// Safety caps so a runaway model stops with a clear message instead of exhausting memory.
    pub limits: Limits,
    /// Expected events per replication (arrivals and step visits, from the traffic
    /// equations; may be infinite): a run refuses a model whose expectation exceeds its
    /// events cap before simulating anything.
    pub expected_events: f64,
    /// Record every customer and step visit (`engine::observer::Detail`): set by
    /// `branchsim staff` for targets per step, resource or customer type and for wait
    /// percentiles; never by a scenario.
    pub record_detail: bool,
    /// What the engine reads at every event, packed (`hot`): built from the fields above
    /// when the model is compiled.
    pub hot: Hot,
}

impl Model {
    /// Whether any per-customer behaviour beyond "queue, be served, be routed" is used:
    /// patience, balking, priorities or appointments, batches, rework, automation outcomes,
    /// context factors, removed steps, gateways, forks and joins, staff speed, preemption,
    /// working-time calendars.
    /// The engine runs a leaner instantiation, without their checks, for a model that uses
    /// none of them (see `engine::Sim`); the results are the same.
    ///
    /// The steps', streams' and resources' part comes from `hot.flags`, computed when the
    /// model was compiled (checked against the records in debug builds).
    pub fn uses_optional_features(&self) -> bool {
        let f = &self.hot.flags;
        debug_assert_eq!(*f, hot::Flags::of(&self.arrivals, &self.resources, &self.steps), "stale Hot::flags");
        self.priority_levels > 1
            || self.work_calendar.is_some()
            || self.customers.iter().any(|c| c.patience.is_some() || c.balk_at.is_some())
            || f.booked
            || f.optional_resources
            || f.optional_steps
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_events: u64,
    pub max_in_system: usize,
    /// Step visits of one customer (each pass through a step counts, removed steps and
    /// delays included): a routing loop that rarely exits stops the run here, in
    /// milliseconds, instead of running to the events cap (and the visit counter, which
    /// keys the customer's random draws, never wraps).
    pub max_visits: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_events: 2_000_000_000, max_in_system: 5_000_000, max_visits: 1_000_000 }
    }
}

/// Mixes 64 bits (SplitMix64 finaliser): used to derive independent stream seeds.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a random purpose ("service", step name): FNV-1a, then mixed.
/// Keys depend on names, not positions, so adding a step in a variant does not shift the
/// streams of the others (common random numbers survive structural changes).
pub fn stream_key(purpose: &str, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in purpose.bytes().chain([0xff]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

/// The generator of one random purpose in one replication.
pub fn stream(seed: u64, replication: u64, key: u64) -> Rng {
    use rand_xoshiro::rand_core::SeedableRng;
    let base = replication_seed(seed, replication) ^ key;
    let mut s = [0u8; 32];
    let mut z = base;
    for chunk in s.chunks_exact_mut(8) {
        z = mix64(z);
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = 200_000;

    /// First uniform of the draws of customers `0..N` (arrival stream 1) for `(key, visit)`.
    fn firsts(key: u64, visit: u32) -> Vec<f64> {
        let rep = replication_seed(7, 3);
        (0..N as u64).map(|n| uniform01(&mut draw_rng(rep, key, (1 << 40) | n, visit))).collect()
    }

    /// Pearson correlation of two equally long samples.
    fn corr(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    /// Under independence a sample correlation is about N(0, 1/N): 4.5 standard errors are
    /// exceeded with probability 7e-6, so a failure means structure, not bad luck.
    fn assert_uncorrelated(a: &[f64], b: &[f64], what: &str) {
        let r = corr(a, b);
        assert!(r.abs() < 4.5 / (a.len() as f64).sqrt(), "{what}: correlation {r}");
    }

    /// The per-customer draws are uniform (chi-square over 100 cells: the 0.999 quantile with
    /// 99 degrees of freedom is 148.2) and every output bit is set half of the time (within
    /// 4.5 binomial standard deviations).
    /// A schedule's staff-minutes over any interval are those of the sum over every entry,
    /// to the bit (the sum skips entries that cannot overlap, in the same order).
    #[test]
    fn schedule_staff_minutes_match_the_full_sum() {
        let staff = vec![3, 0, 5, 2, 2, 7, 1, 4, 0, 6];
        let interval = 30.0;
        let full = |a: f64, b: f64| {
            let mut acc = 0.0;
            for (i, s) in staff.iter().enumerate() {
                let lo = i as f64 * interval;
                let hi = if i == staff.len() - 1 { f64::INFINITY } else { lo + interval };
                let (x, y) = (lo.max(a), hi.min(b));
                if y > x {
                    acc += f64::from(*s) * (y - x);
                }
            }
            acc
        };
        let sch = Staffing::Schedule { interval, staff: staff.clone() };
        let mut checked = 0;
        for i in 0..200 {
            for j in i..200 {
                // Edges on and off the schedule's, past its end and near rounding limits.
                let (a, b) = (i as f64 * 2.1 - 3.0, j as f64 * 2.1 + 0.7);
                assert_eq!(sch.staff_minutes(a, b).to_bits(), full(a, b).to_bits(), "[{a}, {b})");
                checked += 1;
            }
        }
        assert_eq!(sch.staff_minutes(0.1, 1e9).to_bits(), full(0.1, 1e9).to_bits());
        assert!(checked > 20_000 && full(0.0, 300.0) > 0.0);
    }

    #[test]
    fn draws_are_uniform_bit_by_bit() {
        let key = stream_key("service", "teller");
        let u = firsts(key, 1);
        let mut cells = [0u64; 100];
        for x in &u {
            cells[(x * 100.0) as usize] += 1;
        }
        let e = N as f64 / 100.0;
        let chi2: f64 = cells.iter().map(|&c| (c as f64 - e).powi(2) / e).sum();
        assert!(chi2 < 148.2, "chi-square {chi2}");
        let rep = replication_seed(1, 0);
        let mut ones = [0u64; 64];
        for n in 0..N as u64 {
            let x = draw_rng(rep, key, n, 1).next_u64();
            for (b, c) in ones.iter_mut().enumerate() {
                *c += (x >> b) & 1;
            }
        }
        let sd = (N as f64 * 0.25).sqrt();
        for (b, &c) in ones.iter().enumerate() {
            assert!((c as f64 - N as f64 / 2.0).abs() < 4.5 * sd, "bit {b}: {c} of {N}");
        }
    }

    /// Neighbouring customers, neighbouring visits, two purposes of one customer and the
    /// successive numbers of one generator are uncorrelated.
    #[test]
    fn draws_are_independent_across_customers_visits_and_purposes() {
        let service = stream_key("service", "teller");
        let patience = stream_key("patience", "walk-in");
        let v1 = firsts(service, 1);
        assert_uncorrelated(&v1[..N - 1], &v1[1..], "customer n and n + 1");
        assert_uncorrelated(&v1, &firsts(service, 2), "visit 1 and 2");
        assert_uncorrelated(&v1, &firsts(patience, 1), "service and patience");
        let rep = replication_seed(7, 3);
        let (mut a, mut b) = (Vec::with_capacity(N), Vec::with_capacity(N));
        for n in 0..N as u64 {
            let mut g = draw_rng(rep, service, n, 1);
            a.push(uniform01(&mut g));
            b.push(uniform01(&mut g));
        }
        assert_uncorrelated(&a, &b, "first and second number of a generator");
        // Another replication gives other numbers to the same customer.
        let other: Vec<f64> =
            (0..N as u64).map(|n| uniform01(&mut draw_rng(replication_seed(7, 4), service, n, 1))).collect();
        assert_uncorrelated(&a, &other, "replication 3 and 4");
    }
}
