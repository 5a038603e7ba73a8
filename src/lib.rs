//! branchsim: a discrete-event Monte Carlo simulator for redesigning bank branches and
//! service processes.
//!
//! The flow of the crate follows the flow of a study:
//! `scenario` (what the user wrote, validated and compiled) → `model` (indexed, prepared) →
//! `engine` (one replication, pure) → `stats` (online accumulators, confidence intervals) →
//! `experiment` (replications in parallel, random streams, variants) → `report` (tables,
//! JSON/CSV). The `cli` module is a thin layer over these.

pub mod check;
pub mod cli;
pub mod discover;
pub mod engine;
pub mod experiment;
pub mod hardening;
pub mod import;
pub mod input;
pub mod kpi;
pub mod model;
pub mod report;
pub mod scenario;
pub mod staffing;
pub mod stats;
pub mod theory;
