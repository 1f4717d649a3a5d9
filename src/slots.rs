//! Values kept per request slot. A run holds one slot per request in
//! progress and reuses it once the request has ended; what only some runs
//! need (the server's view of an attempt, a guard's per-request cost, a
//! backoff schedule's state) is kept in a [`SlotColumn`] beside the slots,
//! indexed like them, and costs nothing in the runs that do not need it.
//!
//! A column's memory outlives its run: dropped, it leaves its emptied
//! vector to the next column of the same type on the same thread (see
//! [`SlotColumn::new`]), so that a worker's runs do not grow their columns
//! again, push by push, from nothing.

use crate::reuse::emptied_if_small;
use std::any::Any;
use std::cell::RefCell;

/// A value per request slot that only some runs need: kept beside the
/// slots (indexed like them) when the run needs it, and nothing otherwise.
pub struct SlotColumn<T: Copy + Default + 'static> {
    values: Vec<T>,
    kept: bool,
}

/// Emptied vectors of columns kept on a thread, at most this many.
const KEEP_VECTORS: usize = 32;

thread_local! {
    /// The emptied vectors of columns dropped on this thread, each a
    /// `Vec<T>` for the column's `T` (boxed once, then refilled in place:
    /// taking and giving back allocate nothing).
    static SPARE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// An empty vector, with the room a dropped column of the same type left
/// on this thread if there is one.
fn take_spare<T: 'static>() -> Vec<T> {
    SPARE
        .try_with(|spare| {
            spare.try_borrow_mut().ok().and_then(|mut spare| {
                spare
                    .iter_mut()
                    .filter_map(|b| b.downcast_mut::<Vec<T>>())
                    .find(|v| v.capacity() > 0)
                    .map(std::mem::take)
            })
        })
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `values`' room, emptied, for the next column of its type on this
/// thread (unless it is large: see [`emptied_if_small`]).
fn give_spare<T: 'static>(values: Vec<T>) {
    let Some(values) = emptied_if_small(values).filter(|v| v.capacity() > 0) else {
        return;
    };
    let _ = SPARE.try_with(|spare| {
        let Ok(mut spare) = spare.try_borrow_mut() else {
            return;
        };
        let kept = spare.len();
        let empty = spare
            .iter_mut()
            .filter_map(|b| b.downcast_mut::<Vec<T>>())
            .find(|v| v.capacity() == 0);
        match empty {
            Some(v) => *v = values,
            None if kept < KEEP_VECTORS => spare.push(Box::new(values)),
            None => {}
        }
    });
}

impl<T: Copy + Default + 'static> Drop for SlotColumn<T> {
    fn drop(&mut self) {
        give_spare(std::mem::take(&mut self.values));
    }
}

impl<T: Copy + Default + 'static> SlotColumn<T> {
    /// A column, kept or not; a kept one starts empty, in the room a column
    /// of the same type dropped on this thread left (a run's values never
    /// depend on it: slots are reset before they are read).
    pub fn new(kept: bool) -> Self {
        SlotColumn {
            values: if kept { take_spare() } else { Vec::new() },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reuse::KEEP_BYTES;

    /// A marker type no other test's columns use, so that the thread's
    /// spare vectors of it are this test's alone.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    struct Mark(u16);

    #[test]
    fn a_dropped_column_leaves_its_room_to_the_next_and_nothing_else() {
        let mut first = SlotColumn::<Mark>::new(true);
        for req in 0..100 {
            first.reset(req, Mark(req as u16 + 1));
        }
        let room = first.values.capacity();
        assert!(room >= 100);
        drop(first);
        let next = SlotColumn::<Mark>::new(true);
        // The same room, and none of the values: every slot reads as unset.
        assert_eq!((next.values.capacity(), next.values.len()), (room, 0));
        assert_eq!(next.get(5), Mark(0));
        // A column that is not kept takes nothing.
        let off = SlotColumn::<Mark>::new(false);
        assert_eq!(off.values.capacity(), 0);
        drop(next);
        // A large one is not kept: 1 MiB is the most a vector keeps.
        let mut big = SlotColumn::<u64>::new(true);
        big.values = Vec::with_capacity(KEEP_BYTES / 8 + 1);
        drop(big);
        assert!(SlotColumn::<u64>::new(true).values.capacity() <= KEEP_BYTES / 8);
    }
}
