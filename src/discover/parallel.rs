//! Parallel branches: activities of one case that run at the same time.
//!
//! Without a fork a case is at one step at a time, so two visits of one case that overlap in
//! time are evidence of concurrency that no ordering of sequential steps can explain (a
//! process that merely visits `a` and `b` in either order, a rework loop for instance, never
//! overlaps). Activities that overlap in at least `MIN_OVERLAP` of the cases that have both
//! are concurrent. A *block* is a connected group of concurrent activities; its branches are
//! the groups of block activities never concurrent with each other (a chain within one
//! branch); the fork is at the activity that most often ends just before the block starts,
//! the join at the activity that most often starts first after the block ends.
//!
//! Both-orders evidence without overlap (instantaneous events, logs with only completion
//! times) is not used: rework loops produce both orders too, and nothing in such a log tells
//! them from concurrency.

use std::collections::BTreeMap;

use super::log::{Event, EventLog, Left};

/// Share of co-occurring cases in which two activities must overlap to count as concurrent:
/// a fork with queues in front of its branches still overlaps in most cases, while logging
/// noise of a sequential process (an end stamped a few seconds late) overlaps rarely.
pub const MIN_OVERLAP: f64 = 0.2;

/// One fork: `from` splits into `branches` (lists of activities, first activity first),
/// each taken with the observed share of the fork's visits, meeting at `join`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub from: u32,
    pub branches: Vec<Branch>,
    pub join: u32,
    /// Cases in which two of the block's activities overlapped, and cases with the fork.
    pub overlapping: u64,
    pub forks: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub activities: Vec<u32>,
    /// The branch's first activity (the most frequent first visit of the branch after the fork).
    pub first: u32,
    /// Share of the fork's visits in which the branch was taken.
    pub share: f64,
}

/// Where each activity sits: block and branch index.
#[derive(Clone, Debug, Default)]
pub struct Parallel {
    pub blocks: Vec<Block>,
    /// Activity → (block, branch).
    pub place: BTreeMap<u32, (usize, usize)>,
}

fn finished(e: &Event) -> bool {
    e.left == Left::No && !e.end.is_nan()
}

impl Parallel {
    /// True if `a` and `b` are in different branches of one block (a token of one never sees
    /// the other).
    pub fn apart(&self, a: u32, b: u32) -> bool {
        match (self.place.get(&a), self.place.get(&b)) {
            (Some((ka, ia)), Some((kb, ib))) => ka == kb && ia != ib,
            _ => false,
        }
    }

    pub fn fork_at(&self, a: u32) -> Option<&Block> {
        self.blocks.iter().find(|b| b.from == a)
    }
}

pub fn infer(log: &EventLog) -> Parallel {
    let na = log.activities.len();
    // (a, b) with a < b → (cases with both, cases with an overlap).
    let mut pairs: BTreeMap<(u32, u32), (u64, u64)> = BTreeMap::new();
    let mut seen = vec![u32::MAX; na];
    let mut present: Vec<u32> = Vec::new();
    for (ci, events) in log.by_case().enumerate() {
        present.clear();
        for e in events.iter() {
            if seen[e.activity as usize] != ci as u32 {
                seen[e.activity as usize] = ci as u32;
                present.push(e.activity);
            }
        }
        if present.len() < 2 || present.len() > 64 {
            continue;
        }
        let mut overlap: Vec<(u32, u32)> = Vec::new();
        for (i, x) in events.iter().enumerate().filter(|(_, e)| finished(e)) {
            for y in events[i + 1..].iter().filter(|e| finished(e)) {
                if y.start >= x.end {
                    continue;
                }
                if x.activity != y.activity && y.start < x.end && x.start < y.end {
                    overlap.push((x.activity.min(y.activity), x.activity.max(y.activity)));
                }
            }
        }
        overlap.sort_unstable();
        overlap.dedup();
        for (i, a) in present.iter().enumerate() {
            for b in &present[i + 1..] {
                let k = ((*a).min(*b), (*a).max(*b));
                let e = pairs.entry(k).or_default();
                e.0 += 1;
                if overlap.binary_search(&k).is_ok() {
                    e.1 += 1;
                }
            }
        }
    }
    let concurrent: Vec<(u32, u32)> = pairs
        .iter()
        .filter(|(_, (both, over))| *over >= 5 && *over as f64 >= MIN_OVERLAP * *both as f64)
        .map(|(k, _)| *k)
        .collect();
    if concurrent.is_empty() {
        return Parallel::default();
    }
    let conc = |a: u32, b: u32| concurrent.binary_search(&(a.min(b), a.max(b))).is_ok();
    // Blocks: connected components of the concurrency graph.
    let mut comp: BTreeMap<u32, usize> = BTreeMap::new();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for &(a, b) in &concurrent {
        match (comp.get(&a).copied(), comp.get(&b).copied()) {
            (None, None) => {
                comp.insert(a, members.len());
                comp.insert(b, members.len());
                members.push(vec![a, b]);
            }
            (Some(k), None) => {
                comp.insert(b, k);
                members[k].push(b);
            }
            (None, Some(k)) => {
                comp.insert(a, k);
                members[k].push(a);
            }
            (Some(k), Some(j)) if k != j => {
                let moved = std::mem::take(&mut members[j]);
                for m in &moved {
                    comp.insert(*m, k);
                }
                members[k].extend(moved);
            }
            _ => {}
        }
    }
    let mut out = Parallel::default();
    for acts in members.into_iter().filter(|m| !m.is_empty()) {
        // Branches: components of the "never concurrent" relation within the block.
        let mut branch_of: BTreeMap<u32, usize> = BTreeMap::new();
        let mut branches: Vec<Vec<u32>> = Vec::new();
        let mut sorted = acts.clone();
        sorted.sort_unstable();
        for &a in &sorted {
            let found = branches.iter().position(|br| br.iter().all(|b| !conc(a, *b)));
            match found {
                Some(i) => {
                    branches[i].push(a);
                    branch_of.insert(a, i);
                }
                None => {
                    branch_of.insert(a, branches.len());
                    branches.push(vec![a]);
                }
            }
        }
        if branches.len() < 2 {
            continue;
        }
        // Fork, join, first activities and shares from the cases that visit the block.
        let mut from: BTreeMap<u32, u64> = BTreeMap::new();
        let mut join: BTreeMap<u32, u64> = BTreeMap::new();
        let mut firsts: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); branches.len()];
        let mut taken = vec![0u64; branches.len()];
        let (mut forks, mut overlapping) = (0u64, 0u64);
        for events in log.by_case() {
            let inside: Vec<&Event> = events.iter().filter(|e| branch_of.contains_key(&e.activity)).collect();
            let Some(first) = inside.first() else { continue };
            let block_end =
                inside.iter().map(|e| if e.end.is_nan() { e.start } else { e.end }).fold(f64::MIN, f64::max);
            let before = events
                .iter()
                .filter(|e| !branch_of.contains_key(&e.activity) && finished(e) && e.end <= first.start)
                .max_by(|a, b| a.end.total_cmp(&b.end));
            let Some(before) = before else { continue };
            forks += 1;
            *from.entry(before.activity).or_default() += 1;
            if let Some(after) = events
                .iter()
                .filter(|e| !branch_of.contains_key(&e.activity) && e.start >= block_end)
                .min_by(|a, b| a.start.total_cmp(&b.start))
            {
                *join.entry(after.activity).or_default() += 1;
            }
            let mut done = vec![false; branches.len()];
            for e in &inside {
                let i = branch_of[&e.activity];
                if !done[i] {
                    done[i] = true;
                    taken[i] += 1;
                    *firsts[i].entry(e.activity).or_default() += 1;
                }
            }
            if inside.iter().enumerate().any(|(i, x)| {
                inside[i + 1..].iter().any(|y| branch_of[&x.activity] != branch_of[&y.activity] && y.start < x.end)
            }) {
                overlapping += 1;
            }
        }
        let mode = |m: &BTreeMap<u32, u64>| m.iter().max_by_key(|(_, n)| **n).map(|(a, _)| *a);
        let (Some(f), Some(j)) = (mode(&from), mode(&join)) else { continue };
        let k = out.blocks.len();
        let branches: Vec<Branch> = branches
            .into_iter()
            .enumerate()
            .map(|(i, activities)| Branch {
                first: mode(&firsts[i]).unwrap_or(activities[0]),
                activities,
                share: taken[i] as f64 / forks.max(1) as f64,
            })
            .collect();
        for (i, b) in branches.iter().enumerate() {
            for a in &b.activities {
                out.place.insert(*a, (k, i));
            }
        }
        out.blocks.push(Block { from: f, branches, join: j, overlapping, forks });
    }
    out
}
