//! The network between clients and the provider: one hop's delay, drawn
//! from the scenario's distribution (or the same every time).

use crate::model::dist::Dist;
use crate::random::Pcg64;
use crate::time::{SimDuration, nanos_from_f64};

/// One-way network delay.
#[derive(Debug, Clone, Copy)]
pub struct Network<'a> {
    one_way: &'a Dist,
    /// The hop when it is always the same (it draws nothing).
    fixed: Option<SimDuration>,
}

impl<'a> Network<'a> {
    pub fn new(one_way: &'a Dist) -> Network<'a> {
        let fixed = one_way.constant().map(nanos_from_f64);
        Network { one_way, fixed }
    }

    /// One hop's delay.
    #[inline(always)]
    pub fn hop(&self, rng: &mut Pcg64) -> SimDuration {
        // A constant hop is converted once (3% of the instructions of a
        // 10^4-client full-jitter run when converted on every hop).
        match self.fixed {
            Some(d) => d,
            None => nanos_from_f64(self.one_way.sample(rng)),
        }
    }
}
