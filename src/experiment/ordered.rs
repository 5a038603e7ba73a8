//! An ordered parallel loop without barriers: every thread of the rayon pool takes the next
//! index as soon as it is free, and results are folded strictly in index order by whichever
//! thread completes the index the fold is waiting for.
//!
//! Why not `par_iter` over chunks: each chunk ends with a barrier (the slowest replication of
//! the chunk idles the other threads), and folding a chunk only overlaps with the next one.
//! Here a thread never waits for another, except when it has run `window` indices ahead of the
//! fold (one replication far slower than `window` others): that bounds the memory held by
//! results not yet folded. The fold order, and so every output byte, is the same for any
//! thread count and any completion order.
//!
//! The fold borrows each result; what is left of it is dropped by the thread that made it, at
//! its next index. Why: with glibc's allocator a block freed by another thread takes the lock
//! of the arena it came from, and the thread that owns that arena is meanwhile allocating the
//! next replication's tables in it. Folding the other thread's results and freeing them there
//! cost 150–200 futex waits per 1,000-replication run of the main job (`perf record -e
//! sched:sched_switch --call-graph dwarf`: `realloc` in `Histogram::cover`, `free` in the fold).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Results done but not yet folded: slot `k` holds index `next + k`, with the worker that made it.
struct Buffer<T> {
    next: u64,
    slots: VecDeque<Option<(usize, T)>>,
    /// Threads waiting for room: the fold signals `room` only when there are some (a signal is
    /// a system call even with nobody waiting, and the fold advances 5,000 times in a run of
    /// the main job).
    waiting: usize,
}

impl<T> Buffer<T> {
    fn ready(&self) -> bool {
        matches!(self.slots.front(), Some(Some(_)))
    }
}

/// The fold and how many results it was given.
struct Folder<F> {
    fold: F,
    folded: u64,
}

struct Shared<T, F> {
    n: u64,
    window: u64,
    claim: AtomicU64,
    stop: AtomicBool,
    buffer: Mutex<Buffer<T>>,
    /// Signalled when the fold advances or the loop stops, for threads waiting for room.
    room: Condvar,
    fold: Mutex<Folder<F>>,
    /// Per worker: folded results it made, for it to drop.
    spent: Vec<Mutex<Vec<T>>>,
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // A panic in `work` or `fold` is re-raised by rayon; the data is not used after it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T, F: FnMut(u64, &mut T) -> bool> Shared<T, F> {
    fn halt(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _b = lock(&self.buffer);
        self.room.notify_all();
    }

    /// Folds every result that is next in order. Only one thread folds at a time; a thread
    /// that finds the fold busy leaves its result to the folder, which looks again after
    /// releasing the fold (so a result stored meanwhile is never left behind).
    fn drain(&self) {
        loop {
            let Ok(mut fold) = self.fold.try_lock() else { return };
            loop {
                let item = {
                    let mut b = lock(&self.buffer);
                    if !b.ready() || self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let i = b.next;
                    b.next += 1;
                    let t = b.slots.pop_front().flatten();
                    if b.waiting > 0 {
                        self.room.notify_all();
                    }
                    (i, t)
                };
                if let (i, Some((maker, mut t))) = item {
                    fold.folded += 1;
                    let go_on = (fold.fold)(i, &mut t);
                    lock(&self.spent[maker]).push(t);
                    if !go_on {
                        drop(fold);
                        self.halt();
                        return;
                    }
                }
            }
            drop(fold);
            if self.stop.load(Ordering::SeqCst) || !lock(&self.buffer).ready() {
                return;
            }
        }
    }

    /// Drops what the fold left of the results worker `me` made (outside the lock).
    fn drop_spent(&self, me: usize) {
        let spent = std::mem::take(&mut *lock(&self.spent[me]));
        drop(spent);
    }

    fn worker(&self, me: usize, work: &(impl Fn(u64) -> Option<T> + Sync)) {
        // Whatever ends this worker (a panic included) wakes the threads waiting for room,
        // so that none of them waits for a result that will never come.
        struct Wake<'a, T, F: FnMut(u64, &mut T) -> bool>(&'a Shared<T, F>, bool);
        impl<T, F: FnMut(u64, &mut T) -> bool> Drop for Wake<'_, T, F> {
            fn drop(&mut self) {
                if self.1 {
                    self.0.halt();
                }
            }
        }
        let mut guard = Wake(self, true);
        loop {
            self.drop_spent(me);
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let i = self.claim.fetch_add(1, Ordering::SeqCst);
            if i >= self.n {
                guard.1 = false;
                self.drop_spent(me);
                break;
            }
            {
                let mut b = lock(&self.buffer);
                while i >= b.next + self.window && !self.stop.load(Ordering::SeqCst) {
                    b.waiting += 1;
                    b = self.room.wait(b).unwrap_or_else(PoisonError::into_inner);
                    b.waiting -= 1;
                }
            }
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let Some(t) = work(i) else { break };
            {
                let mut b = lock(&self.buffer);
                let k = (i - b.next) as usize;
                if b.slots.len() <= k {
                    b.slots.resize_with(k + 1, || None);
                }
                b.slots[k] = Some((me, t));
            }
            self.drain();
        }
    }
}

/// Runs `work(i)` for every `i` in `0..n` on all threads of the current rayon pool and calls
/// `fold(i, &mut result)` for `i = 0, 1, 2, …` in that order, at most `window` results being
/// held unfolded at once (what the fold leaves of a result is dropped by the thread that made
/// it). `work` returning `None` or `fold` returning `false` stops the loop: no
/// new index is started and nothing more is folded. Returns how many results were given to
/// `fold` (`n` when nothing stopped the loop).
pub fn for_each_ordered<T, W, F>(n: u64, window: usize, work: W, fold: F) -> u64
where
    T: Send,
    W: Fn(u64) -> Option<T> + Sync,
    F: FnMut(u64, &mut T) -> bool + Send,
{
    let shared = Shared {
        n,
        window: window.max(1) as u64,
        claim: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        buffer: Mutex::new(Buffer { next: 0, slots: VecDeque::new(), waiting: 0 }),
        room: Condvar::new(),
        fold: Mutex::new(Folder { fold, folded: 0 }),
        spent: (0..rayon::current_num_threads()).map(|_| Mutex::new(Vec::new())).collect(),
    };
    rayon::broadcast(|ctx| shared.worker(ctx.index(), &work));
    shared.fold.into_inner().unwrap_or_else(PoisonError::into_inner).folded
}

#[cfg(test)]
mod tests {
    use super::for_each_ordered;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Work whose duration varies with the index, so that later indices often finish first.
    fn uneven(i: u64) -> u64 {
        std::thread::sleep(Duration::from_micros((i * 7919 % 13) * 150));
        i * i
    }

    #[test]
    fn folds_every_index_once_in_order_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let seen = Mutex::new(Vec::new());
            let folded = pool(threads).install(|| {
                for_each_ordered(
                    200,
                    16,
                    |i| Some(uneven(i)),
                    |i, v: &mut u64| {
                        seen.lock().unwrap_or_else(|e| e.into_inner()).push((i, *v));
                        true
                    },
                )
            });
            let seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
            assert_eq!(folded, 200, "{threads} threads");
            let want: Vec<(u64, u64)> = (0..200).map(|i| (i, i * i)).collect();
            assert_eq!(seen, want, "{threads} threads");
        }
    }

    #[test]
    fn no_more_than_the_window_runs_ahead_of_the_fold() {
        let window = 4;
        let folded = AtomicU64::new(0);
        let ahead = AtomicU64::new(0);
        pool(3).install(|| {
            for_each_ordered(
                120,
                window,
                |i| {
                    // Index `folded` may be taken out of the buffer but not yet folded: one
                    // more than the window.
                    ahead.fetch_max(i + 1 - folded.load(Ordering::SeqCst), Ordering::SeqCst);
                    // Every tenth item is slow: the others run ahead until the window is full.
                    std::thread::sleep(Duration::from_millis(if i % 10 == 0 { 20 } else { 1 }));
                    Some(i)
                },
                |i, _| {
                    folded.store(i + 1, Ordering::SeqCst);
                    true
                },
            )
        });
        let ahead = ahead.into_inner();
        assert!(ahead <= window as u64 + 1, "{ahead} items ahead of the fold with a window of {window}");
        assert!(ahead >= window as u64, "the slow items should have filled the window (max ahead {ahead})");
    }

    #[test]
    fn work_or_fold_can_stop_the_loop() {
        for threads in [1, 2, 3] {
            // `work` says stop at index 50: nothing from 50 on is folded.
            let last = AtomicU64::new(0);
            let folded = pool(threads).install(|| {
                for_each_ordered(
                    1000,
                    8,
                    |i| (i != 50).then(|| uneven(i)),
                    |i, _| {
                        last.store(i, Ordering::SeqCst);
                        true
                    },
                )
            });
            assert!(folded <= 50, "{threads} threads: {folded} folded");
            assert!(last.into_inner() < 50);
            // `fold` says stop at index 30: it is the last one folded.
            let calls = AtomicU64::new(0);
            let folded = pool(threads).install(|| {
                for_each_ordered(
                    1000,
                    8,
                    |i| Some(uneven(i)),
                    |i, _| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        i != 30
                    },
                )
            });
            assert_eq!((folded, calls.into_inner()), (31, 31), "{threads} threads");
        }
    }

    /// What the fold leaves of a result is dropped by the thread that made it (at its next
    /// index), not by the thread that happened to fold it; only the last few, left when their
    /// makers had no next index, are dropped at the end. Every result is dropped once.
    #[test]
    fn results_are_dropped_by_the_thread_that_made_them() {
        struct Made {
            by: std::thread::ThreadId,
            drops: &'static Mutex<Vec<bool>>,
        }
        impl Drop for Made {
            fn drop(&mut self) {
                let own = std::thread::current().id() == self.by;
                self.drops.lock().unwrap_or_else(|e| e.into_inner()).push(own);
            }
        }
        for threads in [2, 3] {
            let drops: &'static Mutex<Vec<bool>> = Box::leak(Box::new(Mutex::new(Vec::new())));
            let folded_elsewhere = AtomicU64::new(0);
            pool(threads).install(|| {
                for_each_ordered(
                    300,
                    16,
                    |i| {
                        uneven(i);
                        Some(Made { by: std::thread::current().id(), drops })
                    },
                    |_, m: &mut Made| {
                        if std::thread::current().id() != m.by {
                            folded_elsewhere.fetch_add(1, Ordering::SeqCst);
                        }
                        true
                    },
                )
            });
            let drops = drops.lock().unwrap_or_else(|e| e.into_inner()).clone();
            assert_eq!(drops.len(), 300, "{threads} threads: every result dropped once");
            let own = drops.iter().filter(|&&o| o).count();
            let elsewhere = folded_elsewhere.into_inner();
            assert!(elsewhere >= 30, "{threads} threads: only {elsewhere} results folded by another thread");
            // Left to the end: a thread's results folded after it finished, at most a window each.
            assert!(own >= 300 - 16 * threads, "{threads} threads: {own} of 300 dropped by their maker");
        }
    }

    #[test]
    fn a_panic_in_work_reaches_the_caller_without_a_deadlock() {
        let r = std::panic::catch_unwind(|| {
            pool(3).install(|| {
                for_each_ordered(
                    100,
                    2,
                    |i| {
                        assert!(i != 5, "work failed");
                        Some(uneven(i))
                    },
                    |_, _| true,
                )
            })
        });
        assert!(r.is_err());
    }
}
