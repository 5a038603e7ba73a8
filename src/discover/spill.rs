//! Bounded-memory sorting of log records: an external merge sort over temporary files.
//!
//! A log of millions of events must not be held in memory at once (issue #23: memory linear
//! in activities × resources, not in events). Records are collected in a buffer of at most
//! `cap` records; a full buffer is sorted (stably) and written to a temporary file as a
//! *run*; reading merges the runs. Ties between runs go to the earlier run, so the result is
//! exactly the stable sort of all records in push order, whether or not anything was
//! spilled: a log that fits the buffer and one that does not give the same bytes downstream.
//!
//! Temporary files come from the `tempfile` crate: unpredictable names, created with O_EXCL,
//! deleted when dropped (also on errors and panics). If one cannot be created or written (a
//! full disk), the records stay in memory instead: slower to fail than to finish, never a
//! wrong result.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{BufReader, BufWriter, Read, Write};

use tempfile::NamedTempFile;

/// A fixed-size record that can be written to and read back from a run.
pub trait Record: Copy {
    /// Bytes of one encoded record.
    const SIZE: usize;
    fn write(&self, out: &mut [u8]);
    fn read(b: &[u8]) -> Self;
    /// The sort order (ties keep push order).
    fn order(&self, other: &Self) -> Ordering;
}

/// The little-endian `u32` at byte `i` of an encoded record.
pub(crate) fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(a)
}

/// The little-endian `u64` at byte `i` of an encoded record.
pub(crate) fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// The `f64` written with `to_bits().to_le_bytes()` at byte `i` of an encoded record.
pub(crate) fn f64_at(b: &[u8], i: usize) -> f64 {
    f64::from_bits(u64_at(b, i))
}

/// Read buffer per run while merging: many runs share the memory a single buffer would use.
const READ_BUFFER: usize = 1 << 16;

/// Records in push order, sorted on demand with at most `cap` of them in memory.
pub struct Sorter<T: Record> {
    buf: Vec<T>,
    runs: Vec<NamedTempFile>,
    cap: usize,
    len: u64,
}

impl<T: Record> Sorter<T> {
    pub fn new(cap: usize) -> Self {
        Sorter { buf: Vec::new(), runs: Vec::new(), cap: cap.max(1), len: 0 }
    }

    /// A sorter whose first run is `run` (records already in order, written by `write_run`).
    fn with_run(cap: usize, run: NamedTempFile, len: u64) -> Self {
        Sorter { buf: Vec::new(), runs: vec![run], cap: cap.max(1), len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The records not yet spilled, in push order.
    pub fn buffered(&self) -> &[T] {
        &self.buf
    }

    /// True once records went to disk.
    pub fn spilled(&self) -> bool {
        !self.runs.is_empty()
    }

    pub fn push(&mut self, r: T) {
        self.buf.push(r);
        self.len += 1;
        if self.buf.len() >= self.cap {
            self.buf.sort_by(T::order);
            match write_run(&self.buf) {
                Ok(run) => {
                    self.runs.push(run);
                    self.buf.clear();
                }
                // No room on disk: keep the records in memory from now on.
                Err(_) => self.cap = usize::MAX,
            }
        }
    }

    /// All records in order: in memory if nothing was spilled, else merged from the runs.
    pub fn finish(mut self) -> std::io::Result<Sorted<T>> {
        self.buf.sort_by(T::order);
        if self.runs.is_empty() {
            return Ok(Sorted::Memory(self.buf));
        }
        // The buffer holds the latest records: it is the last run, written out too when there
        // is room, so that its memory is free for whatever consumes the merge (often another
        // sorter filling its own buffer).
        let mut last = None;
        if !self.buf.is_empty() {
            match write_run(&self.buf) {
                Ok(run) => self.runs.push(run),
                Err(_) => last = Some(Source::Memory(std::mem::take(&mut self.buf).into_iter())),
            }
            self.buf = Vec::new();
        }
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            sources.push(Source::File(BufReader::with_capacity(READ_BUFFER, run.reopen()?)));
        }
        sources.extend(last);
        Merge::new(sources, self.runs).map(Sorted::Merged)
    }
}

impl<T: Record> Sorter<T> {
    /// All records in order, as an iterator (`Drain`).
    pub fn drain(self) -> Drain<T> {
        match self.finish() {
            Ok(Sorted::Memory(v)) => Drain { memory: v.into_iter(), merge: None, peeked: None, error: None },
            Ok(Sorted::Merged(m)) => {
                Drain { memory: Vec::new().into_iter(), merge: Some(m), peeked: None, error: None }
            }
            Err(e) => Drain { memory: Vec::new().into_iter(), merge: None, peeked: None, error: Some(e) },
        }
    }
}

/// Sorted records one by one. An I/O error with the temporary files ends the sequence early;
/// the caller takes it from `error` (and reports the log as incomplete), never a panic.
pub struct Drain<T: Record> {
    memory: std::vec::IntoIter<T>,
    merge: Option<Merge<T>>,
    peeked: Option<T>,
    pub error: Option<std::io::Error>,
}

impl<T: Record> Drain<T> {
    /// The next record if it satisfies `f` (else it stays next), as `Peekable::next_if`.
    pub fn next_if(&mut self, f: impl FnOnce(&T) -> bool) -> Option<T> {
        let r = self.peeked.take().or_else(|| self.next())?;
        if f(&r) {
            Some(r)
        } else {
            self.peeked = Some(r);
            None
        }
    }
}

impl<T: Record> Iterator for Drain<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if let Some(r) = self.peeked.take() {
            return Some(r);
        }
        let Some(m) = &mut self.merge else { return self.memory.next() };
        match m.next_record() {
            Ok(r) => r,
            Err(e) => {
                self.error.get_or_insert(e);
                self.merge = None;
                None
            }
        }
    }
}

/// Writes records (already sorted) to a new temporary file.
fn write_run<T: Record>(records: &[T]) -> std::io::Result<NamedTempFile> {
    let mut file = NamedTempFile::new()?;
    let mut w = BufWriter::with_capacity(READ_BUFFER, file.as_file_mut());
    let mut b = vec![0u8; T::SIZE];
    for r in records {
        r.write(&mut b);
        w.write_all(&b)?;
    }
    w.flush()?;
    drop(w);
    Ok(file)
}

/// Sorted records: a vector, or a merge of runs on disk.
pub enum Sorted<T: Record> {
    Memory(Vec<T>),
    Merged(Merge<T>),
}

enum Source<T> {
    File(BufReader<std::fs::File>),
    Memory(std::vec::IntoIter<T>),
}

impl<T: Record> Source<T> {
    fn next(&mut self, b: &mut [u8]) -> std::io::Result<Option<T>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::File(r) => read_record(r, b),
        }
    }
}

/// Reads one record; `None` at the end of the file.
pub(crate) fn read_record<T: Record, R: Read>(r: &mut R, b: &mut [u8]) -> std::io::Result<Option<T>> {
    match r.read_exact(b) {
        Ok(()) => Ok(Some(T::read(b))),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// The head record of one run in the merge heap.
struct Head<T> {
    rec: T,
    run: usize,
}

impl<T: Record> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: Record> Eq for Head<T> {}
impl<T: Record> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Record> Ord for Head<T> {
    /// Reversed (the heap is a max-heap): the smallest record, then the earliest run, first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.rec.order(&self.rec).then(other.run.cmp(&self.run))
    }
}

/// A k-way merge of sorted runs; holds one record and one read buffer per run.
pub struct Merge<T: Record> {
    sources: Vec<Source<T>>,
    heap: BinaryHeap<Head<T>>,
    scratch: Vec<u8>,
    /// Kept so that the files live (and are deleted) with the merge.
    _runs: Vec<NamedTempFile>,
}

impl<T: Record> Merge<T> {
    fn new(mut sources: Vec<Source<T>>, runs: Vec<NamedTempFile>) -> std::io::Result<Self> {
        let mut scratch = vec![0u8; T::SIZE];
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (run, s) in sources.iter_mut().enumerate() {
            if let Some(rec) = s.next(&mut scratch)? {
                heap.push(Head { rec, run });
            }
        }
        Ok(Merge { sources, heap, scratch, _runs: runs })
    }

    /// The next record in order, `None` at the end.
    pub fn next_record(&mut self) -> std::io::Result<Option<T>> {
        let Some(Head { rec, run }) = self.heap.pop() else { return Ok(None) };
        if let Some(next) = self.sources[run].next(&mut self.scratch)? {
            self.heap.push(Head { rec: next, run });
        }
        Ok(Some(rec))
    }
}

/// Records kept in push order in bounded memory: up to `cap` in a buffer, the rest appended to
/// one temporary file; read back (in push order) as often as needed.
pub struct Spool<T: Record> {
    buf: Vec<T>,
    file: Option<SpillWriter>,
    spilled: u64,
    cap: usize,
    /// The first error reading the records back: whoever consumed an iterator may not have
    /// looked at its `error`, so the CLI asks here before writing anything.
    failed: std::cell::RefCell<Option<String>>,
}

impl<T: Record> Spool<T> {
    pub fn new(cap: usize) -> Self {
        Spool { buf: Vec::new(), file: None, spilled: 0, cap: cap.max(1), failed: Default::default() }
    }

    /// The first I/O error reading the records back: the records read were then incomplete.
    pub fn failure(&self) -> Option<String> {
        self.failed.borrow().clone()
    }

    pub fn push(&mut self, r: T) {
        self.buf.push(r);
        // No room on disk: keep the records in memory from now on.
        if self.buf.len() >= self.cap && self.flush().is_err() {
            self.cap = usize::MAX;
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.file.is_none() {
            self.file = Some(Spilled::writer()?);
        }
        let Some(w) = &mut self.file else { return Ok(()) };
        let mut b = vec![0u8; T::SIZE];
        for r in &self.buf {
            w.write(r, &mut b)?;
        }
        w.w.flush()?;
        self.spilled += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.spilled + self.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records in push order; an I/O error reading them back ends the sequence early and
    /// is kept in the iterator's `error`.
    pub fn iter(&self) -> SpoolIter<'_, T> {
        let file = match &self.file {
            Some(w) if self.spilled > 0 => match w.file.reopen() {
                Ok(f) => Some((BufReader::with_capacity(READ_BUFFER, f), self.spilled)),
                Err(e) => {
                    let mut it = SpoolIter {
                        file: None,
                        buf: [].iter(),
                        scratch: Vec::new(),
                        error: None,
                        failed: &self.failed,
                    };
                    it.fail(e);
                    return it;
                }
            },
            _ => None,
        };
        SpoolIter { file, buf: self.buf.iter(), scratch: vec![0u8; T::SIZE], error: None, failed: &self.failed }
    }
}

impl<T: Record> Default for Spool<T> {
    fn default() -> Self {
        Spool::new(super::events::buffer_events())
    }
}

impl<T: Record> Clone for Spool<T> {
    fn clone(&self) -> Self {
        let mut c = Spool::new(self.cap);
        self.iter().for_each(|r| c.push(r));
        c
    }
}

impl<T: Record> std::fmt::Debug for Spool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spool({} records, {} on disk)", self.len(), self.spilled)
    }
}

pub struct SpoolIter<'a, T: Record> {
    /// The temporary file and the records still to read from it.
    file: Option<(BufReader<std::fs::File>, u64)>,
    buf: std::slice::Iter<'a, T>,
    scratch: Vec<u8>,
    pub error: Option<std::io::Error>,
    failed: &'a std::cell::RefCell<Option<String>>,
}

impl<T: Record> SpoolIter<'_, T> {
    fn fail(&mut self, e: std::io::Error) {
        let mut f = self.failed.borrow_mut();
        if f.is_none() {
            *f = Some(format!("temporary file of the spooled records: {e}"));
        }
        self.error = Some(e);
    }
}

impl<T: Record> Iterator for SpoolIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if let Some((r, left)) = &mut self.file {
            if *left > 0 {
                *left -= 1;
                match read_record::<T, _>(r, &mut self.scratch) {
                    Ok(Some(rec)) => return Some(rec),
                    Ok(None) => {
                        self.fail(std::io::ErrorKind::UnexpectedEof.into());
                        return None;
                    }
                    Err(e) => {
                        self.fail(e);
                        return None;
                    }
                }
            }
            self.file = None;
        }
        self.buf.next().copied()
    }
}

/// A sorted sequence written to one temporary file, read back as often as needed.
pub struct Spilled {
    file: NamedTempFile,
}

impl Spilled {
    /// Writes records as they come (already in order).
    pub fn writer() -> std::io::Result<SpillWriter> {
        let file = NamedTempFile::new()?;
        let w = BufWriter::with_capacity(READ_BUFFER, file.reopen()?);
        Ok(SpillWriter { file, w })
    }

    /// A fresh reader from the beginning (each has its own position).
    pub fn reader(&self) -> std::io::Result<BufReader<std::fs::File>> {
        Ok(BufReader::with_capacity(READ_BUFFER, self.file.reopen()?))
    }

    /// Back into a sorter (for more records), as its first run.
    pub fn into_sorter<T: Record>(self, cap: usize, len: u64) -> Sorter<T> {
        Sorter::with_run(cap, self.file, len)
    }
}

pub struct SpillWriter {
    file: NamedTempFile,
    w: BufWriter<std::fs::File>,
}

impl SpillWriter {
    pub fn write<T: Record>(&mut self, r: &T, scratch: &mut [u8]) -> std::io::Result<()> {
        r.write(scratch);
        self.w.write_all(scratch)
    }

    pub fn finish(mut self) -> std::io::Result<Spilled> {
        self.w.flush()?;
        Ok(Spilled { file: self.file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Pair(u32, u32);

    impl Record for Pair {
        const SIZE: usize = 8;
        fn write(&self, out: &mut [u8]) {
            out[..4].copy_from_slice(&self.0.to_le_bytes());
            out[4..8].copy_from_slice(&self.1.to_le_bytes());
        }
        fn read(b: &[u8]) -> Self {
            Pair(u32::from_le_bytes(b[..4].try_into().unwrap()), u32::from_le_bytes(b[4..8].try_into().unwrap()))
        }
        /// By the first field only: the second records push order, to check stability.
        fn order(&self, other: &Self) -> Ordering {
            self.0.cmp(&other.0)
        }
    }

    fn drain(s: Sorted<Pair>) -> Vec<Pair> {
        match s {
            Sorted::Memory(v) => v,
            Sorted::Merged(mut m) => {
                let mut out = Vec::new();
                while let Some(r) = m.next_record().unwrap() {
                    out.push(r);
                }
                out
            }
        }
    }

    #[test]
    fn spilled_merge_equals_stable_sort_in_memory() {
        // Keys with many ties across runs: a merge that broke ties by anything but run order
        // would reorder equal keys.
        let input: Vec<Pair> = (0..1000u32).map(|i| Pair((i * 7919) % 13, i)).collect();
        let mut expected = input.clone();
        expected.sort_by(Pair::order);
        for cap in [1, 7, 64, 999, 1000, 5000] {
            let mut s = Sorter::new(cap);
            for &p in &input {
                s.push(p);
            }
            assert_eq!(s.spilled(), cap <= 1000, "cap {cap}");
            assert_eq!(s.len(), 1000);
            assert_eq!(drain(s.finish().unwrap()), expected, "cap {cap}");
        }
    }

    #[test]
    fn spool_reads_back_in_push_order_from_disk_and_memory() {
        let mut s: Spool<Pair> = Spool::new(4);
        for i in 0..11u32 {
            s.push(Pair(11 - i, i));
        }
        assert_eq!(s.len(), 11);
        let want: Vec<Pair> = (0..11u32).map(|i| Pair(11 - i, i)).collect();
        for _ in 0..2 {
            let mut it = s.iter();
            assert_eq!(it.by_ref().collect::<Vec<_>>(), want);
            assert!(it.error.is_none());
        }
        assert_eq!(s.clone().iter().collect::<Vec<_>>(), want);
        assert_eq!(s.failure(), None);
        // A temporary file cut short: the iterator ends early and the spool remembers why.
        s.file.as_ref().unwrap().file.as_file().set_len(3).unwrap();
        let read = s.iter().count();
        assert!(read < 11, "{read} records read back from a cut file");
        assert!(s.failure().is_some_and(|e| e.contains("temporary file")), "{:?}", s.failure());
        // Drained sorted, with the peeked record kept for the next call.
        let mut sorter = Sorter::new(3);
        want.iter().for_each(|p| sorter.push(*p));
        let mut d = sorter.drain();
        assert_eq!(d.next_if(|p| p.0 > 5), None);
        assert_eq!(d.next(), Some(Pair(1, 10)));
        assert_eq!(d.count(), 10);
    }

    #[test]
    fn spilled_file_reads_back_and_becomes_a_run() {
        let mut w = Spilled::writer().unwrap();
        let mut b = [0u8; 8];
        for i in 0..10u32 {
            w.write(&Pair(i, i), &mut b).unwrap();
        }
        let f = w.finish().unwrap();
        for _ in 0..2 {
            let mut r = f.reader().unwrap();
            let mut got = Vec::new();
            while let Some(p) = read_record::<Pair, _>(&mut r, &mut b).unwrap() {
                got.push(p);
            }
            assert_eq!(got, (0..10).map(|i| Pair(i, i)).collect::<Vec<_>>());
        }
        let mut s: Sorter<Pair> = f.into_sorter(4, 10);
        s.push(Pair(3, 100));
        let all = drain(s.finish().unwrap());
        assert_eq!(all.len(), 11);
        // The appended record comes after the equal key already in the run.
        assert_eq!(all[3], Pair(3, 3));
        assert_eq!(all[4], Pair(3, 100));
    }
}
