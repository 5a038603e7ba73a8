//! Replications per second on 1 and on N threads, alternating runs and keeping the best of
//! each (the minimum is robust to other load on a shared machine).
//!
//! ```sh
//! cargo run --release --example scaling -- scenarios/downtown_branch.toml 1000 2 7
//! ```
//! Arguments: scenario, replications, threads, rounds.

use std::time::Instant;

use branchsim::experiment::{self, Job};
use branchsim::scenario;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("scenarios/downtown_branch.toml", String::as_str);
    let reps: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    let rounds: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(7);
    let loaded = match scenario::load_file(std::path::Path::new(path)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", e.render());
            std::process::exit(2);
        }
    };
    let m = &loaded.baseline().model;
    let pools: Vec<rayon::ThreadPool> =
        [1, threads].iter().filter_map(|&n| rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()).collect();
    let mut best = [f64::INFINITY; 2];
    for _ in 0..rounds {
        for (i, pool) in pools.iter().enumerate() {
            let t0 = Instant::now();
            pool.install(|| {
                let jobs = [Job { name: "baseline", description: "", model: m }];
                std::hint::black_box(experiment::run(&jobs, m.seed, reps, None, &|_| {}));
            });
            best[i] = best[i].min(t0.elapsed().as_secs_f64());
        }
    }
    let (r1, rn) = (reps as f64 / best[0], reps as f64 / best[1]);
    println!("1 thread: {:.1} ms ({r1:.0} replications/s)", best[0] * 1e3);
    println!("{threads} threads: {:.1} ms ({rn:.0} replications/s)", best[1] * 1e3);
    println!("speed-up {:.2}x, parallel efficiency {:.0}%", rn / r1, 100.0 * rn / r1 / threads as f64);
}
