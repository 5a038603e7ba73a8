//! Replications of a scale-benchmark model (`benches/scale/models.rs`), nothing else: the
//! target for profilers when a model's *size* is what costs (issue #25).
//!
//! ```sh
//! cargo build --release --example profile_scale
//! valgrind --tool=callgrind target/release/examples/profile_scale parallel 10000 2
//! ```
//! Arguments: family (`parallel` or `tandem`), size N, replications (default 1), and a factor
//! on the benchmark's arrivals (default 1; a small one shows the fixed cost). Prints the
//! instructions-free figures: customers, events and the fastest replication's time per element
//! (customer for `parallel`, step visit for `tandem`), as the criterion benchmark counts them.

use branchsim::engine::simulate;
use branchsim::scenario;

#[path = "../benches/scale/models.rs"]
mod scale_models;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let family = args.get(1).map_or("parallel", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let reps: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let load: f64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let (text, per_customer) = match family {
        "parallel" => (scale_models::parallel(n, 100_000.0 * load), 1.0),
        "tandem" => (scale_models::tandem(n, 200_000.0 * load), n as f64),
        other => {
            eprintln!("unknown family `{other}`: expected `parallel` or `tandem`");
            std::process::exit(2);
        }
    };
    let loaded = match scenario::load_str(&text, "generated.toml") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", e.render());
            std::process::exit(2);
        }
    };
    let m = &loaded.baseline().model;
    let mut best = f64::INFINITY;
    let (mut customers, mut events) = (0.0, 0);
    for r in 0..reps {
        let t0 = std::time::Instant::now();
        let res = simulate(m, 1, r);
        let dt = t0.elapsed().as_secs_f64();
        customers += res.kpis[0];
        events += res.events;
        best = best.min(dt / (res.kpis[0] * per_customer));
    }
    println!("{family}/{n}: {customers} customers, {events} events in {reps} replication(s)");
    println!("fastest replication: {:.1} ns per element", best * 1e9);
}
