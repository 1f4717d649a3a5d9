//! Values kept per request slot. A run holds one slot per request in
//! progress and reuses it once the request has ended; what only some runs
//! need (the server's view of an attempt, a guard's per-request cost, a
//! backoff schedule's state) is kept in a [`SlotColumn`] beside the slots,
//! indexed like them, and costs nothing in the runs that do not need it.

/// A value per request slot that only some runs need: kept beside the
/// slots (indexed like them) when the run needs it, and nothing otherwise.
pub struct SlotColumn<T> {
    values: Vec<T>,
    kept: bool,
}

impl<T: Copy + Default> SlotColumn<T> {
    pub fn new(kept: bool) -> Self {
        SlotColumn {
            values: Vec::new(),
            kept,
        }
    }

    /// Whether the run keeps this column.
    pub fn kept(&self) -> bool {
        self.kept
    }

    /// Slot `req` starts a new request, with `value`.
    pub fn reset(&mut self, req: u32, value: T) {
        if !self.kept {
            return;
        }
        match self.values.get_mut(req as usize) {
            Some(v) => *v = value,
            None => self.values.push(value),
        }
    }

    /// The slot's value (the default when the column is not kept).
    pub fn get(&self, req: u32) -> T {
        self.values.get(req as usize).copied().unwrap_or_default()
    }

    /// The slot's value, to change; only for a kept column.
    pub fn get_mut(&mut self, req: u32) -> &mut T {
        &mut self.values[req as usize]
    }

    /// Sets the slot's value if the column is kept.
    pub fn set(&mut self, req: u32, value: T) {
        if self.kept {
            self.values[req as usize] = value;
        }
    }
}
