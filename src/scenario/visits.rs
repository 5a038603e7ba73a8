//! Expected visits per step of a routing graph, in time proportional to its routes.
//!
//! The load check solves the traffic equations `λⱼ = γⱼ + Σᵢ λᵢ pᵢⱼ` once per customer type.
//! Solved as one dense system (`theory::visit_rates`) they cost n² memory and n³ time in the
//! number of steps: nothing for a branch, but hours and gigabytes for a regional network of
//! thousands of steps. Real routing is sparse and nearly acyclic (a line of steps with a few
//! rework loops), so the graph is cut into strongly connected components, solved one
//! component at a time in flow order: a step outside every loop costs one addition per route,
//! a loop a dense solve of its own size only.

/// Routes of one step: (target step, probability or visits per visit).
pub type Routes = Vec<(usize, f64)>;

/// Loops with more steps than this are solved by iteration instead of elimination (k³).
const DENSE_MAX: usize = 1500;

/// The visit rates `λ` given the external rates `external` (per step) and the routes out of
/// each step; `None` when a loop keeps its customers for ever or multiplies them (as
/// `theory::visit_rates`). Steps no customer reaches get 0.
pub fn visit_rates(external: &[f64], routes: &[Routes]) -> Option<Vec<f64>> {
    let n = external.len();
    if routes.len() != n || routes.iter().flatten().any(|&(t, _)| t >= n) {
        return None;
    }
    let comps = components(routes, external);
    let mut inflow: Vec<f64> = external.to_vec();
    let mut lam = vec![0.0; n];
    let mut comp_of = vec![usize::MAX; n];
    for (c, members) in comps.iter().enumerate() {
        for &x in members {
            comp_of[x] = c;
        }
    }
    for (c, members) in comps.iter().enumerate() {
        let solved = if let [x] = members[..] {
            let self_p: f64 = routes[x].iter().filter(|r| r.0 == x).map(|r| r.1).sum();
            let d = 1.0 - self_p;
            if d.abs() <= 1e-12 {
                return None;
            }
            vec![inflow[x] / d]
        } else {
            solve_component(members, routes, &inflow, &comp_of, c)?
        };
        for (&x, &v) in members.iter().zip(&solved) {
            lam[x] = v;
        }
        for &x in members {
            for &(t, p) in &routes[x] {
                if comp_of[t] != c {
                    inflow[t] += lam[x] * p;
                }
            }
        }
    }
    // (I − P)⁻¹ = Σ Pᵏ >= 0 for a transient substochastic P: negatives are rounding noise.
    let scale = lam.iter().fold(0.0_f64, |a, &v| a.max(v.abs()));
    for v in &mut lam {
        if *v < 0.0 {
            if *v < -1e-9 * scale {
                return None;
            }
            *v = 0.0;
        }
    }
    Some(lam)
}

/// The strongly connected components of the steps reached from a step with external
/// arrivals, in flow order (every route between components goes from an earlier to a later
/// one). Tarjan's algorithm with an explicit stack: a line of 10,000 steps must not overflow
/// the thread's stack.
fn components(routes: &[Routes], external: &[f64]) -> Vec<Vec<usize>> {
    let n = routes.len();
    const NONE: usize = usize::MAX;
    let (mut index, mut low) = (vec![NONE; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut comps) = (Vec::new(), Vec::new());
    let mut next = 0;
    for root in (0..n).filter(|&x| external[x] != 0.0) {
        if index[root] != NONE {
            continue;
        }
        // (node, next route to look at)
        let mut call = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = call.last_mut() {
            let x = top.0;
            if let Some(&(t, p)) = routes[x].get(top.1) {
                top.1 += 1;
                if p == 0.0 {
                    continue;
                }
                if index[t] == NONE {
                    index[t] = next;
                    low[t] = next;
                    next += 1;
                    stack.push(t);
                    on_stack[t] = true;
                    call.push((t, 0));
                } else if on_stack[t] {
                    low[x] = low[x].min(index[t]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[x]);
            }
            if low[x] == index[x] {
                let mut comp = Vec::new();
                while let Some(y) = stack.pop() {
                    on_stack[y] = false;
                    comp.push(y);
                    if y == x {
                        break;
                    }
                }
                comp.sort_unstable();
                comps.push(comp);
            }
        }
    }
    // Tarjan finds components in reverse flow order.
    comps.reverse();
    comps
}

/// Solves the equations of one loop `members` (component `c`), given what flows into each.
fn solve_component(
    members: &[usize],
    routes: &[Routes],
    inflow: &[f64],
    comp_of: &[usize],
    c: usize,
) -> Option<Vec<f64>> {
    let k = members.len();
    let pos = |x: usize| members.binary_search(&x).ok();
    let internal = |i: usize| {
        routes[members[i]].iter().filter(move |r| comp_of[r.0] == c).filter_map(move |&(t, p)| Some((pos(t)?, p)))
    };
    if k > DENSE_MAX {
        // Jacobi iteration: converges for a transient loop, as Σ Pᵏ does.
        let mut x: Vec<f64> = members.iter().map(|&m| inflow[m]).collect();
        for _ in 0..100_000 {
            let mut y: Vec<f64> = members.iter().map(|&m| inflow[m]).collect();
            for (i, &xi) in x.iter().enumerate() {
                for (j, p) in internal(i) {
                    y[j] += xi * p;
                }
            }
            let diff = x.iter().zip(&y).fold(0.0_f64, |a, (u, v)| a.max((u - v).abs()));
            let size = y.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            x = y;
            if !size.is_finite() {
                return None;
            }
            if diff <= 1e-12 * size.max(1e-300) {
                return Some(x);
            }
        }
        return None;
    }
    // Augmented matrix [I − Pᵀ | inflow], as in `theory::visit_rates`.
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let mut row = vec![0.0; k + 1];
            row[j] = 1.0;
            row[k] = inflow[members[j]];
            row
        })
        .collect();
    let entries: Vec<(usize, usize, f64)> = (0..k).flat_map(|i| internal(i).map(move |(j, p)| (i, j, p))).collect();
    for (i, j, p) in entries {
        m[j][i] -= p;
    }
    crate::theory::solve_augmented(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(routes: &[Routes]) -> Vec<Vec<f64>> {
        let n = routes.len();
        routes
            .iter()
            .map(|r| {
                let mut row = vec![0.0; n];
                for &(t, p) in r {
                    row[t] += p;
                }
                row
            })
            .collect()
    }

    /// Lines, loops (rework, a self-loop, nested loops), a fork that multiplies visits and a
    /// step nobody reaches: the same rates as the dense solve, within rounding.
    #[test]
    fn agrees_with_the_dense_solve() {
        let cases: Vec<(Vec<f64>, Vec<Routes>)> = vec![
            (vec![1.0, 0.0, 0.0], vec![vec![(1, 1.0)], vec![(2, 1.0)], vec![]]),
            (
                vec![0.5, 0.5, 0.0, 0.0],
                vec![vec![(2, 0.7), (3, 0.3)], vec![(2, 1.0)], vec![(3, 0.1), (0, 0.2)], vec![]],
            ),
            (vec![1.0, 0.0], vec![vec![(0, 0.3), (1, 0.7)], vec![(1, 0.5)]]),
            (
                vec![1.0, 0.0, 0.0, 0.0, 0.0],
                vec![
                    vec![(1, 1.0), (2, 1.0)],
                    vec![(3, 1.0)],
                    vec![(3, 1.0)],
                    vec![(1, 0.2), (4, 0.5)],
                    vec![(3, 0.4)],
                ],
            ),
            (vec![1.0, 0.0, 0.0], vec![vec![], vec![(2, 1.0)], vec![(1, 0.5)]]),
        ];
        for (ext, routes) in cases {
            let a = visit_rates(&ext, &routes).expect("sparse");
            let b = crate::theory::visit_rates(&ext, &dense(&routes)).expect("dense");
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{a:?} vs {b:?}");
            }
        }
    }

    /// A loop nobody leaves has no solution, as in the dense solve.
    #[test]
    fn a_closed_loop_has_no_solution() {
        let routes = vec![vec![(1, 1.0)], vec![(2, 1.0)], vec![(1, 1.0)]];
        assert!(visit_rates(&[1.0, 0.0, 0.0], &routes).is_none());
        assert!(visit_rates(&[1.0], &[vec![(0, 1.0)]]).is_none());
    }

    /// A line of 100,000 steps and a loop larger than the dense limit: solved quickly,
    /// without deep recursion.
    #[test]
    fn long_lines_and_large_loops() {
        let n = 100_000;
        let mut ext = vec![0.0; n];
        ext[0] = 2.0;
        let routes: Vec<Routes> = (0..n).map(|i| if i + 1 < n { vec![(i + 1, 1.0)] } else { vec![] }).collect();
        let lam = visit_rates(&ext, &routes).expect("line");
        assert!(lam.iter().all(|&v| v == 2.0));
        let k = DENSE_MAX + 10;
        let mut routes: Vec<Routes> = (0..k).map(|i| vec![((i + 1) % k, 1.0)]).collect();
        routes[k - 1] = vec![(0, 0.5)];
        let mut ext = vec![0.0; k];
        ext[0] = 1.0;
        let lam = visit_rates(&ext, &routes).expect("loop");
        // Each step is visited 1 / (1 − 0.5) = 2 times per customer.
        assert!(lam.iter().all(|&v| (v - 2.0).abs() < 1e-9), "{:?}", &lam[..3]);
    }
}
