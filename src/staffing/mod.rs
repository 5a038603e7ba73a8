//! `branchsim staff`: the cheapest staffing and shift plan that meets service targets.
//!
//! The flow follows the planner's question: targets (`target`) → the minimal head-count per
//! resource and interval, found by simulation from an Erlang start (`sipp`, `search`, on
//! plans simulated by `evaluate`) → a rota of shift templates covering it at least cost
//! (`shifts`, an integer program) → re-simulated, tables, chart and a ready-to-run variant
//! (`output`).

pub mod chart;
pub mod evaluate;
pub mod output;
pub mod rota;
pub mod search;
pub mod shifts;
pub mod sipp;
pub mod target;

pub use evaluate::{Grid, Plan, Problem};
pub use search::{Requirement, Settings, search};
pub use target::{Estimate, Measure, Target};
