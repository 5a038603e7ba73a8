//! Rows as read, keyed by their case id, numbered into cases after reading.
//!
//! Numbering case ids while reading needs a table of every id seen: even in a compact arena
//! that is about 40 bytes per case with the case's type, arrival and latest start, memory that
//! grows with the log (issue #23 asks for memory linear in activities × resources). Instead a
//! row carries a 128-bit hash of its case id and goes through an external sort (`spill`) by
//! that key: the rows of a case come out together, in read order (the sort is stable), so the
//! case's type, recorded arrival and out-of-order rows are found there. A second sort by the
//! case's first row restores "first come, first numbered": the cases, and the scenario, come
//! out as with a table of names. Each pass holds a buffer, not the log.
//!
//! Two ids share a key with probability about n²/2¹²⁹ (below 10⁻²⁰ for 10⁹ cases).

use std::cmp::Ordering;
use std::hash::Hasher;

use super::events::Events;
use super::log::{Event, Left, NONE, PatienceObs};
use super::spill::{self, Record, Sorter, Spool};
use super::time::Minutes;

/// A case id, hashed: equal ids give equal keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaseKey(u128);

impl CaseKey {
    pub fn of(id: &str) -> CaseKey {
        // Two SipHash-1-3 with fixed keys and different prefixes: deterministic, 128 bits.
        #[allow(deprecated)]
        let half = |prefix: u8| {
            let mut h = std::hash::SipHasher::new_with_keys(0x6272_616e_6368_7369, u64::from(prefix));
            h.write(id.as_bytes());
            h.finish()
        };
        CaseKey(u128::from(half(1)) << 64 | u128::from(half(2)))
    }

    /// The key of case number `i` of a log already read (re-numbering keeps the order).
    pub fn index(i: u32) -> CaseKey {
        CaseKey(u128::from(i))
    }
}

/// What a row brings to its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A visit.
    Visit,
    /// A visit that is also a patience observation (waited `start - enable`, abandoned if it
    /// left): typed with the case's type once all its rows are known.
    Observed,
    /// Only case facts (type, recorded arrival), no visit: a ticket that left unserved, a
    /// customer still waiting at the end, a trace without usable events.
    Case,
}

/// One row: its case key, its place in the read order and its event (for `Kind::Case`, only
/// `ctype`, `arrival` and `line` mean anything).
#[derive(Clone, Copy)]
struct Row {
    key: u128,
    seq: u64,
    kind: Kind,
    e: Event,
}

impl Record for Row {
    const SIZE: usize = 25 + Event::SIZE;

    fn write(&self, o: &mut [u8]) {
        o[0..16].copy_from_slice(&self.key.to_le_bytes());
        o[16..24].copy_from_slice(&self.seq.to_le_bytes());
        o[24] = self.kind as u8;
        self.e.write(&mut o[25..]);
    }

    fn read(b: &[u8]) -> Self {
        let key = u128::from(spill::u64_at(b, 8)) << 64 | u128::from(spill::u64_at(b, 0));
        let kind = match b[24] {
            0 => Kind::Visit,
            1 => Kind::Observed,
            _ => Kind::Case,
        };
        Row { key, seq: spill::u64_at(b, 16), kind, e: Event::read(&b[25..]) }
    }

    /// By case key only: a case's rows stay in read order.
    fn order(&self, o: &Self) -> Ordering {
        self.key.cmp(&o.key)
    }
}

/// An event tagged with its case's first row, for the second sort.
#[derive(Clone, Copy)]
struct Tagged {
    first: u64,
    e: Event,
}

impl Record for Tagged {
    const SIZE: usize = 8 + Event::SIZE;

    fn write(&self, o: &mut [u8]) {
        o[0..8].copy_from_slice(&self.first.to_le_bytes());
        self.e.write(&mut o[8..]);
    }

    fn read(b: &[u8]) -> Self {
        Tagged { first: spill::u64_at(b, 0), e: Event::read(&b[8..]) }
    }

    /// First row of the case, then the order inference walks a case in.
    fn order(&self, o: &Self) -> Ordering {
        self.first.cmp(&o.first).then_with(|| self.e.order(&o.e))
    }
}

/// A case without a visit: its number and what the log says of it.
#[derive(Clone, Copy, Debug)]
pub struct LoneCase {
    /// The case number (for a `Tagged`-like sort, its first row until numbered).
    pub case: u64,
    pub ctype: u32,
    /// Recorded arrival, NaN when none.
    pub arrival: Minutes,
}

impl Record for LoneCase {
    const SIZE: usize = 20;

    fn write(&self, o: &mut [u8]) {
        o[0..8].copy_from_slice(&self.case.to_le_bytes());
        o[8..12].copy_from_slice(&self.ctype.to_le_bytes());
        o[12..20].copy_from_slice(&self.arrival.to_bits().to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        LoneCase { case: spill::u64_at(b, 0), ctype: spill::u32_at(b, 8), arrival: spill::f64_at(b, 12) }
    }

    fn order(&self, o: &Self) -> Ordering {
        self.case.cmp(&o.case)
    }
}

/// The rows of a log being read, in bounded memory.
pub struct Rows {
    sorter: Sorter<Row>,
    seq: u64,
    /// Records held in memory by each sort (`events::buffer_events`).
    cap: usize,
}

impl Default for Rows {
    fn default() -> Self {
        Rows::with_buffer(super::events::buffer_events())
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rows({})", self.sorter.len())
    }
}

impl Rows {
    /// Rows whose sorts hold at most `cap` records in memory.
    pub fn with_buffer(cap: usize) -> Rows {
        Rows { sorter: Sorter::new(cap), seq: 0, cap }
    }

    fn push(&mut self, key: CaseKey, kind: Kind, e: Event) {
        self.sorter.push(Row { key: key.0, seq: self.seq, kind, e });
        self.seq += 1;
    }

    /// A visit of case `key`; `e.ctype` and `e.arrival` are what this row records of its case
    /// (`NONE`/NaN when nothing), `e.case` is ignored.
    pub fn visit(&mut self, key: CaseKey, e: Event) {
        self.push(key, Kind::Visit, e);
    }

    /// A visit that is also a patience observation (see `Kind::Observed`).
    pub fn observed_visit(&mut self, key: CaseKey, e: Event) {
        self.push(key, Kind::Observed, e);
    }

    /// Facts of case `key` without a visit: its type (`NONE` if not given) and recorded
    /// arrival (NaN if not given). The case counts even if nothing else is known of it.
    pub fn case(&mut self, key: CaseKey, ctype: u32, arrival: Minutes, line: u64) {
        let e = Event {
            case: 0,
            activity: NONE,
            resource: NONE,
            start: f64::NAN,
            end: f64::NAN,
            enable: f64::NAN,
            left: Left::No,
            line: line.min(u64::from(u32::MAX)) as u32,
            ctype,
            arrival,
        };
        self.push(key, Kind::Case, e);
    }

    pub fn len(&self) -> u64 {
        self.sorter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorter.is_empty()
    }
}

/// The cases numbered: events sorted by case, start, end and line with their case's type and
/// arrival; the cases without a visit; what the grouping found.
pub struct Numbered {
    pub events: Events,
    /// Cases without a visit, by number.
    pub lone: Spool<LoneCase>,
    /// Cases in all (with and without visits).
    pub cases: usize,
    /// Rows earlier than the row before them in their case: count and first example lines.
    pub unsorted: (u64, Vec<u64>),
    /// The first I/O error with the temporary files: the cases are then incomplete.
    pub error: Option<std::io::Error>,
}

/// Groups the rows by case and numbers the cases by their first row. Patience observations of
/// `Kind::Observed` visits are added to `patience`, typed with their case's type.
pub fn number(rows: Rows, patience: &mut Spool<PatienceObs>) -> Numbered {
    let cap = rows.cap;
    let mut tagged = Sorter::<Tagged>::new(cap);
    let mut lone = Sorter::<LoneCase>::new(cap);
    let mut unsorted = (0u64, Vec::new());
    let mut cases = 0usize;
    let mut drain = rows.sorter.drain();
    let mut group: Vec<Row> = Vec::new();
    let mut flush = |group: &mut Vec<Row>, tagged: &mut Sorter<Tagged>, lone: &mut Sorter<LoneCase>| {
        let Some(head) = group.first() else { return };
        let first = head.seq;
        let ctype = group.iter().map(|r| r.e.ctype).find(|&t| t != NONE).unwrap_or(NONE);
        let arrival = group.iter().map(|r| r.e.arrival).filter(|a| !a.is_nan()).fold(f64::NAN, f64::min);
        let mut latest = f64::NEG_INFINITY;
        let mut visits = 0;
        for r in group.iter().filter(|r| r.kind != Kind::Case) {
            if r.e.start < latest {
                // The cases come in key order: the examples are the earliest lines, as a
                // reader going through the file would have found them first.
                unsorted.0 += 1;
                let line = u64::from(r.e.line);
                let at = unsorted.1.partition_point(|&l| l < line);
                if at < 5 {
                    unsorted.1.insert(at, line);
                    unsorted.1.truncate(5);
                }
            }
            latest = latest.max(r.e.start);
            if r.kind == Kind::Observed {
                let abandoned = r.e.left == Left::Abandoned;
                patience.push(PatienceObs { wait: r.e.start - r.e.enable, abandoned, ctype });
            }
            tagged.push(Tagged { first, e: Event { ctype, arrival, ..r.e } });
            visits += 1;
        }
        if visits == 0 {
            lone.push(LoneCase { case: first, ctype, arrival });
        }
        group.clear();
    };
    for r in drain.by_ref() {
        if group.first().is_some_and(|g| g.key != r.key) {
            flush(&mut group, &mut tagged, &mut lone);
            cases += 1;
        }
        group.push(r);
    }
    if !group.is_empty() {
        flush(&mut group, &mut tagged, &mut lone);
        cases += 1;
    }
    let mut error = drain.error.take();
    // Number by first row: the events' and the lone cases' sequences merged.
    let mut ts = tagged.drain();
    let mut ls = lone.drain();
    let mut out = Spool::<LoneCase>::new(cap);
    let mut next: u32 = 0;
    let mut current: Option<u64> = None;
    let events = Events::from_ordered(
        cap,
        std::iter::from_fn(|| {
            let t = ts.next()?;
            if current != Some(t.first) {
                while let Some(l) = ls.next_if(|l| l.case < t.first) {
                    out.push(LoneCase { case: u64::from(next), ..l });
                    next += 1;
                }
                current = Some(t.first);
                next += 1;
            }
            Some(Event { case: next - 1, ..t.e })
        }),
    );
    for l in ls.by_ref() {
        out.push(LoneCase { case: u64::from(next), ..l });
        next += 1;
    }
    error = error.or(ts.error.take()).or(ls.error.take());
    Numbered { events, lone: out, cases, unsorted, error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(start: f64, line: u32, ctype: u32) -> Event {
        Event {
            case: 0,
            activity: line % 2,
            resource: NONE,
            start,
            end: start + 1.0,
            enable: start - 0.5,
            left: Left::No,
            line,
            ctype,
            arrival: f64::NAN,
        }
    }

    /// Rows of cases "b", "a", "z" (visits) and "lone" (facts only), interleaved.
    fn read(cap: usize) -> (Numbered, Vec<PatienceObs>) {
        let mut rows = Rows::with_buffer(cap);
        let k = CaseKey::of;
        rows.visit(k("b"), visit(5.0, 2, NONE));
        rows.visit(k("a"), visit(1.0, 3, NONE));
        rows.case(k("lone"), 1, 0.25, 4);
        rows.observed_visit(k("b"), visit(3.0, 5, 7)); // out of order; names b's type
        rows.visit(k("a"), visit(2.0, 6, 9));
        rows.case(k("b"), 8, 0.5, 7); // a later type does not replace the first
        rows.visit(k("z"), visit(0.0, 8, NONE));
        rows.case(k("b"), NONE, 0.75, 9);
        let mut patience = Spool::new(cap);
        let n = number(rows, &mut patience);
        let obs = patience.iter().collect();
        (n, obs)
    }

    #[test]
    fn cases_are_numbered_by_first_row_with_their_facts() {
        let (n, obs) = read(usize::MAX);
        assert!(n.error.is_none());
        assert_eq!(n.cases, 4);
        let got: Vec<(u32, f64, u32, u32)> = n.events.iter().map(|e| (e.case, e.start, e.line, e.ctype)).collect();
        // b is case 0, a case 1, lone case 2 (no visit), z case 3; each case's visits by start.
        assert_eq!(got, vec![(0, 3.0, 5, 7), (0, 5.0, 2, 7), (1, 1.0, 3, 9), (1, 2.0, 6, 9), (3, 0.0, 8, NONE)]);
        let arrivals: Vec<f64> = n.events.iter().map(|e| e.arrival).collect();
        assert_eq!(&arrivals[..2], &[0.5, 0.5], "the earliest recorded arrival");
        assert!(arrivals[2..].iter().all(|a| a.is_nan()));
        let lone: Vec<(u64, u32, f64)> = n.lone.iter().map(|l| (l.case, l.ctype, l.arrival)).collect();
        assert_eq!(lone, vec![(2, 1, 0.25)]);
        assert_eq!(n.unsorted, (1, vec![5]), "b's row at 3.0 came after its row at 5.0");
        assert_eq!(obs.len(), 1);
        assert_eq!((obs[0].wait, obs[0].abandoned, obs[0].ctype), (0.5, false, 7));
    }

    #[test]
    fn spilled_rows_number_as_in_memory() {
        let key = |n: &Numbered| -> Vec<(u32, u64, u32, u32, u64)> {
            n.events.iter().map(|e| (e.case, e.start.to_bits(), e.line, e.ctype, e.arrival.to_bits())).collect()
        };
        let (mem, _) = read(usize::MAX);
        let (disk, _) = read(2);
        assert!(disk.events.spilled() && !mem.events.spilled());
        assert_eq!(key(&mem), key(&disk));
        assert_eq!((mem.cases, mem.unsorted.clone()), (disk.cases, disk.unsorted.clone()));
        let lone = |n: &Numbered| n.lone.iter().map(|l| (l.case, l.ctype)).collect::<Vec<_>>();
        assert_eq!(lone(&mem), lone(&disk));
        // Many cases through tiny buffers: numbering is still by first appearance.
        let mut rows = Rows::with_buffer(7);
        for i in 0..300u32 {
            let id = format!("case {}", (i * 37) % 100);
            rows.visit(CaseKey::of(&id), visit(f64::from(i), i, NONE));
        }
        let n = number(rows, &mut Spool::new(7));
        assert_eq!(n.cases, 100);
        let mut first_line = vec![u32::MAX; 100];
        for e in n.events.iter() {
            first_line[e.case as usize] = first_line[e.case as usize].min(e.line);
        }
        assert!(first_line.windows(2).all(|w| w[0] < w[1]), "{first_line:?}");
        assert_eq!(n.events.len(), 300);
    }

    #[test]
    fn keys_tell_ids_apart() {
        assert_eq!(CaseKey::of("客户-7"), CaseKey::of("客户-7"));
        assert_ne!(CaseKey::of("c1"), CaseKey::of("c10"));
        assert_ne!(CaseKey::of(""), CaseKey::of(" "));
        let keys: std::collections::HashSet<CaseKey> = (0..100_000).map(|i| CaseKey::of(&i.to_string())).collect();
        assert_eq!(keys.len(), 100_000);
    }
}
