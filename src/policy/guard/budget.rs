//! Retry budgets: whether a retry the strategy wants may be sent. The AWS
//! SDK retry quota, gRPC retry throttling, a Finagle-style percentage
//! budget and a per-client retry token bucket, each with its name, its
//! settings, its per-client state and that state's size.

use super::Outcome;
use super::window::Slices;
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// One token in millionths.
pub const MICRO: i64 = 1_000_000;

/// `x` tokens in millionths (rounded to the nearest).
pub fn micros(x: f64) -> i64 {
    (x * MICRO as f64).round() as i64
}

/// A retry budget: whether a retry may be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Budget {
    /// AWS SDK retry quota (botocore `retries/standard.py`, standard and
    /// adaptive modes): a bucket of `capacity` tokens that starts full. A
    /// retry takes `cost` tokens (`timeout_cost` after a timeout) and is not
    /// sent if fewer are left (nothing is taken then). When a request
    /// succeeds, the cost of its last retry goes back, or
    /// `success_increment` if it made none; never above `capacity`.
    AwsQuota {
        capacity: i64,
        cost: i64,
        timeout_cost: i64,
        success_increment: i64,
    },
    /// gRPC retry throttling (gRFC A6), in millionths: tokens start at
    /// `max_tokens`; every failure the strategy would retry takes one
    /// token (down to 0), every success adds `token_ratio` (up to
    /// `max_tokens`); a retry is sent only while tokens > `max_tokens` / 2.
    Grpc { max_tokens: i64, token_ratio: i64 },
    /// A percentage budget (Finagle `RetryBudget`, tower `TpsBudget`):
    /// over a sliding window of `ttl`, retries may be at most `percent` of
    /// first tries plus `min_per_s` × `ttl`. In millionths of a retry:
    /// each first try deposits `percent`, each retry withdraws one, and a
    /// retry goes while deposits − withdrawals in the window plus the
    /// reserve `min_per_s` × `ttl` is at least one.
    Percent {
        percent: i64,
        min_per_s: f64,
        ttl: SimDuration,
    },
    /// A per-client retry token bucket (the 2022 retry study's), in
    /// millionths: starts at `initial`, each first try (or, with
    /// `on_success`, each successful attempt) adds `deposit` (up to
    /// `size`), a retry needs and spends `cost`.
    ClientBucket {
        size: i64,
        deposit: i64,
        cost: i64,
        initial: i64,
        on_success: bool,
    },
}

named_kinds! {
    /// The kinds of retry budget, as `budget = { kind = "…" }` names them.
    pub enum BudgetKind {
        AwsQuota = "aws_quota",
        Grpc = "grpc",
        Percent = "percent",
        ClientBucket = "client_bucket",
    }
}

impl BudgetKind {
    /// The kind's line in `backsim list`, with its defaults.
    pub const fn about(self) -> &'static str {
        match self {
            BudgetKind::AwsQuota => {
                "AWS SDK retry quota: capacity 500, cost 5 (timeout_cost 10), success refunds"
            }
            BudgetKind::Grpc => {
                "gRPC retry throttling: max_tokens 10, token_ratio 0.1; retry while tokens > max/2"
            }
            BudgetKind::Percent => {
                "Finagle retry budget: percent 0.2 of first tries + min_per_s 10, over ttl 10s"
            }
            BudgetKind::ClientBucket => {
                "per-client retry bucket: deposit 0.1 per first try, size 5, a retry costs 1"
            }
        }
    }

    /// Bytes of one client's state, as measured with a few million
    /// clients and rounded down by about 5% (so that the memory estimate
    /// stays below what a run holds): 16 for a token budget, 112 for the
    /// boxed window of a percentage budget.
    pub const fn client_bytes(self) -> u64 {
        match self {
            BudgetKind::Percent => 104,
            _ => 16,
        }
    }
}

/// One client's budget state.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum BudgetState {
    /// Tokens: whole tokens for the AWS quota, millionths otherwise.
    Tokens(i64),
    /// A percentage budget's deposits and withdrawals, in millionths.
    Window(Box<Slices<i64>>),
}

impl BudgetState {
    /// The tokens of a token budget.
    fn tokens(&mut self) -> &mut i64 {
        match self {
            BudgetState::Tokens(t) => t,
            BudgetState::Window(_) => unreachable!("a token budget keeps tokens"),
        }
    }

    /// The window of a percentage budget.
    fn window(&mut self) -> &mut Slices<i64> {
        match self {
            BudgetState::Window(w) => w,
            BudgetState::Tokens(_) => unreachable!("a percentage budget keeps a window"),
        }
    }
}

fn secs(d: SimDuration) -> f64 {
    d as f64 / NANOS_PER_SEC as f64
}

impl Budget {
    /// The kind of budget.
    pub fn kind(&self) -> BudgetKind {
        match self {
            Budget::AwsQuota { .. } => BudgetKind::AwsQuota,
            Budget::Grpc { .. } => BudgetKind::Grpc,
            Budget::Percent { .. } => BudgetKind::Percent,
            Budget::ClientBucket { .. } => BudgetKind::ClientBucket,
        }
    }

    /// The scenario-file name of the budget's kind.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// A client's state before its first request.
    pub(super) fn fresh(&self) -> BudgetState {
        match *self {
            Budget::AwsQuota { capacity, .. } => BudgetState::Tokens(capacity),
            Budget::Grpc { max_tokens, .. } => BudgetState::Tokens(max_tokens),
            Budget::ClientBucket { initial, .. } => BudgetState::Tokens(initial),
            Budget::Percent { .. } => BudgetState::Window(Box::new(Slices::new())),
        }
    }

    /// A request's first try goes out at `now`.
    pub(super) fn on_first_try(&self, st: &mut BudgetState, now: SimTime) {
        match *self {
            Budget::ClientBucket {
                size,
                deposit,
                on_success: false,
                ..
            } => {
                let t = st.tokens();
                *t = (*t + deposit).min(size);
            }
            Budget::Percent { percent, ttl, .. } => st.window().add(now, ttl, percent),
            _ => {}
        }
    }

    /// The client learned how an attempt went.
    pub(super) fn on_outcome(&self, st: &mut BudgetState, o: Outcome) {
        match *self {
            Budget::ClientBucket {
                size,
                deposit,
                on_success: true,
                ..
            } if o.success => {
                let t = st.tokens();
                *t = (*t + deposit).min(size);
            }
            Budget::Grpc {
                max_tokens,
                token_ratio,
            } => {
                let t = st.tokens();
                if o.success {
                    *t = (*t + token_ratio).min(max_tokens);
                } else if o.retryable {
                    *t = (*t - MICRO).max(0);
                }
            }
            _ => {}
        }
    }

    /// Whether a retry may go at `now` (`timeout`: after a timeout): on
    /// `Some`, what it took from the AWS quota (0 for other budgets).
    pub(super) fn allow_retry(
        &self,
        st: &mut BudgetState,
        now: SimTime,
        timeout: bool,
    ) -> Option<i64> {
        match *self {
            Budget::AwsQuota {
                cost, timeout_cost, ..
            } => {
                let t = st.tokens();
                let c = if timeout { timeout_cost } else { cost };
                if *t < c {
                    return None;
                }
                *t -= c;
                Some(c)
            }
            // tokens > max / 2, in whole millionths: 2·tokens > max.
            Budget::Grpc { max_tokens, .. } => (2 * *st.tokens() > max_tokens).then_some(0),
            Budget::ClientBucket { cost, .. } => {
                let t = st.tokens();
                if *t < cost {
                    return None;
                }
                *t -= cost;
                Some(0)
            }
            Budget::Percent { min_per_s, ttl, .. } => {
                let w = st.window();
                let reserve = micros(min_per_s * secs(ttl));
                if w.sum(now, ttl) + reserve < MICRO {
                    return None;
                }
                w.add(now, ttl, -MICRO);
                Some(0)
            }
        }
    }

    /// A request succeeded; `retry_cost` is what its last retry took from
    /// the AWS quota (None: it made no retry).
    pub(super) fn on_request_success(&self, st: &mut BudgetState, retry_cost: Option<i64>) {
        if let Budget::AwsQuota {
            capacity,
            success_increment,
            ..
        } = *self
        {
            let t = st.tokens();
            let back = retry_cost.unwrap_or(success_increment);
            *t = (*t + back).min(capacity);
        }
    }
}
