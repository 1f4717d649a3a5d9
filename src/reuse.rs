//! What a worker thread keeps of a run's memory for its next run: a
//! vector, emptied, while its room is small. Runs' results never depend on
//! it (what is kept is emptied before use); a large vector (a million
//! clients' worth) goes back to the system with its run.

/// The most room, in bytes, a vector kept for a thread's next run holds:
/// what a few thousand requests' worth of anything needs.
pub const KEEP_BYTES: usize = 1 << 20;

/// `v` emptied, with its room, if that room is at most [`KEEP_BYTES`];
/// None (and its memory freed) otherwise.
pub fn emptied_if_small<T>(mut v: Vec<T>) -> Option<Vec<T>> {
    if v.capacity() * size_of::<T>() > KEEP_BYTES {
        return None;
    }
    v.clear();
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_a_mebibyte_of_room() {
        // 2^17 u64s are exactly 1 MiB: kept, emptied; one more is not.
        let mut v: Vec<u64> = Vec::with_capacity(1 << 17);
        v.extend([1, 2, 3]);
        let room = v.capacity();
        let kept = emptied_if_small(v).expect("1 MiB is kept");
        assert_eq!((kept.len(), kept.capacity()), (0, room));
        let big: Vec<u64> = Vec::with_capacity((1 << 17) + 1);
        assert!(big.capacity() > 1 << 17);
        assert!(emptied_if_small(big).is_none());
    }
}
