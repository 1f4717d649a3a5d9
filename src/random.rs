//! Seeded random streams.
//!
//! Every random number in backsim comes from a named, portable generator
//! (PCG: `Pcg64` for long streams, `Pcg64Mcg` for the short per-request
//! ones) whose seed is derived from the scenario's master seed and the
//! identity of what draws from it. Nothing depends on the thread that runs
//! a job, the order jobs are scheduled in, or the clock.
//!
//! Streams (see `docs/model.md` §1):
//! - the *workload* stream of a replication (arrival times of an open-loop
//!   workload, the client each request belongs to) is shared by all
//!   strategies: common random numbers;
//! - the *request* draws (token sizes, burst start offset, think time) come
//!   from a tiny generator keyed by (replication, request key), so a request
//!   gets the same sizes under every strategy even when strategies create
//!   requests in different orders (closed loops);
//! - the *run* stream of (replication, strategy) feeds everything a strategy
//!   changes: network delays, service times, errors, jitter.

use rand::SeedableRng;
pub use rand_pcg::{Pcg64, Pcg64Mcg};

/// Stream tags, so that different purposes never share a seed.
const TAG_WORKLOAD: u64 = 0x776f_726b_6c6f_6164; // "workload"
const TAG_REQUEST: u64 = 0x7265_7175_6573_7473; // "requests"
const TAG_RUN: u64 = 0x7374_7261_7465_6779; // "strategy"

/// SplitMix64's finaliser: a bijective mix with good avalanche, used to
/// combine seed parts.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combines seed parts in order into one 64-bit seed.
pub fn derive_seed(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x6261_636b_7369_6d00, |acc, &p| mix64(acc ^ mix64(p)))
}

/// FNV-1a hash of a name: a stable number for a strategy, independent of its
/// position in the file, so reordering strategies does not change results.
pub fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seeds of one run: which replication, which strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSeeds {
    /// Seed of the workload stream, shared by all strategies of a replication.
    pub workload: u64,
    /// Key of the per-request draws, shared by all strategies of a replication.
    pub requests: u64,
    /// Seed of the strategy's own stream.
    pub run: u64,
}

impl RunSeeds {
    /// Seeds for replication `replication` (0-based) of strategy `strategy`
    /// at sweep point `point` under master seed `master`.
    pub fn new(master: u64, point: u64, replication: u64, strategy: &str) -> Self {
        RunSeeds {
            workload: derive_seed(&[master, point, replication, TAG_WORKLOAD]),
            requests: derive_seed(&[master, point, replication, TAG_REQUEST]),
            run: derive_seed(&[master, point, replication, TAG_RUN, name_key(strategy)]),
        }
    }

    /// The long-lived generator of the workload stream.
    pub fn workload_rng(&self) -> Pcg64 {
        Pcg64::seed_from_u64(self.workload)
    }

    /// The long-lived generator of the strategy's stream.
    pub fn run_rng(&self) -> Pcg64 {
        Pcg64::seed_from_u64(self.run)
    }

    /// A short generator for one purpose (`purpose`: 0 sizes, 1 start
    /// offset or think time, 2 the client of an open-loop arrival) of one
    /// request, keyed by a number that
    /// identifies the request independently of the strategy (client index
    /// and sequence number, or arrival index).
    pub fn request_rng(&self, key: u64, purpose: u64) -> Pcg64Mcg {
        Pcg64Mcg::seed_from_u64(derive_seed(&[self.requests, key, purpose]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_shared_where_they_should_be() {
        let a = RunSeeds::new(7, 0, 3, "linear");
        let b = RunSeeds::new(7, 0, 3, "full-jitter");
        assert_eq!(a.workload, b.workload);
        assert_eq!(a.requests, b.requests);
        assert_ne!(a.run, b.run);
        assert_ne!(RunSeeds::new(7, 0, 4, "linear").workload, a.workload);
        assert_ne!(RunSeeds::new(8, 0, 3, "linear").workload, a.workload);
    }

    #[test]
    fn generators_are_reproducible() {
        let s = RunSeeds::new(1, 0, 0, "x");
        assert_eq!(s.run_rng().next_u64(), s.run_rng().next_u64());
        assert_eq!(
            s.request_rng(5, 0).next_u64(),
            s.request_rng(5, 0).next_u64()
        );
        assert_ne!(
            s.request_rng(5, 0).next_u64(),
            s.request_rng(6, 0).next_u64()
        );
        assert_ne!(
            s.request_rng(5, 0).next_u64(),
            s.request_rng(5, 1).next_u64()
        );
    }

    #[test]
    fn fnv1a_matches_reference_values() {
        // Published FNV-1a 64-bit test vectors.
        assert_eq!(name_key(""), 0xcbf29ce484222325);
        assert_eq!(name_key("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(name_key("foobar"), 0x85944171f73967e8);
    }
}
