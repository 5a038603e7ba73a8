//! A hand-written, single-purpose event loop for the `mmc` benchmark model (M/M/4,
//! λ = 1.8/min, mean service 2 min, horizon 100,000 min): the yardstick issue #8 compares the
//! general engine with. It keeps only what this one model needs: a binary heap of service
//! ends, a FIFO of arrival times, and the sum of waits (no per-step or per-type statistics,
//! no time series, no histograms).
//!
//! ```sh
//! cargo run --release --example hand_mmc -- 15
//! target/release/examples/profile_engine scenarios/bench/mmc.toml 15   # the engine, same model
//! ```
//! Prints the fastest of N replications, like `profile_engine`, so that the two can be run
//! alternately and compared in the same minute (this VM's speed moves with the host).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Service ends ordered by time (times are finite and non-negative).
struct Time(f64);
impl PartialEq for Time {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Time {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// One replication: (customers served, mean wait).
fn replicate(seed: u64) -> (u64, f64) {
    let (lambda, servers, mean, horizon) = (1.8, 4, 2.0, 100_000.0);
    let mut arrivals = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut services = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut ends: BinaryHeap<Reverse<Time>> = BinaryHeap::new();
    let mut queue: VecDeque<f64> = VecDeque::new();
    let mut busy = 0;
    let mut next_arrival = Distribution::<f64>::sample(&Exp1, &mut arrivals) / lambda;
    let (mut served, mut wait_sum) = (0u64, 0.0);
    let exp = |rng: &mut Xoshiro256PlusPlus| -> f64 { Exp1.sample(rng) };
    loop {
        let next_end = ends.peek().map_or(f64::INFINITY, |e| e.0.0);
        if next_arrival < next_end {
            let now = next_arrival;
            next_arrival = now + exp(&mut arrivals) / lambda;
            if next_arrival >= horizon {
                next_arrival = f64::INFINITY;
            }
            if busy < servers {
                busy += 1;
                served += 1;
                ends.push(Reverse(Time(now + mean * exp(&mut services))));
            } else {
                queue.push_back(now);
            }
        } else if next_end.is_finite() {
            let now = next_end;
            ends.pop();
            if let Some(arrived) = queue.pop_front() {
                wait_sum += now - arrived;
                served += 1;
                ends.push(Reverse(Time(now + mean * exp(&mut services))));
            } else {
                busy -= 1;
            }
        } else {
            break;
        }
    }
    (served, wait_sum / served as f64)
}

fn main() {
    let reps: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let (mut best, mut best_rate, mut waits) = (f64::INFINITY, 0.0, 0.0);
    for r in 0..reps {
        let t0 = std::time::Instant::now();
        let (served, wait) = replicate(r);
        let dt = t0.elapsed().as_secs_f64();
        waits += wait;
        if dt < best {
            best = dt;
            best_rate = served as f64 / dt;
        }
    }
    // Erlang C for these parameters: Wq = 3.9388 min.
    println!("mean wait {:.3} min over {reps} replication(s) (Erlang C: 3.939)", waits / reps as f64);
    println!("fastest replication: {:.2} ms, {:.2} M customers/s", best * 1e3, best_rate / 1e6);
}
