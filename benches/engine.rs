//! Engine benchmarks (criterion). Figures: `cargo bench --bench engine`.
//!
//! - `mmc`: M/M/c, λ = 1.8/min, c = 4, E[S] = 2 min, horizon 100,000 min, one replication.
//! - `branch`: the peer comparison model (scenarios/bench/branch.toml), one replication.
//! - `replications`: 1,000 replications of downtown_branch.toml on all cores, and on one.
//!
//! Throughput is reported per customer (criterion "elements"); events per customer are
//! printed once so events per second follow.

use std::hint::black_box;
use std::time::Duration;

use branchsim::engine::simulate;
use branchsim::experiment::{self, Job};
use branchsim::model::Model;
use branchsim::scenario;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn model(path: &str) -> Model {
    match scenario::load_file(std::path::Path::new(path)) {
        Ok(l) => l.baseline().model.clone(),
        Err(e) => panic!("{}", e.render()),
    }
}

fn one_replication(c: &mut Criterion, name: &str, path: &str) {
    let m = model(path);
    let probe = simulate(&m, 1, 0);
    let customers = probe.kpis[0];
    eprintln!(
        "{name}: {customers} customers, {} events per replication ({:.2} events/customer)",
        probe.events,
        probe.events as f64 / customers
    );
    let mut g = c.benchmark_group(name);
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(customers as u64));
    g.bench_function("one_replication", |b| {
        let mut rep = 0u64;
        b.iter(|| {
            rep += 1;
            black_box(simulate(black_box(&m), 1, rep))
        })
    });
    g.finish();
}

fn mmc(c: &mut Criterion) {
    one_replication(c, "mmc", "scenarios/bench/mmc.toml");
}

fn branch(c: &mut Criterion) {
    one_replication(c, "branch", "scenarios/bench/branch.toml");
}

fn replications(c: &mut Criterion) {
    let m = model("scenarios/downtown_branch.toml");
    let mut g = c.benchmark_group("replications");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(1000));
    for threads in [1usize, 2] {
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        g.bench_function(format!("downtown_1000_threads_{threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let jobs = [Job { name: "baseline", description: "", model: &m }];
                    black_box(experiment::run(&jobs, 42, 1000, None, &|_| {}))
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, mmc, branch, replications);
criterion_main!(benches);
