//! One replication of a scenario's baseline, nothing else: the target for profilers.
//!
//! ```sh
//! cargo build --release --example profile_engine
//! valgrind --tool=callgrind target/release/examples/profile_engine scenarios/bench/mmc.toml
//! ```
//! Prints customers, events and the fastest replication's time; see benches/README.md.

use branchsim::engine::simulate;
use branchsim::scenario;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "scenarios/bench/mmc.toml".to_string());
    let reps: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let loaded = match scenario::load_file(std::path::Path::new(&path)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", e.render());
            std::process::exit(2);
        }
    };
    let m = &loaded.baseline().model;
    let (mut customers, mut events) = (0.0, 0);
    let mut best = f64::INFINITY;
    let mut best_rate = 0.0;
    for r in 0..reps {
        let t0 = std::time::Instant::now();
        let res = simulate(m, m.seed, r);
        let dt = t0.elapsed().as_secs_f64();
        customers += res.kpis[0];
        events += res.events;
        if dt < best {
            best = dt;
            best_rate = res.kpis[0] / dt;
        }
    }
    println!("{customers} customers, {events} events in {reps} replication(s)");
    // The fastest replication is the least disturbed by other load on a shared machine.
    println!("fastest replication: {:.2} ms, {:.2} M customers/s", best * 1e3, best_rate / 1e6);
}
