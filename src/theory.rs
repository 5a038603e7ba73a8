//! Closed-form and numerically exact queueing-theory results.
//!
//! The simulator is validated by running configurations whose answers are
//! known analytically (M/M/c, M/G/1, Erlang A, priority queues, Jackson
//! networks, finite waiting rooms) and checking that the simulated estimates'
//! confidence intervals cover these values. Formulas follow
//! `shared/reference/queueing.md`.
//!
//! Conventions: `lambda` is an arrival rate, `mean_service` is `E[S]` in the
//! same time unit (so `μ = 1/E[S]`), `c` is the number of servers and
//! `a = λ·E[S]` the offered load. Waits are in the same time unit.
//! Functions never panic: meaningless inputs (negative rates, NaN, no
//! servers) give `None` or NaN fields, as documented on each function.

/// Relative truncation tolerance for the infinite birth–death sums.
const TRUNC_TOL: f64 = 1e-15;
/// Hard cap on the number of birth–death states visited by [`erlang_a`].
const MAX_STATES: u64 = 50_000_000;
/// Unnormalised weights are rescaled by this factor when they grow past
/// [`RESCALE_AT`], so that heavily loaded chains cannot overflow.
const RESCALE_BY: f64 = 1e-200;
const RESCALE_AT: f64 = 1e200;

fn valid_rate(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

fn valid_mean(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Erlang B blocking probability `B(c, a)` of an M/M/c/c loss system.
///
/// Used for loss systems (no waiting room, or zero patience) and as the
/// numerically stable building block of Erlang C. Computed by the recursion
/// `B₀ = 1`, `Bₖ = a·Bₖ₋₁ / (k + a·Bₖ₋₁)`, which never overflows.
/// Returns NaN for a negative or NaN `a`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    if a.is_nan() || a < 0.0 {
        return f64::NAN;
    }
    if a.is_infinite() {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
        if b == 0.0 {
            break;
        }
    }
    b
}

/// Erlang C: probability that an arrival has to wait in an M/M/c queue,
/// `C(c, a) = B / (1 − ρ(1 − B))` with `B = B(c, a)` and `ρ = a/c`.
///
/// Used for the M/M/c validation scenarios and staffing checks. Returns `1.0`
/// when `a >= c` (the queue is unstable and every arrival eventually waits),
/// NaN for a negative or NaN `a`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if a.is_nan() || a < 0.0 {
        return f64::NAN;
    }
    let cf = f64::from(c);
    if a >= cf {
        return 1.0;
    }
    let b = erlang_b(c, a);
    let rho = a / cf;
    b / (1.0 - rho * (1.0 - b))
}

/// Steady-state performance of an M/M/c queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmcResult {
    /// Probability that an arrival waits at all (Erlang C).
    pub p_wait: f64,
    /// Mean wait in queue `Wq`.
    pub wq: f64,
    /// Mean number waiting `Lq = λ·Wq`.
    pub lq: f64,
    /// Mean time in system `W = Wq + E[S]`.
    pub w: f64,
    /// Server utilisation `ρ = λ·E[S]/c`.
    pub utilisation: f64,
}

/// M/M/c steady state (Erlang C): the reference answer for single-stage,
/// exponential, first-come-first-served scenarios.
///
/// `Wq = C·E[S] / (c − a)`. Returns `None` if the queue is unstable
/// (`a >= c`) or the inputs are invalid (`lambda < 0`, `mean_service <= 0`,
/// `c = 0`, non-finite values).
pub fn mmc(lambda: f64, mean_service: f64, c: u32) -> Option<MmcResult> {
    if !valid_rate(lambda) || !valid_mean(mean_service) || c == 0 {
        return None;
    }
    let cf = f64::from(c);
    let a = lambda * mean_service;
    if a >= cf {
        return None;
    }
    let p_wait = erlang_c(c, a);
    // C / (cμ − λ), written without forming μ.
    let wq = p_wait * mean_service / (cf - a);
    Some(MmcResult { p_wait, wq, lq: lambda * wq, w: wq + mean_service, utilisation: a / cf })
}

/// M/M/c service level `P(Wq <= t) = 1 − C·e^{−(cμ−λ)t}`: the share of
/// customers served within a waiting-time target `t` (a usual branch KPI).
///
/// Returns `0.0` for an unstable queue (waits grow without bound), `0.0` for
/// `t < 0`, and NaN for invalid inputs (as for [`mmc`], or NaN `t`).
pub fn mmc_service_level(lambda: f64, mean_service: f64, c: u32, t: f64) -> f64 {
    if !valid_rate(lambda) || !valid_mean(mean_service) || c == 0 || t.is_nan() {
        return f64::NAN;
    }
    if t < 0.0 {
        return 0.0;
    }
    let cf = f64::from(c);
    let a = lambda * mean_service;
    if a >= cf {
        return 0.0;
    }
    let p_wait = erlang_c(c, a);
    // (cμ − λ)·t = (c − a)·t / E[S].
    1.0 - p_wait * (-(cf - a) * t / mean_service).exp()
}

/// Pollaczek–Khinchine mean wait of an M/G/1 queue,
/// `Wq = λ·E[S²] / (2(1 − ρ))`: the reference for non-exponential service
/// (deterministic, lognormal, ...) at a single server.
///
/// `second_moment = E[S²] = Var[S] + E[S]²`. Returns `None` if `ρ = λE[S] >= 1`,
/// or for invalid inputs (negative/non-finite values, `E[S²] < E[S]²`).
pub fn mg1_pk_wait(lambda: f64, mean_service: f64, second_moment: f64) -> Option<f64> {
    if !valid_rate(lambda) || !valid_rate(mean_service) || !valid_rate(second_moment) {
        return None;
    }
    if second_moment < mean_service * mean_service * (1.0 - 1e-12) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    Some(lambda * second_moment / (2.0 * (1.0 - rho)))
}

/// Steady-state performance of an M/M/c+M (Erlang A) queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangAResult {
    /// Probability that an arrival abandons, `θ·Lq/λ`.
    pub p_abandon: f64,
    /// Mean wait in queue of customers who are eventually served
    /// (zero-wait customers included).
    pub wait_served: f64,
    /// Mean number waiting `Lq`.
    pub lq: f64,
    /// Probability that an arrival finds all servers busy and has to wait
    /// (whether or not it later abandons).
    pub p_wait: f64,
}

impl ErlangAResult {
    const NAN: ErlangAResult =
        ErlangAResult { p_abandon: f64::NAN, wait_served: f64::NAN, lq: f64::NAN, p_wait: f64::NAN };
}

/// Erlang A (Palm's M/M/c+M): M/M/c with exponentially distributed patience
/// of mean `mean_patience` (`θ = 1/mean_patience`). The reference for the
/// abandonment scenarios; stable for any load when `θ > 0`, so it also covers
/// overloaded branches (`λ > cμ`).
///
/// Method: the birth–death chain with birth rate `λ` and death rate
/// `min(n,c)μ + (n−c)⁺θ` is summed state by state (unnormalised weights,
/// rescaled to avoid overflow). Arrivals see time averages (PASTA); an
/// arrival finding `n >= c` joins at position `k = n−c+1`, is served with
/// probability `cμ/(cμ+kθ)` and, if served, waits `Σ_{j=1..k} 1/(cμ+jθ)` on
/// average; arrivals finding `n < c` are served at once. So
/// `wait_served = Σ πₙ P(served|n) E[W|served,n] / Σ πₙ P(served|n)`.
///
/// Truncation rule: the ratios `λ/death(n+1)` are non-increasing in `n`, so
/// once past the mode (ratio `r < 1`) and at `n >= c`, the remaining weights
/// are bounded by the geometric series `wₙ·r^j`. Summation stops as soon as
/// that bound on the tails of the total mass, of `Lq`, of the served mass, of
/// the waiting mass and of the served-wait numerator are all below `1e-15`
/// times the corresponding partial sums (or the weights underflow to zero).
/// The number of states is about `c + (λ−cμ)⁺/θ` plus a few hundred; if more
/// than 50 million states would be needed (e.g. tiny `θ` with `λ > cμ`) all
/// fields are NaN.
///
/// Limits: `mean_patience = ∞` (θ = 0) gives the Erlang C answer (all fields
/// infinite/1 when unstable: `lq` and `wait_served` are `∞`, `p_wait` is 1,
/// `p_abandon` is 0); `mean_patience = 0` gives the Erlang B loss system.
/// `lambda = 0` gives all zeros. Invalid inputs (negative or NaN values,
/// `c = 0`, `mean_service <= 0`) give NaN fields.
pub fn erlang_a(lambda: f64, mean_service: f64, c: u32, mean_patience: f64) -> ErlangAResult {
    if !valid_rate(lambda) || !valid_mean(mean_service) || c == 0 || mean_patience.is_nan() || mean_patience < 0.0 {
        return ErlangAResult::NAN;
    }
    if lambda == 0.0 {
        return ErlangAResult { p_abandon: 0.0, wait_served: 0.0, lq: 0.0, p_wait: 0.0 };
    }
    if mean_patience.is_infinite() {
        return match mmc(lambda, mean_service, c) {
            Some(r) => ErlangAResult { p_abandon: 0.0, wait_served: r.wq, lq: r.lq, p_wait: r.p_wait },
            None => ErlangAResult { p_abandon: 0.0, wait_served: f64::INFINITY, lq: f64::INFINITY, p_wait: 1.0 },
        };
    }
    if mean_patience == 0.0 {
        let b = erlang_b(c, lambda * mean_service);
        return ErlangAResult { p_abandon: b, wait_served: 0.0, lq: 0.0, p_wait: b };
    }

    let mu = 1.0 / mean_service;
    let theta = 1.0 / mean_patience;
    let c64 = u64::from(c);
    let cmu = f64::from(c) * mu;

    // Unnormalised accumulators (all linear in the weights).
    let mut w = 1.0_f64; // weight of state n
    let mut mass = 0.0; // Σ wₙ
    let mut lq = 0.0; // Σ (n−c)⁺ wₙ
    let mut waiting = 0.0; // Σ_{n>=c} wₙ
    let mut served = 0.0; // Σ wₙ P(served|n)
    let mut wait_num = 0.0; // Σ wₙ P(served|n) E[W|served,n]
    let mut ew = 0.0; // E[W | served, k] for the current position k

    let mut n: u64 = 0;
    loop {
        mass += w;
        if n >= c64 {
            let m = (n - c64) as f64; // customers already waiting
            let rate = cmu + (m + 1.0) * theta; // cμ + kθ with k = m + 1
            ew += 1.0 / rate;
            let p_served = cmu / rate;
            lq += m * w;
            waiting += w;
            served += w * p_served;
            wait_num += w * p_served * ew;
        } else {
            served += w;
        }
        if w == 0.0 {
            // Underflow past the mode: every later weight is zero too.
            break;
        }
        let death_next = if n < c64 { (n + 1) as f64 * mu } else { cmu + (n + 1 - c64) as f64 * theta };
        let r = lambda / death_next;
        if n >= c64 && r < 1.0 {
            let g = r / (1.0 - r); // Σ_{j>=1} r^j
            let g2 = g / (1.0 - r); // Σ_{j>=1} j r^j
            let m = (n - c64) as f64;
            let tail_mass = w * g;
            let tail_lq = w * (m * g + g2);
            let tail_wait = w * (ew * g + g2 / cmu);
            if tail_mass <= TRUNC_TOL * served
                && tail_mass <= TRUNC_TOL * waiting
                && tail_lq <= TRUNC_TOL * lq
                && tail_wait <= TRUNC_TOL * wait_num
            {
                break;
            }
        }
        if n >= MAX_STATES {
            return ErlangAResult::NAN;
        }
        w *= r;
        n += 1;
        if w > RESCALE_AT {
            w *= RESCALE_BY;
            mass *= RESCALE_BY;
            lq *= RESCALE_BY;
            waiting *= RESCALE_BY;
            served *= RESCALE_BY;
            wait_num *= RESCALE_BY;
        }
    }

    let lq = lq / mass;
    ErlangAResult { p_abandon: theta * lq / lambda, wait_served: wait_num / served, lq, p_wait: waiting / mass }
}

/// Cobham's mean waits for a non-preemptive priority M/G/1 queue (class 0
/// highest): `Wq,k = W₀ / ((1 − σₖ₋₁)(1 − σₖ))` with `σₖ = Σ_{i<=k} λᵢE[Sᵢ]`
/// and `W₀ = Σ λᵢE[Sᵢ²]/2`. The reference for priority-lane scenarios.
///
/// Each class is `(λ, E[S], E[S²])`. Returns `None` if the total load is
/// `>= 1` or any entry is invalid (negative, non-finite, `E[S²] < E[S]²`).
/// An empty slice gives an empty vector.
pub fn cobham_priority_waits(classes: &[(f64, f64, f64)]) -> Option<Vec<f64>> {
    let mut w0 = 0.0;
    let mut total = 0.0;
    for &(lambda, es, es2) in classes {
        if !valid_rate(lambda) || !valid_rate(es) || !valid_rate(es2) {
            return None;
        }
        if es2 < es * es * (1.0 - 1e-12) {
            return None;
        }
        w0 += lambda * es2 / 2.0;
        total += lambda * es;
    }
    if total >= 1.0 {
        return None;
    }
    let mut sigma_prev = 0.0;
    let mut waits = Vec::with_capacity(classes.len());
    for &(lambda, es, _) in classes {
        let sigma = sigma_prev + lambda * es;
        waits.push(w0 / ((1.0 - sigma_prev) * (1.0 - sigma)));
        sigma_prev = sigma;
    }
    Some(waits)
}

/// Solves the open Jackson traffic equations `λⱼ = γⱼ + Σᵢ λᵢ pᵢⱼ` for the
/// total arrival rate at each station (each then behaves as an independent
/// M/M/cⱼ at rate `λⱼ`). Used to predict multi-stage and rework-loop flows.
///
/// `external[j] = γⱼ`, `routing[i][j] = pᵢⱼ` (row `i` is where customers
/// leaving `i` go; `1 − Σⱼ pᵢⱼ` leave the network). Solved as
/// `(I − Pᵀ) λ = γ` by Gaussian elimination with partial pivoting.
/// Returns `None` if dimensions mismatch, any `pᵢⱼ` is outside `[0, 1]`, a row
/// sums to more than 1, any `γⱼ` is negative or non-finite, or the system is
/// (numerically) singular — i.e. some customers can never leave.
pub fn jackson_arrival_rates(external: &[f64], routing: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = external.len();
    if routing.len() != n || routing.iter().any(|row| row.len() != n) {
        return None;
    }
    if external.iter().any(|&g| !valid_rate(g)) {
        return None;
    }
    for row in routing {
        if row.iter().any(|&p| !(0.0..=1.0).contains(&p)) {
            return None;
        }
        if row.iter().sum::<f64>() > 1.0 + 1e-9 {
            return None;
        }
    }
    visit_rates(external, routing)
}

/// Solves the n × (n + 1) augmented system [A | b] by Gaussian elimination with partial
/// pivoting; `None` when A is singular. Shared by the theory's traffic equations and
/// validation's per-component visit rates (`scenario::visits`).
pub(crate) fn solve_augmented(mut m: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = m.len();
    for col in 0..n {
        let mut pivot_row = col;
        for r in (col + 1)..n {
            if m[r][col].abs() > m[pivot_row][col].abs() {
                pivot_row = r;
            }
        }
        if m[pivot_row][col].abs() <= 1e-12 {
            return None;
        }
        m.swap(col, pivot_row);
        let pivot = m[col][col];
        let (upper, lower) = m.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower.iter_mut() {
            let factor = row[col] / pivot;
            if factor != 0.0 {
                for (v, &pv) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *v -= factor * pv;
                }
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = ((r + 1)..n).map(|k| m[r][k] * x[k]).sum();
        x[r] = (m[r][n] - s) / m[r][r];
    }
    Some(x)
}

/// Solves `λⱼ = γⱼ + Σᵢ λᵢ pᵢⱼ` like `jackson_arrival_rates`, without asking the rows to be
/// probabilities: a fork sends one visit to every branch, so its row may sum above 1 (the
/// expected visits of a branching flow). `None` when the system is singular or its solution
/// negative (the flow multiplies without end).
pub fn visit_rates(external: &[f64], routing: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = external.len();
    if routing.len() != n || routing.iter().any(|row| row.len() != n) {
        return None;
    }
    // Augmented matrix [I − Pᵀ | γ].
    let m: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let mut row: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == j)) - routing[i][j]).collect();
            row.push(external[j]);
            row
        })
        .collect();
    let mut x = solve_augmented(m)?;
    // (I − P)⁻¹ = Σ Pᵏ >= 0 for a transient substochastic P, so negative
    // values can only be rounding noise.
    let scale = x.iter().fold(0.0_f64, |a, &v| a.max(v.abs()));
    for v in &mut x {
        if *v < 0.0 {
            if *v < -1e-9 * scale {
                return None;
            }
            *v = 0.0;
        }
    }
    Some(x)
}

/// M/M/c with a finite waiting room of `k_wait` places (M/M/c/(c+K)):
/// arrivals that find all `k_wait` places taken balk. The reference for
/// branches with a limited lobby.
///
/// Returns `(P(balk), mean wait in queue of admitted customers)`. By PASTA
/// `P(balk) = π_{c+K}`; an admitted arrival that finds `n >= c` waits for
/// `n−c+1` service completions at rate `cμ`. `k_wait = 0` is the Erlang B
/// loss system. Stable for any load. Invalid inputs (negative or non-finite
/// `lambda`, `mean_service <= 0`, `c = 0`) give `(NaN, NaN)`.
pub fn mmck_balk(lambda: f64, mean_service: f64, c: u32, k_wait: u32) -> (f64, f64) {
    if !valid_rate(lambda) || !valid_mean(mean_service) || c == 0 {
        return (f64::NAN, f64::NAN);
    }
    let a = lambda * mean_service;
    let cf = f64::from(c);
    let c64 = u64::from(c);
    let top = c64 + u64::from(k_wait);
    let mut w = 1.0_f64;
    let mut mass = 0.0;
    let mut wait_num = 0.0; // Σ_{c<=n<top} wₙ (n−c+1)
    let mut w_top = 0.0;
    let mut n: u64 = 0;
    loop {
        mass += w;
        if n == top {
            w_top = w;
            break;
        }
        if n >= c64 {
            wait_num += w * (n - c64 + 1) as f64;
        }
        if w == 0.0 {
            // Underflow past the mode: later states (including the full one)
            // carry no mass.
            break;
        }
        let r = if n < c64 { a / (n + 1) as f64 } else { a / cf };
        w *= r;
        n += 1;
        if w > RESCALE_AT {
            w *= RESCALE_BY;
            mass *= RESCALE_BY;
            wait_num *= RESCALE_BY;
        }
    }
    let p_balk = w_top / mass;
    let admitted = mass - w_top;
    let wait = if admitted > 0.0 { wait_num / admitted * mean_service / cf } else { 0.0 };
    (p_balk, wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if b == 0.0 { a.abs() } else { ((a - b) / b).abs() }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        rel(a, b) <= tol
    }

    #[test]
    fn erlang_b_small_cases() {
        // B(1, a) = a/(1+a); B(2, a) = (a²/2)/(1 + a + a²/2).
        assert!(close(erlang_b(1, 2.0), 2.0 / 3.0, 1e-15));
        assert!(close(erlang_b(2, 1.0), 0.5 / 2.5, 1e-15));
        assert_eq!(erlang_b(0, 3.0), 1.0);
        assert_eq!(erlang_b(5, 0.0), 0.0);
        // Large systems do not overflow: B(1000, 1000) = 0.0248119176461604...
        // (the same recursion in 30-digit mpmath; ≈ √(2/(πc)) for a = c).
        assert!(close(erlang_b(1000, 1000.0), 0.024_811_917_646_160_41, 1e-12));
        assert!(erlang_b(3, -1.0).is_nan());
    }

    #[test]
    fn erlang_c_hand_computed() {
        // c = 4, a = 3.6: terms aᵏ/k! = 1, 3.6, 6.48, 7.776 (sum 18.856) and
        // a⁴/4!·c/(c−a) = 6.9984·10 = 69.984, so C = 69.984/88.84 = 0.78775...
        assert!(close(erlang_c(4, 3.6), 69.984 / 88.84, 1e-14));
        // M/M/1: C = ρ.
        assert!(close(erlang_c(1, 0.9), 0.9, 1e-15));
        assert_eq!(erlang_c(4, 4.0), 1.0);
        assert_eq!(erlang_c(4, 0.0), 0.0);
        assert_eq!(erlang_c(0, 0.5), 1.0);
    }

    #[test]
    fn mm1_textbook() {
        // ρ = 0.9: Wq = ρ/(1−ρ)·E[S] = 9·E[S], Lq = ρ²/(1−ρ) = 8.1.
        let r = mmc(0.9, 1.0, 1).unwrap();
        assert!(close(r.wq, 9.0, 1e-13));
        assert!(close(r.lq, 8.1, 1e-13));
        assert!(close(r.w, 10.0, 1e-13));
        assert!(close(r.p_wait, 0.9, 1e-15));
        assert!(close(r.utilisation, 0.9, 1e-15));
        // Units: E[S] = 2 min, λ = 0.45/min is the same ρ, Wq = 18 min.
        assert!(close(mmc(0.45, 2.0, 1).unwrap().wq, 18.0, 1e-13));
        assert!(mmc(1.0, 1.0, 1).is_none());
        assert!(mmc(1.0, 1.0, 0).is_none());
        assert!(mmc(-1.0, 1.0, 1).is_none());
    }

    #[test]
    fn mmc_hand_computed() {
        // c = 4, a = 3.6 with E[S] = 1: Wq = C/(c − a) = C/0.4.
        let r = mmc(3.6, 1.0, 4).unwrap();
        let c = 69.984 / 88.84;
        assert!(close(r.wq, c / 0.4, 1e-13));
        assert!(close(r.lq, 3.6 * c / 0.4, 1e-13));
        // Little's law on the whole system: L = Lq + a = λW.
        assert!(close(r.lq + 3.6, 3.6 * r.w, 1e-13));
    }

    #[test]
    fn service_level() {
        let c = 69.984 / 88.84;
        assert!(close(mmc_service_level(3.6, 1.0, 4, 0.0), 1.0 - c, 1e-14));
        // (cμ − λ) = 0.4 per unit: P(Wq <= 5) = 1 − C e^{−2}.
        let want = 1.0 - c * (-2.0_f64).exp();
        assert!(close(mmc_service_level(3.6, 1.0, 4, 5.0), want, 1e-14));
        assert_eq!(mmc_service_level(4.0, 1.0, 4, 5.0), 0.0);
        assert_eq!(mmc_service_level(1.0, 1.0, 4, -1.0), 0.0);
        // The mean of the waiting-time distribution is Wq: ∫ P(Wq > t) dt.
        let r = mmc(3.6, 1.0, 4).unwrap();
        let h = 1e-3;
        let integral: f64 =
            (0..200_000).map(|i| 1.0 - mmc_service_level(3.6, 1.0, 4, (i as f64 + 0.5) * h)).sum::<f64>() * h;
        assert!(close(integral, r.wq, 1e-6));
    }

    #[test]
    fn pk_reduces_to_mm1_and_md1() {
        // Exponential service: E[S²] = 2E[S]², so PK gives the M/M/1 wait.
        let es: f64 = 1.5;
        let lambda = 0.6 / es;
        let pk = mg1_pk_wait(lambda, es, 2.0 * es * es).unwrap();
        assert!(close(pk, mmc(lambda, es, 1).unwrap().wq, 1e-14));
        // Deterministic service halves it.
        let md1 = mg1_pk_wait(lambda, es, es * es).unwrap();
        assert!(close(md1, pk / 2.0, 1e-14));
        assert!(mg1_pk_wait(1.0, 1.0, 2.0).is_none());
        assert!(mg1_pk_wait(0.5, 1.0, 0.5).is_none()); // E[S²] < E[S]²
    }

    #[test]
    fn cobham_single_class_is_pk() {
        let (l, es, es2) = (0.7, 1.0, 3.0);
        let w = cobham_priority_waits(&[(l, es, es2)]).unwrap();
        assert_eq!(w.len(), 1);
        assert!(close(w[0], mg1_pk_wait(l, es, es2).unwrap(), 1e-14));
        assert_eq!(cobham_priority_waits(&[]), Some(vec![]));
        assert!(cobham_priority_waits(&[(0.6, 1.0, 2.0), (0.5, 1.0, 2.0)]).is_none());
    }

    #[test]
    fn cobham_two_classes_and_conservation() {
        // Two exponential classes, E[S] = 1: W₀ = (0.3·2 + 0.5·2)/2 = 0.8,
        // Wq₁ = 0.8/(1·0.7) = 8/7, Wq₂ = 0.8/(0.7·0.2) = 40/7.
        let classes = [(0.3, 1.0, 2.0), (0.5, 1.0, 2.0)];
        let w = cobham_priority_waits(&classes).unwrap();
        assert!(close(w[0], 8.0 / 7.0, 1e-14));
        assert!(close(w[1], 40.0 / 7.0, 1e-14));
        // Kleinrock's conservation law: Σ ρₖ Wqₖ = ρ·W₀/(1 − ρ).
        let lhs: f64 = classes.iter().zip(&w).map(|(c, wk)| c.0 * c.1 * wk).sum();
        assert!(close(lhs, 0.8 * 0.8 / 0.2, 1e-14));
        // With equal service, the load-weighted average equals FCFS M/M/1.
        let avg = (0.3 * w[0] + 0.5 * w[1]) / 0.8;
        assert!(close(avg, mmc(0.8, 1.0, 1).unwrap().wq, 1e-14));
    }

    #[test]
    fn jackson_rework_loop() {
        // One station sending a share p back to itself: λ = γ/(1 − p).
        let lam = jackson_arrival_rates(&[2.0], &[vec![0.25]]).unwrap();
        assert!(close(lam[0], 2.0 / 0.75, 1e-15));
        // Tandem with rework at the second stage back to the first.
        // λ₁ = γ + 0.2 λ₂, λ₂ = λ₁ → λ₁ = λ₂ = γ/0.8.
        let lam = jackson_arrival_rates(&[1.0, 0.0], &[vec![0.0, 1.0], vec![0.2, 0.0]]).unwrap();
        assert!(close(lam[0], 1.25, 1e-15) && close(lam[1], 1.25, 1e-15));
    }

    #[test]
    fn jackson_general_residual() {
        // A 4-station network with cross-routing and rework; check the
        // traffic equations directly.
        let gamma = [1.0, 0.5, 0.0, 0.2];
        let p = vec![
            vec![0.0, 0.5, 0.3, 0.0],
            vec![0.1, 0.0, 0.6, 0.2],
            vec![0.0, 0.4, 0.0, 0.5],
            vec![0.3, 0.0, 0.2, 0.1],
        ];
        let lam = jackson_arrival_rates(&gamma, &p).unwrap();
        for j in 0..4 {
            let rhs = gamma[j] + (0..4).map(|i| lam[i] * p[i][j]).sum::<f64>();
            assert!(close(lam[j], rhs, 1e-13), "station {j}");
        }
        // Flow balance: what enters leaves.
        let exits: f64 = (0..4).map(|i| lam[i] * (1.0 - p[i].iter().sum::<f64>())).sum();
        assert!(close(exits, gamma.iter().sum(), 1e-13));
    }

    #[test]
    fn jackson_rejects_bad_input() {
        // Closed loop: nobody ever leaves.
        assert!(jackson_arrival_rates(&[1.0], &[vec![1.0]]).is_none());
        assert!(jackson_arrival_rates(&[1.0, 0.0], &[vec![0.0, 1.0], vec![1.0, 0.0]]).is_none());
        assert!(jackson_arrival_rates(&[1.0], &[vec![0.5, 0.5]]).is_none());
        assert!(jackson_arrival_rates(&[1.0, 1.0], &[vec![0.7, 0.7], vec![0.0, 0.0]]).is_none());
        assert_eq!(jackson_arrival_rates(&[], &[]), Some(vec![]));
    }

    /// Independent brute-force Erlang A: explicit probability vector on a
    /// fixed, generous state space.
    fn erlang_a_brute(lambda: f64, es: f64, c: u32, patience: f64, n_max: usize) -> ErlangAResult {
        let mu = 1.0 / es;
        let theta = 1.0 / patience;
        let cu = c as usize;
        let cmu = c as f64 * mu;
        let mut ln_w = vec![0.0; n_max + 1];
        for n in 1..=n_max {
            let death = if n <= cu { n as f64 * mu } else { cmu + (n - cu) as f64 * theta };
            ln_w[n] = ln_w[n - 1] + (lambda / death).ln();
        }
        let mx = ln_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = ln_w.iter().map(|l| (l - mx).exp()).collect();
        let total: f64 = w.iter().sum();
        let pi: Vec<f64> = w.iter().map(|x| x / total).collect();
        let mut lq = 0.0;
        let mut p_wait = 0.0;
        let mut served = 0.0;
        let mut num = 0.0;
        let mut ew = 0.0;
        for (n, &p) in pi.iter().enumerate() {
            if n < cu {
                served += p;
                continue;
            }
            let k = n - cu + 1;
            lq += (n - cu) as f64 * p;
            p_wait += p;
            let ps = cmu / (cmu + k as f64 * theta);
            ew += 1.0 / (cmu + k as f64 * theta); // Σ_{j=1..k} 1/(cμ + jθ)
            served += p * ps;
            num += p * ps * ew;
        }
        ErlangAResult { p_abandon: theta * lq / lambda, wait_served: num / served, lq, p_wait }
    }

    #[test]
    fn erlang_a_matches_brute_force() {
        for &(lambda, es, c, pat) in &[
            (3.6, 1.0, 4, 5.0),
            (9.0, 1.0, 10, 2.0),
            (15.0, 1.0, 10, 3.0), // overloaded: λ = 1.5cμ
            (0.5, 4.0, 3, 10.0),
            (2.0, 1.0, 1, 0.5),
        ] {
            let got = erlang_a(lambda, es, c, pat);
            let want = erlang_a_brute(lambda, es, c, pat, 4000);
            assert!(close(got.p_abandon, want.p_abandon, 1e-12), "{lambda} {c}");
            assert!(close(got.wait_served, want.wait_served, 1e-12), "{lambda} {c}");
            assert!(close(got.lq, want.lq, 1e-12), "{lambda} {c}");
            assert!(close(got.p_wait, want.p_wait, 1e-12), "{lambda} {c}");
        }
    }

    #[test]
    fn erlang_a_theta_equals_mu_is_infinite_server() {
        // With θ = μ every customer in the system leaves at rate μ whether in
        // service or not, so N ~ Poisson(a) (M/M/∞). Then
        // Lq = E[(N−c)⁺], P(wait) = P(N >= c), P(abandon) = θLq/λ = Lq/a.
        let (lambda, es, c) = (6.0, 1.0, 5u32);
        let a: f64 = lambda * es;
        let mut p = (-a).exp();
        let mut lq = 0.0;
        let mut p_ge_c = 0.0;
        for n in 0..200u32 {
            if n >= c {
                lq += f64::from(n - c) * p;
                p_ge_c += p;
            }
            p *= a / f64::from(n + 1);
        }
        let r = erlang_a(lambda, es, c, es);
        assert!(close(r.lq, lq, 1e-12));
        assert!(close(r.p_wait, p_ge_c, 1e-12));
        assert!(close(r.p_abandon, lq / a, 1e-12));
    }

    #[test]
    fn erlang_a_small_theta_approaches_erlang_c() {
        let m = mmc(3.6, 1.0, 4).unwrap();
        let r = erlang_a(3.6, 1.0, 4, 1e9);
        assert!(close(r.p_wait, m.p_wait, 1e-6));
        assert!(close(r.wait_served, m.wq, 1e-6));
        assert!(close(r.lq, m.lq, 1e-6));
        assert!(r.p_abandon < 1e-8);
        // Exact limits.
        let inf = erlang_a(3.6, 1.0, 4, f64::INFINITY);
        assert_eq!(inf.wait_served, m.wq);
        let zero = erlang_a(3.6, 1.0, 4, 0.0);
        assert_eq!(zero.p_abandon, erlang_b(4, 3.6));
    }

    #[test]
    fn erlang_a_consistency_laws() {
        for &(lambda, c, pat) in &[(3.6, 4, 5.0), (30.0, 10, 1.0), (200.0, 50, 4.0)] {
            let (es, cmu) = (1.0, f64::from(c));
            let theta = 1.0 / pat;
            let r = erlang_a(lambda, es, c, pat);
            let b = erlang_a_brute(lambda, es, c, pat, 20_000);
            // PASTA view of abandonment equals the θLq/λ rate view.
            let k_of = |n: usize| (n - c as usize + 1) as f64;
            let mut p_ab_pasta = 0.0;
            let mut mean_queue_time = 0.0;
            // Reconstruct π from the brute-force chain for these sums.
            let mut ln_w = vec![0.0; 20_001];
            for n in 1..=20_000usize {
                let death = if n <= c as usize { n as f64 } else { cmu + (n - c as usize) as f64 * theta };
                ln_w[n] = ln_w[n - 1] + (lambda / death).ln();
            }
            let mx = ln_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let tot: f64 = ln_w.iter().map(|l| (l - mx).exp()).sum();
            for (n, l) in ln_w.iter().enumerate().skip(c as usize) {
                let p = (l - mx).exp() / tot;
                let k = k_of(n);
                p_ab_pasta += p * k * theta / (cmu + k * theta);
                // Time in queue of an arrival at position k, served or not:
                // k/(cμ + kθ).
                mean_queue_time += p * k / (cmu + k * theta);
            }
            assert!(close(r.p_abandon, p_ab_pasta, 1e-11), "{lambda}");
            // Little's law for the queue: Lq = λ·E[time in queue].
            assert!(close(r.lq, lambda * mean_queue_time, 1e-11), "{lambda}");
            assert!(close(r.wait_served, b.wait_served, 1e-11), "{lambda}");
            // Throughput: served rate λ(1 − P(ab)) ≤ cμ.
            assert!(lambda * (1.0 - r.p_abandon) <= cmu * (1.0 + 1e-12));
        }
    }

    #[test]
    fn erlang_a_heavy_overload_and_large_systems() {
        // λ = 4cμ with θ = μ: N ~ Poisson(400) lies far above c = 100, so
        // P(ab) = E[(N−c)⁺]/a = (400 − 100)/400 = 0.75 (the fluid limit
        // 1 − cμ/λ) up to ~1e-30 (mpmath, 30 digits).
        let r = erlang_a(400.0, 1.0, 100, 1.0);
        assert!(close(r.p_abandon, 0.75, 1e-12), "{r:?}");
        assert!(close(r.p_wait, 1.0, 1e-12));
        // Offered load 5000 (e^a overflows f64), λ = 1.25cμ, θ = μ/2: the
        // exact value is 0.2 to 17 digits (mpmath, 8000-state chain), which is
        // the fluid limit 1 − cμ/λ.
        let r = erlang_a(5000.0, 1.0, 4000, 2.0);
        assert!(close(r.p_abandon, 0.2, 1e-11), "{r:?}");
        assert!(r.wait_served.is_finite());
        // λ = 0 and invalid inputs.
        assert_eq!(erlang_a(0.0, 1.0, 2, 1.0).lq, 0.0);
        assert!(erlang_a(1.0, 1.0, 0, 1.0).lq.is_nan());
        assert!(erlang_a(1.0, -1.0, 2, 1.0).lq.is_nan());
    }

    #[test]
    fn mmck_limits() {
        // K = 0 is the Erlang B loss system.
        let (pb, w) = mmck_balk(3.0, 1.0, 4, 0);
        assert!(close(pb, erlang_b(4, 3.0), 1e-14));
        assert_eq!(w, 0.0);
        // M/M/1/N with N = K+1: P(block) = (1−ρ)ρᴺ/(1−ρᴺ⁺¹); admitted wait
        // from Little: Lq / (λ(1 − P)).
        let (rho, k) = (0.8_f64, 5u32);
        let nn = f64::from(k + 1);
        let (pb, w) = mmck_balk(rho, 1.0, 1, k);
        let want_pb = (1.0 - rho) * rho.powf(nn) / (1.0 - rho.powf(nn + 1.0));
        assert!(close(pb, want_pb, 1e-13));
        let norm = (1.0 - rho) / (1.0 - rho.powf(nn + 1.0));
        let lq: f64 = (2..=(k + 1)).map(|n| f64::from(n - 1) * norm * rho.powi(n as i32)).sum();
        assert!(close(w, lq / (rho * (1.0 - pb)), 1e-13));
        // Large waiting room: approaches M/M/c.
        let (pb, w) = mmck_balk(3.6, 1.0, 4, 2000);
        assert!(pb < 1e-50);
        assert!(close(w, mmc(3.6, 1.0, 4).unwrap().wq, 1e-12));
        // Overloaded but finite, λ = 10cμ: P(balk) = 0.900000000000261365...
        // (mpmath), close to 1 − cμ/λ.
        let (pb, _) = mmck_balk(40.0, 1.0, 4, 10);
        assert!(close(pb, 0.900_000_000_000_261_4, 1e-14), "{pb}");
        assert!(mmck_balk(1.0, 0.0, 1, 1).0.is_nan());
    }
}
