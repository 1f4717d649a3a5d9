//! A request whose prompt grows on retry ([`InputGrowth`]): a client that
//! appends the error it got to the prompt each time, or falls back to a
//! longer context, sends more input tokens with every attempt. Each
//! attempt is then charged, billed and wasted at its own size.

/// How a strategy's retries grow a request's input tokens. The default
/// grows nothing: every attempt is the request's own size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputGrowth {
    /// Input tokens added per retry (`input_growth`): the error text the
    /// prompt appends each time.
    pub per_retry: u64,
    /// Each retry's original prompt is this many times the one before
    /// (`input_growth_factor`, at least 1): a longer context.
    pub factor: f64,
    /// The most input tokens a grown attempt has (`max_input_tokens`, the
    /// model's context window); `None`: only the engine's bound on a
    /// request's tokens.
    pub cap: Option<u64>,
}

impl Default for InputGrowth {
    fn default() -> Self {
        InputGrowth {
            per_retry: 0,
            factor: 1.0,
            cap: None,
        }
    }
}

impl InputGrowth {
    /// True if no attempt grows.
    pub fn is_off(&self) -> bool {
        self.per_retry == 0 && self.factor == 1.0
    }

    /// Input tokens of attempt number `attempt` (1-based) of a request
    /// whose first attempt has `first`, at most `bound` (the engine's
    /// bound on a request's tokens):
    ///
    /// `n = attempt − 1` retries so far; grown = ⌊first · factor^n⌋ +
    /// per_retry · n; the attempt has min(grown, cap, bound) tokens, but
    /// never fewer than `first` (a request larger than the cap is sent as
    /// it is, and does not shrink). The first attempt always has `first`.
    pub fn input(&self, first: u64, attempt: u32, bound: u64) -> u64 {
        let n = attempt.saturating_sub(1);
        if n == 0 || self.is_off() {
            return first;
        }
        let cap = self.cap.map_or(bound, |c| c.min(bound));
        // factor^n as repeated squaring in f64 (powi): the same bits on
        // every run; an overflow to infinity is cut to the cap below.
        let scaled = first as f64 * self.factor.powi(n.min(i32::MAX as u32) as i32);
        let scaled = if scaled >= cap as f64 {
            cap
        } else {
            scaled as u64
        };
        let grown = scaled.saturating_add(self.per_retry.saturating_mul(u64::from(n)));
        grown.min(cap).max(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: u64 = 1_000_000_000;

    #[test]
    fn off_keeps_every_attempt_at_the_first_size() {
        let g = InputGrowth::default();
        assert!(g.is_off());
        assert_eq!(g.input(1000, 1, BOUND), 1000);
        assert_eq!(g.input(1000, 7, BOUND), 1000);
    }

    #[test]
    fn appended_errors_add_per_retry() {
        let g = InputGrowth {
            per_retry: 500,
            ..InputGrowth::default()
        };
        let sizes: Vec<u64> = (1..=4).map(|a| g.input(1000, a, BOUND)).collect();
        assert_eq!(sizes, [1000, 1500, 2000, 2500]);
    }

    #[test]
    fn a_factor_scales_the_prompt_and_rounds_down() {
        let g = InputGrowth {
            factor: 1.5,
            ..InputGrowth::default()
        };
        // 1001, 1501.5 → 1501, 2252.25 → 2252, 3378.375 → 3378.
        let sizes: Vec<u64> = (1..=4).map(|a| g.input(1001, a, BOUND)).collect();
        assert_eq!(sizes, [1001, 1501, 2252, 3378]);
        // Both: ⌊1000 · 2^2⌋ + 100 · 2 = 4200 at the third attempt.
        let both = InputGrowth {
            per_retry: 100,
            factor: 2.0,
            cap: None,
        };
        assert_eq!(both.input(1000, 3, BOUND), 4200);
    }

    #[test]
    fn the_cap_holds_but_never_shrinks_a_request() {
        let g = InputGrowth {
            per_retry: 500,
            factor: 1.0,
            cap: Some(1800),
        };
        let sizes: Vec<u64> = (1..=4).map(|a| g.input(1000, a, BOUND)).collect();
        assert_eq!(sizes, [1000, 1500, 1800, 1800]);
        // A request already above the cap keeps its size.
        assert_eq!(g.input(5000, 3, BOUND), 5000);
        // Without a cap, the engine's bound; a huge factor saturates there.
        let huge = InputGrowth {
            per_retry: u64::MAX,
            factor: 1e300,
            cap: None,
        };
        assert_eq!(huge.input(1, 1_000_000, BOUND), BOUND);
        assert_eq!(huge.input(1, 2, BOUND), BOUND);
    }
}
