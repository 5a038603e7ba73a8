//! Replications per second on 1 and on N threads, in alternating rounds: the best of each,
//! and the median of the per-round ratios (robust to a shared host's slow and fast phases).
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
    // Paired rounds: the 1-thread and N-thread runs of a round are a few hundred milliseconds
    // apart, so they see the same state of a shared host; the median of the per-round
    // ratios is robust to the host's slow and fast phases, which the best-of figures are not.
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut t = [0.0; 2];
        for (i, pool) in pools.iter().enumerate() {
            let t0 = Instant::now();
            pool.install(|| {
                let jobs = [Job { name: "baseline", description: "", model: m }];
                std::hint::black_box(experiment::run(&jobs, m.seed, reps, None, &|_| {}));
            });
            t[i] = t0.elapsed().as_secs_f64();
            best[i] = best[i].min(t[i]);
        }
        ratios.push(t[0] / t[1]);
    }
    ratios.sort_by(f64::total_cmp);
    let q = |p: f64| ratios[((p * (rounds - 1) as f64).round() as usize).min(rounds - 1)];
    let (r1, rn) = (reps as f64 / best[0], reps as f64 / best[1]);
    println!("1 thread: {:.1} ms ({r1:.0} replications/s)", best[0] * 1e3);
    println!("{threads} threads: {:.1} ms ({rn:.0} replications/s)", best[1] * 1e3);
    println!("best-of speed-up {:.2}x, parallel efficiency {:.0}%", rn / r1, 100.0 * rn / r1 / threads as f64);
    println!(
        "paired rounds: median speed-up {:.2}x (quartiles {:.2}-{:.2}), parallel efficiency {:.0}%",
        q(0.5),
        q(0.25),
        q(0.75),
        100.0 * q(0.5) / threads as f64
    );
}
