//! What goes wrong at a queue server, as configured: outages (503s, or
//! silence), overload errors answered on arrival (503, 529), errors
//! answered when service ends (500), and capacity cuts (fewer slots for a
//! while).

use crate::model::server::ServerConfig;
use crate::random::Pcg64;
use crate::time::SimTime;
use rand::RngExt;

/// What an admitted attempt meets on arrival, before it takes a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No answer at all: the client times out.
    Silent,
    /// An error answered at once, with its status.
    Status(u16),
}

/// A server's faults.
#[derive(Debug, Clone, Copy)]
pub struct Faults<'a> {
    config: &'a ServerConfig,
    /// Probability of a 500 for an attempt that was not answered 503 or
    /// 529 on arrival, so that each status has its configured probability
    /// per admitted attempt.
    p500_when_served: f64,
}

impl<'a> Faults<'a> {
    pub fn new(config: &'a ServerConfig) -> Faults<'a> {
        let e = config.errors;
        Faults {
            config,
            p500_when_served: e.http_500 / (1.0 - e.http_503 - e.http_529).max(f64::MIN_POSITIVE),
        }
    }

    /// The fault an admitted attempt arriving at `now` meets, if any: an
    /// outage (a partial one fails only its share of the attempts), then
    /// an overload error. Draws in that order, only what is configured.
    #[inline]
    pub fn on_arrival(&self, now: SimTime, rng: &mut Pcg64) -> Option<Fault> {
        let config = self.config;
        let outage = config.outages.iter().find(|o| o.covers(now));
        let outage = outage.filter(|o| o.error_rate >= 1.0 || rng.random::<f64>() < o.error_rate);
        if let Some(outage) = outage {
            return Some(match outage.silent {
                true => Fault::Silent,
                false => Fault::Status(503),
            });
        }
        // Overload errors come back at once, without taking a slot.
        let overload = config.errors.http_503 + config.errors.http_529;
        if overload > 0.0 {
            let u = rng.random::<f64>();
            if u < overload {
                let status = if u < config.errors.http_503 { 503 } else { 529 };
                return Some(Fault::Status(status));
            }
        }
        None
    }

    /// True if an attempt whose service starts now ends in a 500 (drawn
    /// only when such errors are configured).
    #[inline]
    pub fn fails_service(&self, rng: &mut Pcg64) -> bool {
        let p500 = self.p500_when_served;
        p500 > 0.0 && rng.random::<f64>() < p500
    }

    /// When the server's slots change: each capacity cut's start and end,
    /// in the order the cuts are configured.
    pub fn capacity_changes(&self) -> impl Iterator<Item = SimTime> + 'a {
        self.config
            .capacity_cuts
            .iter()
            .flat_map(|w| [w.start, w.start.saturating_add(w.duration)])
    }

    /// The number of slots at `now` (None: unlimited).
    pub fn slots_at(&self, now: SimTime) -> Option<u32> {
        self.config.slots_at(now)
    }
}
