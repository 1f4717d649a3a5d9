//! Backoff schedules: the delay slept before retry `n` (0-based), exactly
//! as tabulated in `docs/model.md` §4.
//!
//! With `v = min(cap, base · multiplier^n)`:
//!
//! | kind | delay before retry n |
//! | --- | --- |
//! | `none` | 0 |
//! | `constant` | base |
//! | `linear` | base · (n + 1), capped |
//! | `exponential` | v |
//! | `full_jitter` | U(0, v); with `min`: U(min, max(min, v)) (tenacity) |
//! | `equal_jitter` | v/2 + U(0, v/2) |
//! | `decorrelated_jitter` | s = min(cap, U(base, 3·s_prev)), s_prev starts at base |
//! | `decorrelated_jitter_v2` | t = n + U(0,1); f(t) = 2^t·tanh(√(4t)); (f(t) − f_prev)/1.4 · base, capped (Polly) |
//! | `proportional_jitter` | v · U(1 − j, 1 + j) |
//! | `downward_jitter` | v · (1 − j · U(0, 1)) (openai-python, anthropic-sdk-python) |
//! | `additive_jitter` | min(cap, base · multiplier^n + U(0, j · base)) (tenacity's `wait_exponential_jitter`) |
//! | `exponential_after_immediate` | 0 for n = 0, else v (azure-core, urllib3's `backoff_factor`) |
//!
//! The sources are the AWS Architecture Blog's "Exponential Backoff and
//! Jitter" (2015) for the first jittered kinds, Polly's
//! `DecorrelatedJitterBackoffV2` for v2, and gRPC's connection backoff
//! (jitter 0.2) for proportional jitter.

use crate::time::{SimDuration, nanos_from_f64};
use rand::{Rng, RngExt};

/// A backoff schedule with its parameters (durations in nanoseconds).
#[derive(Debug, Clone, PartialEq)]
pub enum Backoff {
    /// Retry at once.
    None,
    /// Always `base`.
    Constant { base: SimDuration },
    /// `base · (n + 1)`, at most `cap`.
    Linear {
        base: SimDuration,
        cap: Option<SimDuration>,
    },
    /// `min(cap, base · multiplier^n)`.
    Exponential {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
    },
    /// `U(min, max(min, v))`: `U(0, v)` with the default `min` of 0.
    FullJitter {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
        min: SimDuration,
    },
    /// `v/2 + U(0, v/2)`.
    EqualJitter {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
    },
    /// `min(cap, U(base, 3 · previous))`.
    Decorrelated {
        base: SimDuration,
        cap: Option<SimDuration>,
    },
    /// Polly's `DecorrelatedJitterBackoffV2` with median first delay `base`.
    DecorrelatedV2 {
        base: SimDuration,
        cap: Option<SimDuration>,
    },
    /// `v · U(1 − jitter, 1 + jitter)`.
    Proportional {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
        jitter: f64,
    },
    /// `v · (1 − jitter · U(0, 1))`.
    Downward {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
        jitter: f64,
    },
    /// `min(cap, base · multiplier^n + U(0, jitter · base))`: the jitter is
    /// added before the cap.
    Additive {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
        jitter: f64,
    },
    /// 0 before the first retry, then `min(cap, base · multiplier^n)`.
    AfterImmediate {
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
    },
}

named_kinds! {
    /// The kinds of schedule, as `backoff.kind` names them.
    pub enum BackoffKind {
        None = "none",
        Constant = "constant",
        Linear = "linear",
        Exponential = "exponential",
        FullJitter = "full_jitter",
        EqualJitter = "equal_jitter",
        Decorrelated = "decorrelated_jitter",
        DecorrelatedV2 = "decorrelated_jitter_v2",
        Proportional = "proportional_jitter",
        Downward = "downward_jitter",
        Additive = "additive_jitter",
        AfterImmediate = "exponential_after_immediate",
    }
}

impl BackoffKind {
    /// The schedule's line in `backsim list`.
    pub const fn about(self) -> &'static str {
        match self {
            BackoffKind::None => "0: retry at once",
            BackoffKind::Constant => "base",
            BackoffKind::Linear => "base * (n + 1): 1s, 2s, 3s ... for base 1s",
            BackoffKind::Exponential => {
                "v = min(cap, base * multiplier^n), multiplier 2 by default"
            }
            BackoffKind::FullJitter => {
                "U(0, v) (AWS Architecture Blog, 2015); with min: U(min, max(min, v)) (tenacity)"
            }
            BackoffKind::EqualJitter => "v/2 + U(0, v/2) (AWS Architecture Blog, 2015)",
            BackoffKind::Decorrelated => {
                "min(cap, U(base, 3 * previous)), previous starts at base (AWS, 2015)"
            }
            BackoffKind::DecorrelatedV2 => {
                "Polly DecorrelatedJitterBackoffV2: median delays near base * 2^n"
            }
            BackoffKind::Proportional => {
                "v * U(1 - jitter, 1 + jitter), jitter 0.2 by default (gRPC)"
            }
            BackoffKind::Downward => {
                "v * (1 - jitter * U(0, 1)), jitter 0.25 by default (openai-python)"
            }
            BackoffKind::Additive => {
                "min(cap, base * multiplier^n + U(0, jitter * base)), jitter 1 by default (tenacity wait_exponential_jitter)"
            }
            BackoffKind::AfterImmediate => {
                "0 before the first retry, then v: 0, 2 base, 4 base ... (azure-core)"
            }
        }
    }
}

/// The settings a `backoff` table may give, as [`BackoffKind::build`]
/// takes them (each kind reads those [`BackoffKind::takes`] names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffSettings {
    pub base: SimDuration,
    pub cap: Option<SimDuration>,
    pub multiplier: f64,
    pub jitter: f64,
    pub min: SimDuration,
}

impl BackoffKind {
    /// Whether this schedule reads setting `key` (`base`, `cap`,
    /// `multiplier`, `jitter` or `min`); a scenario that gives one it does
    /// not read is told so.
    pub fn takes(self, key: &str) -> bool {
        use BackoffKind::*;
        match key {
            "base" => self != None,
            "cap" => !matches!(self, None | Constant),
            "multiplier" => matches!(
                self,
                Exponential
                    | FullJitter
                    | EqualJitter
                    | Proportional
                    | Downward
                    | Additive
                    | AfterImmediate
            ),
            "jitter" => matches!(self, Proportional | Downward | Additive),
            "min" => self == FullJitter,
            _ => false,
        }
    }

    /// The jitter this schedule uses when none is given.
    pub fn default_jitter(self) -> f64 {
        if self == BackoffKind::Downward {
            0.25
        } else if self == BackoffKind::Additive {
            1.0
        } else {
            0.2
        }
    }

    /// The schedule of this kind with `s`'s settings (those it reads).
    pub fn build(self, s: BackoffSettings) -> Backoff {
        let BackoffSettings {
            base,
            cap,
            multiplier,
            jitter,
            min,
        } = s;
        match self {
            BackoffKind::None => Backoff::None,
            BackoffKind::Constant => Backoff::Constant { base },
            BackoffKind::Linear => Backoff::Linear { base, cap },
            BackoffKind::Exponential => Backoff::Exponential {
                base,
                cap,
                multiplier,
            },
            BackoffKind::FullJitter => Backoff::FullJitter {
                base,
                cap,
                multiplier,
                min,
            },
            BackoffKind::EqualJitter => Backoff::EqualJitter {
                base,
                cap,
                multiplier,
            },
            BackoffKind::Decorrelated => Backoff::Decorrelated { base, cap },
            BackoffKind::DecorrelatedV2 => Backoff::DecorrelatedV2 { base, cap },
            BackoffKind::Proportional => Backoff::Proportional {
                base,
                cap,
                multiplier,
                jitter,
            },
            BackoffKind::Downward => Backoff::Downward {
                base,
                cap,
                multiplier,
                jitter,
            },
            BackoffKind::Additive => Backoff::Additive {
                base,
                cap,
                multiplier,
                jitter,
            },
            BackoffKind::AfterImmediate => Backoff::AfterImmediate {
                base,
                cap,
                multiplier,
            },
        }
    }
}

/// The names of the schedules with their lines in `backsim list`, in the
/// order of [`BackoffKind::ALL`].
pub const BACKOFF_KINDS: [(&str, &str); BackoffKind::ALL.len()] = {
    let mut list = [("", ""); BackoffKind::ALL.len()];
    let mut i = 0;
    while i < list.len() {
        let k = BackoffKind::ALL[i];
        list[i] = (k.name(), k.about());
        i += 1;
    }
    list
};

/// Per-request memory of a schedule: the previous delay (decorrelated) or
/// the previous value of f (v2), as `f64` nanoseconds / formula units.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BackoffState(f64);

/// Polly's shaping constants: `pFactor` and the 1/1.4 scale that puts the
/// median delays near base, 2·base, 4·base …
const V2_P_FACTOR: f64 = 4.0;
const V2_SCALE: f64 = 1.0 / 1.4;

impl Backoff {
    /// The kind of schedule.
    pub fn which(&self) -> BackoffKind {
        match self {
            Backoff::None => BackoffKind::None,
            Backoff::Constant { .. } => BackoffKind::Constant,
            Backoff::Linear { .. } => BackoffKind::Linear,
            Backoff::Exponential { .. } => BackoffKind::Exponential,
            Backoff::FullJitter { .. } => BackoffKind::FullJitter,
            Backoff::EqualJitter { .. } => BackoffKind::EqualJitter,
            Backoff::Decorrelated { .. } => BackoffKind::Decorrelated,
            Backoff::DecorrelatedV2 { .. } => BackoffKind::DecorrelatedV2,
            Backoff::Proportional { .. } => BackoffKind::Proportional,
            Backoff::Downward { .. } => BackoffKind::Downward,
            Backoff::Additive { .. } => BackoffKind::Additive,
            Backoff::AfterImmediate { .. } => BackoffKind::AfterImmediate,
        }
    }

    /// The scenario-file name of this schedule.
    pub fn kind(&self) -> &'static str {
        self.which().name()
    }

    /// True if the schedule keeps per-request state between retries (the
    /// decorrelated ones); the others ignore [`BackoffState`].
    pub fn has_state(&self) -> bool {
        matches!(
            self,
            Backoff::Decorrelated { .. } | Backoff::DecorrelatedV2 { .. }
        )
    }

    /// True if the delays are random draws (every jittered schedule).
    pub fn is_jittered(&self) -> bool {
        !matches!(
            self,
            Backoff::None
                | Backoff::Constant { .. }
                | Backoff::Linear { .. }
                | Backoff::Exponential { .. }
                | Backoff::AfterImmediate { .. }
        )
    }

    /// The state a request starts with, before its first retry.
    pub fn initial_state(&self) -> BackoffState {
        match self {
            Backoff::Decorrelated { base, .. } => BackoffState(*base as f64),
            _ => BackoffState(0.0),
        }
    }

    /// `min(cap, base · multiplier^n)` in nanoseconds.
    fn capped_exponential(
        base: SimDuration,
        cap: Option<SimDuration>,
        multiplier: f64,
        n: u32,
    ) -> f64 {
        let v = base as f64 * multiplier.powi(n.min(i32::MAX as u32) as i32);
        cap_f64(v, cap)
    }

    /// The delay before retry `n` (0-based). Draws from `rng` only for the
    /// jittered schedules, and updates `state` for the stateful ones.
    #[inline(always)]
    pub fn delay<R: Rng + ?Sized>(
        &self,
        n: u32,
        state: &mut BackoffState,
        rng: &mut R,
    ) -> SimDuration {
        let u = |rng: &mut R| rng.random::<f64>();
        let nanos = match *self {
            Backoff::None => 0.0,
            Backoff::Constant { base } => base as f64,
            Backoff::Linear { base, cap } => cap_f64(base as f64 * (f64::from(n) + 1.0), cap),
            Backoff::Exponential {
                base,
                cap,
                multiplier,
            } => Self::capped_exponential(base, cap, multiplier, n),
            Backoff::FullJitter {
                base,
                cap,
                multiplier,
                min,
            } => {
                let v = Self::capped_exponential(base, cap, multiplier, n);
                if min == 0 {
                    v * u(rng)
                } else {
                    let lo = min as f64;
                    lo + u(rng) * (v.max(lo) - lo)
                }
            }
            Backoff::EqualJitter {
                base,
                cap,
                multiplier,
            } => {
                let v = Self::capped_exponential(base, cap, multiplier, n);
                v / 2.0 + u(rng) * v / 2.0
            }
            Backoff::Decorrelated { base, cap } => {
                let lo = base as f64;
                let hi = 3.0 * state.0;
                let s = cap_f64(lo + (hi - lo).max(0.0) * u(rng), cap);
                state.0 = s;
                s
            }
            Backoff::DecorrelatedV2 { base, cap } => {
                let t = f64::from(n) + u(rng);
                let next = t.exp2() * (V2_P_FACTOR * t).sqrt().tanh();
                if next.is_infinite() {
                    // As Polly does: past about 2^1024 the formula overflows;
                    // the delay is then the largest there is (or the cap).
                    state.0 = next;
                    cap_f64(f64::INFINITY, cap)
                } else {
                    let intrinsic = next - state.0;
                    state.0 = next;
                    cap_f64(intrinsic * V2_SCALE * base as f64, cap)
                }
            }
            Backoff::Proportional {
                base,
                cap,
                multiplier,
                jitter,
            } => {
                let v = Self::capped_exponential(base, cap, multiplier, n);
                v * (1.0 - jitter + 2.0 * jitter * u(rng))
            }
            Backoff::Downward {
                base,
                cap,
                multiplier,
                jitter,
            } => {
                let v = Self::capped_exponential(base, cap, multiplier, n);
                v * (1.0 - jitter * u(rng))
            }
            Backoff::Additive {
                base,
                cap,
                multiplier,
                jitter,
            } => {
                let v = Self::capped_exponential(base, None, multiplier, n);
                cap_f64(v + u(rng) * jitter * base as f64, cap)
            }
            Backoff::AfterImmediate {
                base,
                cap,
                multiplier,
            } => {
                if n == 0 {
                    0.0
                } else {
                    Self::capped_exponential(base, cap, multiplier, n)
                }
            }
        };
        nanos_from_f64(nanos)
    }

    /// The cap, if the schedule has one.
    pub fn cap(&self) -> Option<SimDuration> {
        match *self {
            Backoff::None | Backoff::Constant { .. } => None,
            Backoff::Linear { cap, .. }
            | Backoff::Exponential { cap, .. }
            | Backoff::FullJitter { cap, .. }
            | Backoff::EqualJitter { cap, .. }
            | Backoff::Decorrelated { cap, .. }
            | Backoff::DecorrelatedV2 { cap, .. }
            | Backoff::Proportional { cap, .. }
            | Backoff::Downward { cap, .. }
            | Backoff::Additive { cap, .. }
            | Backoff::AfterImmediate { cap, .. } => cap,
        }
    }
}

fn cap_f64(v: f64, cap: Option<SimDuration>) -> f64 {
    match cap {
        Some(c) => v.min(c as f64),
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    const MS: u64 = 1_000_000;

    fn delays(b: &Backoff, count: u32, seed: u64) -> Vec<SimDuration> {
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut state = b.initial_state();
        (0..count)
            .map(|n| b.delay(n, &mut state, &mut rng))
            .collect()
    }

    #[test]
    fn kinds_are_named_from_one_list() {
        for (k, (name, about)) in BackoffKind::ALL.into_iter().zip(BACKOFF_KINDS) {
            assert_eq!((k.name(), k.about()), (name, about));
            assert_eq!(BackoffKind::from_name(name), Some(k));
        }
        let b = Backoff::Decorrelated { base: S, cap: None };
        assert_eq!(b.kind(), "decorrelated_jitter");
        assert_eq!(Backoff::None.which(), BackoffKind::None);
    }

    #[test]
    fn deterministic_schedules_match_hand_computed_values() {
        assert_eq!(delays(&Backoff::None, 3, 0), [0, 0, 0]);
        assert_eq!(
            delays(&Backoff::Constant { base: 250 * MS }, 3, 0),
            [250 * MS; 3]
        );
        // The seed article's linear schedule: 1s, 2s, 3s, 4s.
        assert_eq!(
            delays(&Backoff::Linear { base: S, cap: None }, 4, 0),
            [S, 2 * S, 3 * S, 4 * S]
        );
        assert_eq!(
            delays(
                &Backoff::Linear {
                    base: S,
                    cap: Some(2500 * MS)
                },
                4,
                0
            ),
            [S, 2 * S, 2500 * MS, 2500 * MS]
        );
        // 100ms · 2^n capped at 1s: 100, 200, 400, 800, 1000, 1000.
        let exp = Backoff::Exponential {
            base: 100 * MS,
            cap: Some(S),
            multiplier: 2.0,
        };
        assert_eq!(
            delays(&exp, 6, 0),
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, S, S]
        );
        // multiplier 1.5: 1s, 1.5s, 2.25s, 3.375s.
        let exp = Backoff::Exponential {
            base: S,
            cap: None,
            multiplier: 1.5,
        };
        assert_eq!(delays(&exp, 4, 0), [S, 1500 * MS, 2250 * MS, 3375 * MS]);
        // Huge exponents saturate instead of overflowing.
        let exp = Backoff::Exponential {
            base: S,
            cap: None,
            multiplier: 2.0,
        };
        assert_eq!(delays(&exp, 80, 0)[79], u64::MAX);
    }

    /// Mean and bounds of a jittered schedule's delay before retry `n`.
    fn stats(b: &Backoff, n: u32, draws: usize) -> (f64, u64, u64) {
        let mut rng = Pcg64::seed_from_u64(2015);
        let (mut sum, mut lo, mut hi) = (0.0, u64::MAX, 0);
        for _ in 0..draws {
            let mut state = b.initial_state();
            let mut d = 0;
            for k in 0..=n {
                d = b.delay(k, &mut state, &mut rng);
            }
            sum += d as f64;
            lo = lo.min(d);
            hi = hi.max(d);
        }
        (sum / draws as f64, lo, hi)
    }

    fn close(actual: f64, expected: f64, rel: f64) -> bool {
        (actual - expected).abs() <= rel * expected
    }

    #[test]
    fn full_jitter_is_uniform_below_v() {
        let b = Backoff::FullJitter {
            min: 0,
            base: S,
            cap: Some(60 * S),
            multiplier: 2.0,
        };
        for (n, v) in [(0u32, S), (3, 8 * S), (6, 60 * S), (9, 60 * S)] {
            let (mean, lo, hi) = stats(&b, n, 100_000);
            assert!(hi <= v && lo < v / 100, "n={n}: [{lo}, {hi}]");
            assert!(close(mean, v as f64 / 2.0, 0.01), "n={n}: mean {mean}");
        }
    }

    #[test]
    fn equal_jitter_is_uniform_in_upper_half() {
        let b = Backoff::EqualJitter {
            base: S,
            cap: Some(10 * S),
            multiplier: 2.0,
        };
        for (n, v) in [(0u32, S), (2, 4 * S), (5, 10 * S)] {
            let (mean, lo, hi) = stats(&b, n, 100_000);
            assert!(lo >= v / 2 && hi <= v);
            assert!(close(mean, 0.75 * v as f64, 0.01), "n={n}: mean {mean}");
        }
    }

    #[test]
    fn decorrelated_jitter_matches_its_recursion() {
        let base = 100 * MS;
        let b = Backoff::Decorrelated {
            base,
            cap: Some(5 * S),
        };
        // First retry: U(base, 3·base): mean 2·base, within [base, 3·base].
        let (mean, lo, hi) = stats(&b, 0, 100_000);
        assert!(lo >= base && hi <= 3 * base);
        assert!(close(mean, 2.0 * base as f64, 0.01));
        // Second retry: E[U(base, 3·s1)] = (base + 3·E[s1]) / 2 = 3.5·base.
        let (mean, lo, hi) = stats(&b, 1, 100_000);
        assert!(lo >= base && hi <= 9 * base);
        assert!(close(mean, 3.5 * base as f64, 0.01), "mean {mean}");
        // Far out, the cap binds.
        let (_, _, hi) = stats(&b, 30, 2_000);
        assert_eq!(hi, 5 * S);
    }

    #[test]
    fn decorrelated_v2_matches_polly_formula() {
        let base = S;
        let b = Backoff::DecorrelatedV2 { base, cap: None };
        // Retry 0: t = U(0,1), delay = 2^t·tanh(√(4t)) / 1.4 · base, so it lies
        // in [0, 2·tanh(2)/1.4·base].
        let upper = 2.0 * 2f64.tanh() / 1.4 * base as f64;
        let (_, lo, hi) = stats(&b, 0, 50_000);
        assert!(lo as f64 >= 0.0 && hi as f64 <= upper + 1.0);
        // The mean of retry 0 is ∫₀¹ 2^t·tanh(2√t) dt / 1.4 · base; integrate
        // numerically with the midpoint rule.
        let steps = 100_000;
        let integral: f64 = (0..steps)
            .map(|i| {
                let t = (i as f64 + 0.5) / steps as f64;
                t.exp2() * (4.0 * t).sqrt().tanh()
            })
            .sum::<f64>()
            / steps as f64;
        let (mean, _, _) = stats(&b, 0, 200_000);
        assert!(
            close(mean, integral / 1.4 * base as f64, 0.01),
            "mean {mean}"
        );
        // Delays telescope: their sum over retries 0..=n is f(t_n)/1.4·base,
        // so it lies between f(n)/1.4 and f(n+1)/1.4 (f is increasing).
        let f = |t: f64| t.exp2() * (4.0 * t).sqrt().tanh();
        let mut rng = Pcg64::seed_from_u64(3);
        for _ in 0..1000 {
            let mut state = b.initial_state();
            let total: u64 = (0..6).map(|n| b.delay(n, &mut state, &mut rng)).sum();
            let total = total as f64 / base as f64 * 1.4;
            assert!(total >= f(5.0) - 1e-6 && total <= f(6.0) + 1e-6, "{total}");
        }
        // And each delay is positive.
        let d = delays(&b, 10, 11);
        assert!(d.iter().all(|&x| x > 0));
    }

    #[test]
    fn proportional_jitter_stays_within_its_band() {
        let b = Backoff::Proportional {
            base: S,
            cap: Some(120 * S),
            multiplier: 1.6,
            jitter: 0.2,
        };
        for (n, v) in [(0u32, 1.0), (2, 2.56), (4, 1.6f64.powi(4))] {
            let v = v * S as f64;
            let (mean, lo, hi) = stats(&b, n, 100_000);
            assert!(lo as f64 >= 0.8 * v - 1.0 && hi as f64 <= 1.2 * v + 1.0);
            assert!(close(mean, v, 0.005), "n={n}: mean {mean} vs {v}");
        }
    }

    #[test]
    fn additive_jitter_adds_up_to_jitter_times_base_before_the_cap() {
        // base 1 s, multiplier 2, jitter 1 (1 s), cap 60 s: retry n waits
        // min(2^n + U(0, 1), 60) s: within [2^n, 2^n + 1], mean 2^n + 0.5;
        // from n = 6 (64 s) always exactly 60 s; at n = 5, 32 + U(0, 1).
        let b = Backoff::Additive {
            base: S,
            cap: Some(60 * S),
            multiplier: 2.0,
            jitter: 1.0,
        };
        for (n, v) in [(0u32, 1.0), (1, 2.0), (3, 8.0), (5, 32.0)] {
            let (mean, lo, hi) = stats(&b, n, 100_000);
            let sf = S as f64;
            assert!(lo as f64 >= v * sf && hi as f64 <= (v + 1.0) * sf, "n={n}");
            // U(0, 1 s) has sd 1/√12 s: 5 standard errors over 100,000.
            let se = 5.0 * sf / 12f64.sqrt() / (100_000f64).sqrt();
            assert!((mean - (v + 0.5) * sf).abs() <= se, "n={n}: mean {mean}");
        }
        assert_eq!(stats(&b, 6, 1_000), (60.0 * S as f64, 60 * S, 60 * S));
        // Half a base of jitter: U(0, 0.5 s) on top of 4 s at n = 2.
        let half = Backoff::Additive {
            base: S,
            cap: None,
            multiplier: 2.0,
            jitter: 0.5,
        };
        let (_, lo, hi) = stats(&half, 2, 10_000);
        assert!(lo >= 4 * S && hi <= 4 * S + S / 2 && hi > 4 * S + S / 2 - S / 100);
        assert!(b.is_jittered() && !b.has_state());
        assert_eq!(BackoffKind::Additive.default_jitter(), 1.0);
    }

    #[test]
    fn exponential_after_immediate_retries_at_once_first() {
        // azure-core: backoff_factor 0.8 s · 2^n, but 0 before the first
        // retry, capped at 120 s: 0, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2,
        // 102.4, 120 s.
        let b = Backoff::AfterImmediate {
            base: 800 * MS,
            cap: Some(120 * S),
            multiplier: 2.0,
        };
        assert_eq!(
            delays(&b, 9, 0),
            [
                0,
                1_600 * MS,
                3_200 * MS,
                6_400 * MS,
                12_800 * MS,
                25_600 * MS,
                51_200 * MS,
                102_400 * MS,
                120 * S
            ]
        );
        assert!(!b.is_jittered() && !b.has_state());
        assert_eq!(b.cap(), Some(120 * S));
    }
}
