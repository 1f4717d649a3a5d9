//! LLM application frameworks that wrap the provider SDKs: LangChain's
//! `Runnable.with_retry()` and its chat-model classes, which configure the
//! SDK clients they hold, and LiteLLM's Router. Their presets of one layer
//! are the framework's own loop; their stacks put that loop around the
//! SDK's layer as the framework configures it.

use super::{MS, S};
use crate::policy::backoff::Backoff;
use crate::policy::{RetryOn, Strategy};

/// langchain-core's `RunnableRetry` defaults: `stop_after_attempt(3)`,
/// tenacity's `wait_exponential_jitter()` with its own defaults (`initial`
/// 1, `exp_base` 2, `jitter` 1, `max` `MAX_WAIT`, no cap in practice), and
/// `retry_if_exception_type((Exception,))`: every failure is retried and
/// Retry-After is not read.
pub(super) fn langchain_with_retry(s: &mut Strategy) {
    s.backoff = Backoff::Additive {
        base: S,
        cap: None,
        multiplier: 2.0,
        jitter: 1.0,
    };
    s.max_attempts = 3;
}

/// `ChatOpenAI(...).with_retry()`: `max_retries` is `None` by default and
/// then not passed, so the openai client keeps its default of 2 retries.
pub(super) fn langchain_openai(s: &mut Strategy) {
    super::stack(s, &["langchain-with-retry", "openai-python-2.52"]);
}

/// `ChatAnthropic(...).with_retry()`: `max_retries = 2` is passed to the
/// anthropic client, its own default.
pub(super) fn langchain_anthropic(s: &mut Strategy) {
    super::stack(s, &["langchain-with-retry", "anthropic-sdk-python"]);
}

/// LiteLLM Router's loop with one deployment: `num_retries` falls back to
/// `openai.DEFAULT_MAX_RETRIES` (2); every wait is `_calculate_retry_after`:
/// a Retry-After `0 < ra <= 60` s, else `min(0.5 s · 2^k, 8 s) · 0.75 ·
/// random()` (`INITIAL_RETRY_DELAY`, `MAX_RETRY_DELAY`, `JITTER`), where
/// `k = num_retries − remaining_retries` is 0 before both the first and the
/// second retry: full jitter below 0.375 s, with multiplier 1 so the
/// default two retries are exact.
pub(super) fn litellm_router(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: 375 * MS,
        cap: None,
        multiplier: 1.0,
        min: 0,
    };
    s.max_attempts = 3;
    s.honor_retry_after = true;
    s.max_retry_after = Some(60 * S);
    s.retry_after_on = RetryOn::ALL;
}

/// openai-python as LiteLLM configures it: the Router's
/// `default_litellm_params` set `max_retries` to 0, so one attempt.
pub(super) fn openai_python_no_retries(s: &mut Strategy) {
    super::sdk::openai_python(s);
    s.max_attempts = 1;
}

/// The Router's loop around the OpenAI client it makes, whose own retries
/// it turns off.
pub(super) fn litellm_router_openai(s: &mut Strategy) {
    super::stack(s, &["litellm-router", "openai-python-no-retries"]);
}
