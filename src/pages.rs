//! How backsim's large blocks of memory are mapped: each in a mapping of
//! its own, and the request slots of a large run in huge pages where the
//! system gives them on request.
//!
//! A million clients' request slots (64 MB) are read in the random order
//! jittered retries come due. With 4 KiB pages nearly every such read
//! also misses the processor's table of page translations, and on a
//! virtual machine each miss walks two levels of page tables; a 2 MiB
//! page covers 512 times as much. Where the system gives huge pages only
//! to memory that asks for them (`madvise` in
//! `/sys/kernel/mm/transparent_hugepage/enabled`, the default of many
//! distributions), advising the slots took the 10⁶-client burst with
//! full jitter to 0.91× its time and the 10⁷-client burst to 0.91×
//! (README, "Performance"). Where the system gives them to all memory,
//! or to none, the advice changes no more than how hard the kernel tries
//! to find a huge page at a fault.
//!
//! Only the slots are advised. Advising every large block (lanes, slot
//! columns) made the 10⁷-client burst with linear backoff 1.10× slower
//! and 100 MB larger: its memory is read in order, which small pages
//! serve as well, and a huge page is cleared and held whole as soon as
//! one byte of it is touched.
//!
//! Advice never changes what memory holds, so it cannot change a result.

/// Blocks of this many bytes or more get a mapping of their own (glibc's
/// allocator), which goes back to the system when freed.
pub const LARGE: usize = 4 << 20;

/// Gives every block of [`LARGE`] or more a mapping of its own, which goes
/// back to the system when the block is freed (glibc's allocator).
/// Otherwise glibc raises that threshold each time it frees such a
/// mapping, up to 32 MiB, and blocks below it then come from its heap,
/// whose freed pages stay with the process: the 10⁶-client burst run
/// with both strategies in one process peaked at 174 MB instead of
/// 143 MB, its second run holding the first one's freed lanes (20-byte
/// entries: 21 MB at a million) on top of its own. A mapping of its own
/// is also one that advice about its pages can split from no other
/// block's. The binary calls this first thing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn init() {
    // SAFETY: `mallopt` sets one of the allocator's tunables; it runs
    // before any other thread starts, and its result (whether the value
    // was taken) changes nothing else.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE as libc::c_int);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn init() {}

/// Asks the kernel to back the whole 2 MiB pages of `v`'s room (used or
/// not) by huge pages, if that room is [`LARGE`] or more. Pages already
/// touched keep their size until the kernel's background work gathers
/// them, so this is for room just reserved.
#[cfg(target_os = "linux")]
pub fn advise_huge<T>(v: &Vec<T>) {
    if let Some((start, end)) = whole_huge_pages(v.as_ptr() as usize, v.capacity() * size_of::<T>())
    {
        // SAFETY: the range lies inside `v`'s block. MADV_HUGEPAGE only
        // marks the mapping, never its contents; a kernel without huge
        // pages answers EINVAL, and the block works as before either way.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

/// The whole 2 MiB pages, `start..end`, of a block of `size` bytes at
/// `block`, if it is [`LARGE`] or more (a smaller one shares its pages
/// with other blocks).
#[cfg(target_os = "linux")]
fn whole_huge_pages(block: usize, size: usize) -> Option<(usize, usize)> {
    const HUGE_PAGE: usize = 2 << 20;
    if size < LARGE {
        return None;
    }
    let start = block.next_multiple_of(HUGE_PAGE);
    let end = (block + size) / HUGE_PAGE * HUGE_PAGE;
    (end > start).then_some((start, end))
}

#[cfg(not(target_os = "linux"))]
pub fn advise_huge<T>(_v: &Vec<T>) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The `VmFlags` line of the mapping that holds `address`, from
    /// `/proc/self/smaps`.
    fn flags_of(address: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("Linux has smaps");
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().unwrap_or("");
            if let Some((from, to)) = range.split_once('-')
                && let (Ok(from), Ok(to)) = (
                    usize::from_str_radix(from, 16),
                    usize::from_str_radix(to, 16),
                )
            {
                inside = (from..to).contains(&address);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.to_string();
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    #[test]
    fn large_room_is_advised_to_use_huge_pages() {
        // A kernel built without huge pages has no such advice ("hg").
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            return;
        }
        let v: Vec<u64> = Vec::with_capacity(2 * LARGE / 8);
        advise_huge(&v);
        // The middle of its room is inside its whole huge pages.
        let flags = flags_of(v.as_ptr() as usize + LARGE);
        assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
    }

    #[test]
    fn only_whole_huge_pages_of_large_blocks_are_advised() {
        const MIB: usize = 1 << 20;
        // 4 MiB from 1 MiB past a huge page's start: the one whole 2 MiB
        // page inside it, from 2 MiB to 4 MiB.
        assert_eq!(whole_huge_pages(MIB, LARGE), Some((2 * MIB, 4 * MIB)));
        // Aligned, 6 MiB: three whole pages.
        assert_eq!(
            whole_huge_pages(8 * MIB, 6 * MIB),
            Some((8 * MIB, 14 * MIB))
        );
        // Below 4 MiB: none, even where a whole page would fit.
        assert_eq!(whole_huge_pages(0, LARGE - 1), None);
        // 4 MiB from 16 bytes past a page's start (glibc's header before
        // a mapped block): from the next page to the last whole one.
        assert_eq!(
            whole_huge_pages(2 * MIB + 16, LARGE),
            Some((4 * MIB, 6 * MIB))
        );
    }
}
