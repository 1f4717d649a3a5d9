//! One model as the engine sees it: its limiter, then its server
//! ([`ServerKind`]). Each method takes the time, the attempt and what the
//! provider may ask about it ([`Attempts`]), and returns what happens
//! next as a small value ([`Next`], with the tokens billed and the
//! reservation given back in [`Effects`]) for the engine to schedule and
//! count. The engine does not branch on what the provider is; it passes
//! the provider's answers ([`Answer`]) on to the client through one
//! translation into the client's failures.

use crate::model::limiter::{Admission, Cost, Limiter};
use crate::model::network::Network;
use crate::model::server::{
    Bill, Handover, Reaction, ServerConfig, ServerKind, SlotState, Vacancy,
};
use crate::random::Pcg64;
use crate::time::SimTime;

pub use crate::model::server::{Answer, Attempts, Next, Service, Step, Tokens};

/// The endpoint's own step: an attempt a leaky-bucket queue delayed
/// reaches the server (the servers number theirs from 0).
const QUEUED_AT_LIMITER: Step = Step(u8::MAX);

/// An attempt at the limiter: whether it was admitted, and what it cost
/// each limit ([`Cost::per_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub admitted: bool,
    pub cost: [u64; 4],
}

/// What a model's reaction comes to, for the engine to schedule and count.
#[derive(Debug, Clone, Copy)]
pub struct Effects {
    /// The limiter's verdict, when the attempt reached it just now.
    pub checked: Option<Checked>,
    /// Tokens billed for the attempt.
    pub bill: Option<Bill>,
    /// Tokens of the reservation the limiter took back.
    pub given_back: u64,
    /// What happens to the attempt next.
    pub next: Next,
    /// A server slot was freed: after scheduling `next`, the engine asks
    /// [`Endpoint::hand_over`] who takes it.
    pub freed: bool,
}

impl Effects {
    fn next(next: Next) -> Effects {
        Effects {
            checked: None,
            bill: None,
            given_back: 0,
            next,
            freed: false,
        }
    }
}

/// One model: its limiter and its server.
pub struct Endpoint<'a> {
    pub limiter: Limiter,
    server: ServerKind<'a>,
    /// The server cancels on disconnect: an attempt whose client has gone
    /// before it arrives is dropped, and a client giving up is heard.
    drops_unheard: bool,
    /// Output tokens an attempt reserves, when the workload limits them.
    max_tokens: Option<u64>,
    network: Network<'a>,
}

impl<'a> Endpoint<'a> {
    pub fn new(
        limiter: Limiter,
        config: &'a ServerConfig,
        max_tokens: Option<u64>,
        network: Network<'a>,
    ) -> Endpoint<'a> {
        Endpoint {
            limiter,
            server: ServerKind::new(config),
            drops_unheard: config.cancel_on_disconnect,
            max_tokens,
            network,
        }
    }

    /// Output tokens an attempt reserves: `max_tokens`, or its actual
    /// output without one.
    #[inline]
    fn reserved(&self, tokens: Tokens) -> u64 {
        self.max_tokens.unwrap_or(tokens.output)
    }

    /// The server's reaction, with its reservation settled.
    #[inline]
    fn settled(&mut self, now: SimTime, tokens: Tokens, r: Reaction) -> Effects {
        let given_back = match r.settle {
            Some(generated) => self.limiter.settle(now, self.reserved(tokens), generated),
            None => 0,
        };
        Effects {
            checked: None,
            bill: r.bill,
            given_back,
            next: r.next,
            freed: r.freed,
        }
    }

    /// `attempt` of `req` reaches the limiter.
    #[inline(always)]
    pub fn arrive<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Effects {
        if self.drops_unheard && !attempts.waiting(req, attempt) {
            // The client hung up before the attempt arrived.
            return Effects::next(Next::Gone);
        }
        let tokens = attempts.tokens(req, attempt);
        let cost = Cost {
            input_tokens: tokens.input,
            output_reserved: self.reserved(tokens),
        };
        let admission = self.limiter.admit(now, cost);
        let checked = Some(Checked {
            admitted: matches!(admission, Admission::Admitted | Admission::Delayed(_)),
            cost: cost.per_limit(),
        });
        let refused = match admission {
            Admission::Admitted => None,
            Admission::Rejected { limit, retry_after } => Some(Next::Reject { limit, retry_after }),
            Admission::Unavailable { status } => Some(Next::Reply(Answer::ServerError { status })),
            Admission::Delayed(delay) => Some(Next::Later {
                at: now.saturating_add(delay),
                step: QUEUED_AT_LIMITER,
            }),
        };
        if let Some(next) = refused {
            return Effects {
                checked,
                ..Effects::next(next)
            };
        }
        let r = self
            .server
            .admitted(now, req, attempt, tokens, slots, &self.network, rng);
        Effects {
            checked,
            ..self.settled(now, tokens, r)
        }
    }

    /// A service the server started ([`Next::Serve`]) ends.
    #[inline(always)]
    pub fn service_ends<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        failed: bool,
        attempts: &A,
        slots: &mut SlotState,
    ) -> Effects {
        let r = self
            .server
            .service_ends(req, attempt, failed, attempts, slots);
        self.settled_for(now, req, attempt, attempts, r)
    }

    /// A step the endpoint or its server asked for ([`Next::Later`]) is
    /// due.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        step: Step,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Effects {
        let waiting = attempts.waiting(req, attempt);
        if step == QUEUED_AT_LIMITER {
            return self.leaves_limiter_queue(now, req, attempt, waiting, attempts, slots, rng);
        }
        let r = self.server.step(req, step, waiting, slots);
        self.settled_for(now, req, attempt, attempts, r)
    }

    /// An attempt the limiter's queue delayed reaches the server; a server
    /// that cancels on disconnect drops it if its client has gone (it
    /// leaves the provider then, and its reservation settles).
    #[allow(clippy::too_many_arguments)]
    #[cold]
    fn leaves_limiter_queue<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        waiting: bool,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Effects {
        let tokens = attempts.tokens(req, attempt);
        if self.drops_unheard && !waiting {
            let given_back = self.limiter.settle(now, self.reserved(tokens), 0);
            return Effects {
                given_back,
                ..Effects::next(Next::Gone)
            };
        }
        let r = self
            .server
            .admitted(now, req, attempt, tokens, slots, &self.network, rng);
        self.settled(now, tokens, r)
    }

    /// The client of `req` gave up on `attempt` (its timeout fired).
    #[inline]
    pub fn disconnect<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        attempts: &A,
        slots: &mut SlotState,
    ) -> Effects {
        if !self.drops_unheard {
            // The server finishes what it started whoever waits for it.
            return Effects::next(Next::Nothing);
        }
        let tokens = attempts.tokens(req, attempt);
        let r = self.server.disconnect(now, req, attempt, tokens, slots);
        self.settled(now, tokens, r)
    }

    #[inline]
    fn settled_for<A: Attempts>(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        attempts: &A,
        r: Reaction,
    ) -> Effects {
        match r.settle {
            Some(_) => self.settled(now, attempts.tokens(req, attempt), r),
            None => Effects {
                bill: r.bill,
                next: r.next,
                freed: r.freed,
                ..Effects::next(Next::Nothing)
            },
        }
    }

    /// A slot is vacant (`why`): who takes it. After a freed slot
    /// ([`Effects::freed`]) or a dropped attempt ([`Handover::Dropped`]);
    /// after [`Endpoint::timer`], asked again after each started service
    /// until it answers [`Handover::Idle`].
    #[inline]
    pub fn hand_over<A: Attempts>(
        &mut self,
        why: Vacancy,
        now: SimTime,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Handover {
        self.server.hand_over(why, now, attempts, slots, rng)
    }

    /// When the model's timers fire, in the order they are to be queued.
    pub fn timers(&self) -> Vec<SimTime> {
        self.server.timers()
    }

    /// One of the model's timers fires.
    pub fn timer(&mut self, now: SimTime) {
        self.server.timer(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Dist;
    use crate::model::limiter::LimiterConfig;
    use crate::model::server::{ErrorRates, Latency};
    use rand::SeedableRng;

    /// Every request has 10 input and 20 output tokens; attempts named in
    /// `gone` are no longer awaited.
    struct Fake {
        gone: Vec<(u32, u32)>,
    }

    impl Attempts for Fake {
        fn waiting(&self, req: u32, attempt: u32) -> bool {
            !self.gone.contains(&(req, attempt))
        }
        fn tokens(&self, _: u32, _: u32) -> Tokens {
            Tokens {
                input: 10,
                output: 20,
            }
        }
    }

    fn config(occ: bool, concurrency: Option<u32>) -> ServerConfig {
        ServerConfig {
            kind: if occ {
                crate::model::server::ServerType::Occ
            } else {
                crate::model::server::ServerType::Queue
            },
            concurrency,
            queue_limit: None,
            latency: Latency::Fixed(Dist::Constant(1000.0)),
            slowdown: 0.0,
            errors: ErrorRates::NONE,
            outages: vec![],
            capacity_cuts: vec![],
            cancel_on_disconnect: true,
        }
    }

    #[test]
    fn a_queue_serves_bills_and_hands_its_slot_over() {
        let (c, hop) = (config(false, Some(1)), Dist::Constant(5.0));
        let mut ep = Endpoint::new(
            LimiterConfig::unlimited().build(),
            &c,
            None,
            Network::new(&hop),
        );
        let mut slots = SlotState::new([&c]);
        for req in 0..2 {
            slots.reset(req);
        }
        let mut rng = Pcg64::seed_from_u64(1);
        let a = Fake { gone: vec![] };
        let fx = ep.arrive(0, 0, 1, &a, &mut slots, &mut rng);
        let served = Service {
            end: 1000,
            failed: false,
            waited: 0,
        };
        assert_eq!(fx.next, Next::Serve(served));
        assert!(fx.checked.is_some_and(|c| c.admitted));
        assert_eq!(
            ep.arrive(0, 1, 1, &a, &mut slots, &mut rng).next,
            Next::Nothing
        );
        let fx = ep.service_ends(1000, 0, 1, false, &a, &mut slots);
        assert_eq!(fx.next, Next::Reply(Answer::Success { wasted: false }));
        assert_eq!(fx.bill.map(|b| (b.input, b.output)), Some((10, 20)));
        assert!(fx.freed);
        let h = ep.hand_over(Vacancy::Freed, 1000, &a, &mut slots, &mut rng);
        let service = Service {
            end: 2000,
            failed: false,
            waited: 1000,
        };
        let started = Handover::Started {
            req: 1,
            attempt: 1,
            service,
        };
        assert_eq!(h, started);
        // Its client gives up half way: half the output is billed, wasted.
        let fx = ep.disconnect(1500, 1, 1, &a, &mut slots);
        assert_eq!(fx.bill.map(|b| (b.output, b.wasted)), Some((10, true)));
        assert!(fx.freed);
        let gone = Fake { gone: vec![(1, 1)] };
        let fx = ep.service_ends(2000, 1, 1, false, &gone, &mut slots);
        assert_eq!(fx.next, Next::Gone);
    }

    #[test]
    fn an_occ_store_answers_the_second_writer_409() {
        let (c, hop) = (config(true, None), Dist::Constant(5.0));
        let mut ep = Endpoint::new(
            LimiterConfig::unlimited().build(),
            &c,
            None,
            Network::new(&hop),
        );
        let mut slots = SlotState::new([&c]);
        slots.reset(0);
        slots.reset(1);
        let mut rng = Pcg64::seed_from_u64(1);
        let a = Fake { gone: vec![] };
        let mut writes = Vec::new();
        for req in 0..2 {
            match ep.arrive(0, req, 1, &a, &mut slots, &mut rng).next {
                Next::Later { at, step } => writes.push((req, at, step)),
                other => panic!("{other:?}"),
            }
        }
        assert!(writes.iter().all(|&(_, at, _)| at == 10));
        let answers: Vec<Next> = writes
            .iter()
            .map(|&(req, at, step)| ep.step(at, req, 1, step, &a, &mut slots, &mut rng).next)
            .collect();
        assert_eq!(
            answers,
            [
                Next::Reply(Answer::Success { wasted: false }),
                Next::Reply(Answer::Conflict)
            ]
        );
    }

    #[test]
    fn a_queued_attempt_reaches_the_server_after_its_delay_or_is_dropped() {
        use crate::model::limiter::{Algorithm, Limit};
        let (c, hop) = (config(false, Some(10)), Dist::Constant(5.0));
        // nginx limit_req at 10 a second (one per 100 ms), burst 1, and at
        // most 2 in flight.
        let limiter = LimiterConfig {
            requests: Some((600.0, 1)),
            algorithm: Algorithm::LeakyQueue,
            max_in_flight: Some(2),
            ..LimiterConfig::unlimited()
        };
        let mut ep = Endpoint::new(limiter.build(), &c, None, Network::new(&hop));
        let mut slots = SlotState::new([&c]);
        for req in 0..4 {
            slots.reset(req);
        }
        let mut rng = Pcg64::seed_from_u64(1);
        let a = Fake { gone: vec![] };
        assert!(matches!(
            ep.arrive(0, 0, 1, &a, &mut slots, &mut rng).next,
            Next::Serve(_)
        ));
        // The second waits 100 ms.
        let fx = ep.arrive(0, 1, 1, &a, &mut slots, &mut rng);
        let Next::Later { at, step } = fx.next else {
            panic!("{:?}", fx.next)
        };
        assert_eq!(at, 100_000_000);
        assert!(fx.checked.is_some_and(|c| c.admitted));
        // The third overflows the queue: nginx's 503.
        let fx = ep.arrive(0, 2, 1, &a, &mut slots, &mut rng);
        assert_eq!(fx.next, Next::Reply(Answer::ServerError { status: 503 }));
        assert!(fx.checked.is_some_and(|c| !c.admitted));
        // Its client gone meanwhile, the queued attempt is dropped at its
        // time, and leaves its slot in flight.
        let gone = Fake { gone: vec![(1, 1)] };
        let fx = ep.step(at, 1, 1, step, &gone, &mut slots, &mut rng);
        assert_eq!(fx.next, Next::Gone);
        assert_eq!(ep.limiter.in_flight(), 1);
        // Otherwise it is served from then on: one at 100 ms finds the
        // excess drained from 1 to 0, is the 1 again and waits 100 ms.
        let fx = ep.arrive(at, 3, 1, &a, &mut slots, &mut rng);
        let Next::Later { at, step } = fx.next else {
            panic!("{:?}", fx.next)
        };
        assert_eq!(at, 200_000_000);
        let fx = ep.step(at, 3, 1, step, &a, &mut slots, &mut rng);
        assert_eq!(
            fx.next,
            Next::Serve(Service {
                end: at + 1000,
                failed: false,
                waited: 0
            })
        );
        // Two in flight: the next is refused by the concurrency limit,
        // with no Retry-After, though the queue would take it at 300 ms.
        assert_eq!(ep.limiter.in_flight(), 2);
        let fx = ep.arrive(300_000_000, 2, 2, &a, &mut slots, &mut rng);
        let refused = Next::Reject {
            limit: Limit::Requests,
            retry_after: None,
        };
        assert_eq!(fx.next, refused);
    }
}
