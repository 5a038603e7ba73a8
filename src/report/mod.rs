//! Everything written or printed about results: summary.json, CSV files, terminal tables.

pub mod aggregate;
pub mod charts;
pub mod csv_out;
pub mod drilldown;
pub mod eventlog;
pub mod files;
pub mod html;
pub mod results;
pub mod schemas;
pub mod stamp;
pub mod table;
pub mod verdict;
pub mod xlsx;

pub use results::Results;
