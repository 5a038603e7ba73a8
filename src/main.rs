fn main() {
    std::process::exit(branchsim::cli::main());
}
