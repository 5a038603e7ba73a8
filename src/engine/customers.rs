//! Customers in the system, kept in a slab: slots are reused, so memory grows with the
//! number of customers *in* the system, never with the number served.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In service or in a pure delay.
    Busy,
    Waiting,
    Free,
}

/// `Customer::group` of a customer no staff is serving.
pub const NO_GROUP: u32 = u32::MAX;

/// `Customer::fork` of a whole case (not a branch token of a fork).
pub const NO_FORK: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct Customer {
    pub ctype: u32,
    pub step: u32,
    /// Changes each time the customer leaves a queue or its slot is freed, so that stale
    /// queue entries and patience events can be recognised and skipped.
    pub token: u32,
    pub state: State,
    /// Arrived inside the observation window (after the warm-up).
    pub counted: bool,
    pub arrival: f64,
    /// When the current wait or service began.
    pub since: f64,
    pub wait: f64,
    /// Identity within the replication (arrival stream and arrival number): with `visits`, it
    /// keys the customer's own random draws.
    pub id: u64,
    /// Steps entered so far (removed steps included, so later draws stay aligned).
    pub visits: u32,
    /// The staff group serving the customer while in service, else `NO_GROUP`.
    pub group: u32,
    /// The step where the customer holds a booked appointment (u32::MAX: a walk-in).
    pub booked_step: u32,
    /// Position in its group's in-service list (preemptive groups only).
    pub in_svc: u32,
    /// Factor on the next service time (context handed over), 1 otherwise.
    pub factor: f32,
    /// Remaining service of a preempted customer (0: none).
    pub remaining: f64,
    /// When the current service ends (kept for services of preemptive groups only).
    pub svc_end: f64,
    /// The fork instance this record is a branch token of (`engine::fork`), else `NO_FORK`.
    /// Fits in the record's padding: the record is no larger than without it.
    pub fork: u32,
}

#[derive(Debug, Default)]
pub struct Slab {
    items: Vec<Customer>,
    free: Vec<u32>,
    in_use: usize,
}

impl Slab {
    pub fn with_capacity(n: usize) -> Self {
        Slab { items: Vec::with_capacity(n), free: Vec::with_capacity(n), in_use: 0 }
    }

    /// A new customer in a free slot. `full` is false when the model uses none of the optional
    /// behaviours: the fields only they change (`booked_step`, `in_svc`, `factor`,
    /// `remaining`, `svc_end`, `fork`) then still hold their initial values in a reused slot and are
    /// not written again.
    #[inline]
    pub fn insert(&mut self, ctype: u32, step: u32, counted: bool, now: f64, id: u64, full: bool) -> u32 {
        self.in_use += 1;
        let c = Customer {
            ctype,
            step,
            token: 0,
            state: State::Busy,
            counted,
            arrival: now,
            since: now,
            wait: 0.0,
            id,
            visits: 0,
            group: NO_GROUP,
            booked_step: u32::MAX,
            in_svc: 0,
            factor: 1.0,
            remaining: 0.0,
            svc_end: 0.0,
            fork: NO_FORK,
        };
        match self.free.pop() {
            Some(slot) => {
                let item = &mut self.items[slot as usize];
                if full {
                    *item = Customer { token: item.token, ..c };
                } else {
                    (item.ctype, item.step, item.state, item.counted) = (c.ctype, c.step, c.state, c.counted);
                    (item.arrival, item.since, item.wait, item.id) = (c.arrival, c.since, c.wait, c.id);
                    (item.visits, item.group) = (c.visits, c.group);
                }
                slot
            }
            None => {
                self.items.push(c);
                (self.items.len() - 1) as u32
            }
        }
    }

    #[inline]
    pub fn remove(&mut self, slot: u32) {
        let c = &mut self.items[slot as usize];
        c.state = State::Free;
        c.token = c.token.wrapping_add(1);
        self.free.push(slot);
        self.in_use -= 1;
    }

    #[inline]
    pub fn get(&self, slot: u32) -> &Customer {
        &self.items[slot as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Customer {
        &mut self.items[slot as usize]
    }

    /// The customers in the system.
    pub fn inside(&self) -> impl Iterator<Item = &Customer> + '_ {
        self.items.iter().filter(|c| c.state != State::Free)
    }

    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// High-water mark of slots: the most customers ever in the system at once.
    pub fn capacity_used(&self) -> usize {
        self.items.len()
    }
}
