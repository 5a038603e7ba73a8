//! The engine's trace hook: every event of a replication, for event logs (`report::eventlog`).
//!
//! The engine is generic over a `Trace`. Untraced runs use `NoTrace`, whose methods are empty
//! and inlined, so every call compiles to nothing and the untraced path runs exactly the
//! instructions it ran before the hook existed (checked with callgrind, see docs/outputs.md).
//! A tracer is told *what happened*; it keeps whatever per-case state it needs itself (for
//! example which staff member serves a case), so the engine holds nothing extra for it.
//!
//! Cases are named by the engine's identity of a customer within the replication (arrival
//! stream in the high bits, arrival number in the low 40 bits, see `Sim::on_arrival`); steps
//! and staff groups by their model index. Times are engine minutes since t = 0.

/// What ended a step visit besides its service end (reported with `Trace::outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The step hands the case over with context: its next service is shorter or longer
    /// (`context_factor`).
    Handoff,
    /// The step is repeated (`repeat_info`): back to a step, after a delay, or at once.
    Repeat,
    /// The automated step failed: the case goes to the step's `on_failure` step.
    AutomationFailed,
    /// The automated step succeeded and the case skips ahead (`touchless`).
    Touchless,
}

/// Receives the events of one replication, in time order (ties in the engine's order).
#[allow(unused_variables)]
pub trait Trace {
    /// Whether this tracer records anything: work done only for the trace is skipped when not.
    const ON: bool;
    /// Case `case` (of customer type `ctype`, from arrival stream `stream`) arrives.
    #[inline(always)]
    fn arrive(&mut self, t: f64, case: u64, ctype: usize, stream: usize) {}
    /// The booked customer `case` of stream `stream` did not come to its slot at `t`.
    #[inline(always)]
    fn no_show(&mut self, t: f64, case: u64, stream: usize) {}
    /// The case starts waiting at step `step` (a queue, a batch, or back in the queue after
    /// preemption).
    #[inline(always)]
    fn enqueue(&mut self, t: f64, case: u64, step: usize) {}
    /// Service of the case at `step` starts: by one staff member of `group`, in batch
    /// `batch` (its number at that step), or as a pure delay (neither).
    #[inline(always)]
    fn start(&mut self, t: f64, case: u64, step: usize, group: Option<usize>, batch: Option<u64>) {}
    /// Service of the case at `step` ends.
    #[inline(always)]
    fn end(&mut self, t: f64, case: u64, step: usize) {}
    /// Service of the case at `step` is interrupted (the staff level dropped); the case goes
    /// back to the queue (`enqueue` follows) with the rest of its service time.
    #[inline(always)]
    fn preempt(&mut self, t: f64, case: u64, step: usize) {}
    /// The case gives up waiting at `step` (its patience ran out).
    #[inline(always)]
    fn renege(&mut self, t: f64, case: u64, step: usize) {}
    /// The case refuses to queue at `step` (too many waiting) and leaves.
    #[inline(always)]
    fn balk(&mut self, t: f64, case: u64, step: usize) {}
    /// The visit of `step` that just ended had this outcome (before the case moves on).
    #[inline(always)]
    fn outcome(&mut self, t: f64, case: u64, step: usize, outcome: Outcome) {}
    /// Batch number `batch` of step `step` is released with `size` cases (their `start`s
    /// follow).
    #[inline(always)]
    fn batch(&mut self, t: f64, step: usize, batch: u64, size: usize) {}
    /// Case (or branch token) `parent` splits at a fork: `token` is one of its branch tokens,
    /// whose events follow under the token's identity (a tracer files them under the case).
    #[inline(always)]
    fn fork(&mut self, t: f64, parent: u64, token: u64) {}
    /// Branch token `token` reached its join and merges back into its case.
    #[inline(always)]
    fn join(&mut self, t: f64, token: u64) {}
    /// Record `id` (a branch token, or a split case) is withdrawn because another branch of
    /// its case gave up (reneged or balked): the whole case leaves.
    #[inline(always)]
    fn withdraw(&mut self, t: f64, id: u64) {}
    /// The case leaves the system served.
    #[inline(always)]
    fn depart(&mut self, t: f64, case: u64) {}
    /// The replication ends at `end`; cases still inside stay until `until` (see
    /// `Sim::finish`).
    #[inline(always)]
    fn finish(&mut self, end: f64, until: f64) {}
}

/// The tracer of untraced runs: records nothing, costs nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;
}
