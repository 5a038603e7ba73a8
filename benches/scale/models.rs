//! Scenario texts of any size for the scale benchmark (`benches/scale/main.rs`) and the scale
//! tests (`tests/scale.rs`): built in code, so that no 10,000-step file is committed.
//!
//! Both families keep the *load* equal whatever their size `n`: arrivals 1.8/min in total,
//! 3.6 servers busy on average (an M/M/4 at ρ = 0.9 for n = 1). What grows with `n` is only
//! the model: streams, steps and resources.

/// Arrivals per minute, in total.
pub const RATE: f64 = 1.8;

fn head(name: &str, horizon_min: f64) -> String {
    format!(
        "name = \"{name}\"\ntime_unit = \"min\"\nhorizon = \"{horizon_min}min\"\nseed = 1\nreplications = 1\n\n\
         [[customers]]\nname = \"c\"\nfirst_step = \"s0\"\n\n"
    )
}

/// `n` parallel stations, each with its own arrival stream (1.8/n per minute) and resource
/// (4 servers, exponential service of mean 2 min), over a horizon bringing `customers`
/// arrivals on average.
pub fn parallel(n: usize, customers: f64) -> String {
    let mut s = head(&format!("parallel {n}"), customers / RATE);
    let rate = RATE / n as f64;
    for i in 0..n {
        s.push_str(&format!(
            "[[arrivals]]\nname = \"a{i}\"\ncustomer = \"c\"\nfirst_step = \"s{i}\"\nrate = \"{rate}/min\"\n\n"
        ));
    }
    for i in 0..n {
        s.push_str(&format!("[[resources]]\nname = \"r{i}\"\nstaff = 4\n\n"));
    }
    for i in 0..n {
        s.push_str(&format!(
            "[[steps]]\nname = \"s{i}\"\nresource = \"r{i}\"\nservice = {{ dist = \"exponential\", mean = \"2min\" }}\n\n"
        ));
    }
    s
}

/// A line of `n` steps, each with its own resource (4 servers, exponential service of mean
/// 2/n min: the same work per customer in total), over a horizon bringing `visits` step
/// visits on average (`visits / n` customers from one stream of 1.8 per minute).
pub fn tandem(n: usize, visits: f64) -> String {
    let mut s = head(&format!("tandem {n}"), visits / n as f64 / RATE);
    s.push_str(&format!("[[arrivals]]\ncustomer = \"c\"\nrate = \"{RATE}/min\"\n\n"));
    for i in 0..n {
        s.push_str(&format!("[[resources]]\nname = \"r{i}\"\nstaff = 4\n\n"));
    }
    let mean = 2.0 / n as f64;
    for i in 0..n {
        s.push_str(&format!(
            "[[steps]]\nname = \"s{i}\"\nresource = \"r{i}\"\nservice = {{ dist = \"exponential\", mean = \"{mean}min\" }}\n"
        ));
        if i + 1 < n {
            s.push_str(&format!("next = [{{ step = \"s{}\", p = 1 }}]\n", i + 1));
        }
        s.push('\n');
    }
    s
}
