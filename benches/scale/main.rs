//! Cost per customer against model size (issue #25): `cargo bench --bench scale`.
//!
//! - `parallel/N`: N parallel stations, one arrival stream each, 100,000 arrivals per
//!   replication in total whatever N; time per arriving customer.
//! - `tandem/N`: a line of N steps, 200,000 step visits per replication in total whatever N
//!   (200,000 / N customers); time per step visit (for N = 1, per customer).
//!
//! N = 1, 10, 100, 1,000, 10,000; the load is the same for every N (`scale_models`). The
//! goal: N = 10,000 costs at most twice N = 1 per customer (per visit). The models are
//! compiled outside the measurement; one iteration is one replication (`engine::simulate`),
//! as in `benches/engine.rs`.

use std::hint::black_box;
use std::time::Duration;

use branchsim::engine::simulate;
use branchsim::model::Model;
use branchsim::scenario;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "models.rs"]
mod scale_models;

const SIZES: [usize; 5] = [1, 10, 100, 1_000, 10_000];

fn compile(text: &str) -> Model {
    match scenario::load_str(text, "generated.toml") {
        Ok(l) => l.baseline().model.clone(),
        Err(e) => panic!("{}", e.render()),
    }
}

fn family(c: &mut Criterion, name: &str, make: impl Fn(usize) -> String, per_customer: impl Fn(usize) -> f64) {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for n in SIZES {
        let m = compile(&make(n));
        let probe = simulate(&m, 1, 0);
        let elements = probe.kpis[0] * per_customer(n);
        eprintln!("{name}/{n}: {} customers, {elements} elements, {} events", probe.kpis[0], probe.events);
        g.throughput(Throughput::Elements(elements as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &m, |b, m| {
            let mut rep = 0u64;
            b.iter(|| {
                rep += 1;
                black_box(simulate(black_box(m), 1, rep))
            })
        });
    }
    g.finish();
}

fn parallel(c: &mut Criterion) {
    family(c, "parallel", |n| scale_models::parallel(n, 100_000.0), |_| 1.0);
}

fn tandem(c: &mut Criterion) {
    family(c, "tandem", |n| scale_models::tandem(n, 200_000.0), |n| n as f64);
}

criterion_group!(benches, parallel, tandem);
criterion_main!(benches);
