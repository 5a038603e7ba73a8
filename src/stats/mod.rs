//! Statistics: online accumulators inside a replication, and summaries across replications.

pub mod band;
pub mod histogram;
pub mod mser;
pub mod nan_serde;
pub mod occupancy;
pub mod student_t;
pub mod summary;

pub use band::BandAcc;
pub use histogram::Histogram;
pub use occupancy::{Occupancies, Occupancy, Window};
pub use summary::Summary;
