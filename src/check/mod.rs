//! `branchsim check` and `branchsim record`: regression checks for CI pipelines.

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario files, folders or globs.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Where to write the golden results.
    #[arg(long)]
    pub to: PathBuf,
}

pub fn run_check(_a: &CheckArgs) -> i32 {
    crate::cli::EXIT_BAD_INPUT
}

pub fn run_record(_a: &RecordArgs) -> i32 {
    crate::cli::EXIT_BAD_INPUT
}
