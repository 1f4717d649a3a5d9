//! Client-side throttles applied to every attempt before it is sent:
//! Google SRE adaptive throttling and the AWS SDK's adaptive (CUBIC)
//! client rate limiter; their settings, per-client state and its size.

use super::window::{Pair, Slices};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use rand::{Rng, RngExt};

/// A client-side throttle on every attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Throttle {
    /// Google SRE book, "Handling Overload": over a sliding `window`, with
    /// `requests` the attempts the client wanted to send (rejected ones
    /// included) and `accepts` those that succeeded, an attempt is
    /// rejected locally with probability max(0, (requests − k·accepts) /
    /// (requests + 1)).
    Sre { k: f64, window: SimDuration },
    /// The AWS SDK adaptive retry mode's client rate limiter (botocore
    /// `retries/adaptive.py`, `bucket.py`, `cubic.py`): a token bucket
    /// whose rate follows CUBIC, switched on by the first 429. See
    /// [`Cubic`].
    AwsAdaptive {
        beta: f64,
        scale: f64,
        smoothing: f64,
        bucket: SimDuration,
        min_rate: f64,
    },
}

named_kinds! {
    /// The kinds of throttle, as `throttle = { kind = "…" }` names them.
    pub enum ThrottleKind {
        Sre = "sre",
        AwsAdaptive = "aws_adaptive",
    }
}

impl ThrottleKind {
    /// The kind's line in `backsim list`, with its defaults.
    pub const fn about(self) -> &'static str {
        match self {
            ThrottleKind::Sre => {
                "Google SRE adaptive throttling: reject with max(0, (requests - k*accepts)/(requests + 1)), k 2, window 2m"
            }
            ThrottleKind::AwsAdaptive => {
                "AWS SDK adaptive mode: CUBIC client rate limiter (beta 0.7, scale 0.4), on from the first 429"
            }
        }
    }

    /// Bytes of one client's state, as measured with a few million
    /// clients and rounded down by about 5%: 190 for the SRE throttle's
    /// window, 112 for the boxed rate limiter.
    pub const fn client_bytes(self) -> u64 {
        match self {
            ThrottleKind::Sre => 176,
            ThrottleKind::AwsAdaptive => 104,
        }
    }
}

/// What a throttle says about an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Verdict {
    Send,
    /// Send it after this many seconds.
    Wait(f64),
    Reject,
}

/// One client's throttle.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ThrottleState {
    /// (requests, accepts).
    Sre(Box<Slices<Pair>>),
    Cubic(Box<Cubic>),
}

impl ThrottleState {
    fn sre(&mut self) -> &mut Slices<Pair> {
        match self {
            ThrottleState::Sre(w) => w,
            ThrottleState::Cubic(_) => unreachable!("an SRE throttle keeps a window"),
        }
    }

    pub(super) fn cubic(&mut self) -> &mut Cubic {
        match self {
            ThrottleState::Cubic(c) => c,
            ThrottleState::Sre(_) => unreachable!("an adaptive throttle keeps a rate limiter"),
        }
    }
}

fn secs(t: SimTime) -> f64 {
    t as f64 / NANOS_PER_SEC as f64
}

impl Throttle {
    /// The kind of throttle.
    pub fn kind(&self) -> ThrottleKind {
        match self {
            Throttle::Sre { .. } => ThrottleKind::Sre,
            Throttle::AwsAdaptive { .. } => ThrottleKind::AwsAdaptive,
        }
    }

    /// The scenario-file name of the throttle's kind.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// A client's state before its first request.
    pub(super) fn fresh(&self) -> ThrottleState {
        match *self {
            Throttle::Sre { .. } => ThrottleState::Sre(Box::new(Slices::new())),
            Throttle::AwsAdaptive { beta, scale, .. } => {
                ThrottleState::Cubic(Box::new(Cubic::new(beta, scale)))
            }
        }
    }

    /// An attempt is about to be sent at `now`.
    pub(super) fn gate<R: Rng + ?Sized>(
        &self,
        st: &mut ThrottleState,
        now: SimTime,
        rng: &mut R,
    ) -> Verdict {
        match *self {
            Throttle::Sre { k, window } => {
                let w = st.sre();
                let Pair(requests, accepts) = w.sum(now, window);
                let p = ((requests as f64 - k * accepts as f64) / (requests as f64 + 1.0)).max(0.0);
                w.add(now, window, Pair(1, 0));
                if p > 0.0 && rng.random::<f64>() < p {
                    return Verdict::Reject;
                }
                Verdict::Send
            }
            Throttle::AwsAdaptive { .. } => match st.cubic().acquire(secs(now)) {
                wait if wait > 0.0 => Verdict::Wait(wait),
                _ => Verdict::Send,
            },
        }
    }

    /// The client learned at `now` how an attempt went.
    pub(super) fn on_outcome(
        &self,
        st: &mut ThrottleState,
        now: SimTime,
        success: bool,
        throttled: bool,
    ) {
        match *self {
            Throttle::Sre { window, .. } => {
                if success {
                    st.sre().add(now, window, Pair(0, 1));
                }
            }
            Throttle::AwsAdaptive {
                beta,
                scale,
                smoothing,
                bucket,
                min_rate,
            } => {
                let params = CubicParams {
                    beta,
                    scale,
                    smoothing,
                    width: bucket as f64 / NANOS_PER_SEC as f64,
                    min_rate,
                };
                st.cubic().on_response(secs(now), throttled, params);
            }
        }
    }
}

/// The adaptive throttle's settings, times in seconds.
#[derive(Debug, Clone, Copy)]
struct CubicParams {
    beta: f64,
    scale: f64,
    smoothing: f64,
    /// The width of the rate's measuring buckets.
    width: f64,
    min_rate: f64,
}

/// The AWS SDK adaptive client rate limiter of one client (botocore
/// `ClientRateLimiter`). Times are seconds since the run began.
///
/// - `RateClocker`: responses are counted in buckets of `bucket` seconds;
///   when a response falls in a later bucket than the last, the rate
///   count / (bucket − last bucket) is smoothed in: measured = smoothing ·
///   rate + (1 − smoothing) · measured.
/// - `CubicCalculator`: after a success at t the rate is
///   scale · (t − last_fail − K)³ + W_max; after a 429, W_max is the
///   measured rate (the lower of it and the bucket's rate once enabled),
///   K = ∛(W_max · (1 − β) / scale) and the rate is β · W_max.
/// - After every response the bucket's rate becomes min(new rate, 2 ·
///   measured), never below `min_rate`; its capacity is that rate, at
///   least 1. It starts empty with rate 1.
/// - From the first 429 on, every attempt takes a token first, waiting
///   for it if need be. A waiting attempt takes its token at once, leaving
///   the level below zero, and waits until the bucket, at its rate then,
///   is back to zero (botocore re-checks the rate while it sleeps).
#[derive(Debug, Clone, PartialEq)]
pub struct Cubic {
    pub(super) enabled: bool,
    pub(super) w_max: f64,
    pub(super) k: f64,
    pub(super) last_fail: f64,
    pub(super) measured: f64,
    pub(super) count: f64,
    pub(super) last_bucket: f64,
    pub(super) fill_rate: f64,
    pub(super) capacity: f64,
    pub(super) level: f64,
    pub(super) last_refill: f64,
}

impl Cubic {
    /// botocore's starting maximum rate (`CubicCalculator(starting_max_rate=0)`).
    const STARTING_MAX_RATE: f64 = 0.0;

    fn new(beta: f64, scale: f64) -> Cubic {
        let mut c = Cubic {
            enabled: false,
            w_max: Self::STARTING_MAX_RATE,
            k: 0.0,
            last_fail: 0.0,
            measured: 0.0,
            count: 0.0,
            last_bucket: 0.0,
            fill_rate: 1.0,
            capacity: 1.0,
            level: 0.0,
            last_refill: 0.0,
        };
        c.k = c.zero_point(beta, scale);
        c
    }

    fn zero_point(&self, beta: f64, scale: f64) -> f64 {
        (self.w_max * (1.0 - beta) / scale).cbrt()
    }

    fn refill(&mut self, t: f64) {
        if t > self.last_refill {
            self.level = (self.level + (t - self.last_refill) * self.fill_rate).min(self.capacity);
            self.last_refill = t;
        }
    }

    fn set_rate(&mut self, t: f64, rate: f64, min_rate: f64) {
        self.refill(t);
        self.fill_rate = rate.max(min_rate);
        self.capacity = rate.max(1.0);
        self.level = self.level.min(self.capacity);
    }

    /// Takes a token at `t`: how long to wait for it, in seconds.
    fn acquire(&mut self, t: f64) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        self.refill(t);
        self.level -= 1.0;
        if self.level >= 0.0 {
            0.0
        } else {
            -self.level / self.fill_rate
        }
    }

    /// A response came at `t` (`throttled`: a 429).
    fn on_response(&mut self, t: f64, throttled: bool, p: CubicParams) {
        let CubicParams {
            beta,
            scale,
            smoothing,
            width,
            min_rate,
        } = p;
        let b = (t / width).floor() * width;
        self.count += 1.0;
        if b > self.last_bucket {
            let rate = self.count / (b - self.last_bucket);
            self.measured = rate * smoothing + self.measured * (1.0 - smoothing);
            self.count = 0.0;
            self.last_bucket = b;
        }
        let new_rate = if throttled {
            let rate = if self.enabled {
                self.measured.min(self.fill_rate)
            } else {
                self.measured
            };
            self.w_max = rate;
            self.k = self.zero_point(beta, scale);
            self.last_fail = t;
            self.enabled = true;
            rate * beta
        } else {
            scale * (t - self.last_fail - self.k).powi(3) + self.w_max
        };
        self.set_rate(t, new_rate.min(2.0 * self.measured), min_rate);
    }
}
