//! Presets: the retry behaviour real client libraries ship with, as
//! strategies. A scenario starts from one with `preset = "openai-python"`
//! and may override any field.
//!
//! Each preset names the library version and the source file its numbers
//! were read from. Every library's failures map onto backsim's 429, 5xx
//! and timeouts as its documentation says; where the model cannot express
//! a detail (for example an attempt timeout inside a total timeout) the
//! preset's `notes` say what was left out.
//!
//! Each preset is one entry of [`PRESETS`]: its name, its texts for
//! `backsim list`, and the function that sets its numbers.

mod aws;
mod aws_sdks;
mod frameworks;
mod general;
mod google_azure;
mod polly;
mod sdk;
mod vercel;

use super::backoff::Backoff;
use super::guard::{Breaker, BreakerScope, Budget, MICRO, Throttle};
use super::{RetryOn, Strategy};
use crate::time::NANOS_PER_SEC as S;
use aws::{botocore_adaptive, botocore_standard};
use aws_sdks::{
    aws_sdk_java_v2_legacy, aws_sdk_java_v2_standard, aws_sdk_js_v3_2026, aws_sdk_js_v3_standard,
};
use frameworks::{
    langchain_anthropic, langchain_openai, langchain_with_retry, litellm_router,
    litellm_router_openai, openai_python_no_retries,
};
use general::{backon, grpc_example, grpc_go, tenacity_cookbook, tenacity_random_exponential};
use google_azure::{azure_core, google_api_core, google_genai, google_genai_retry_options};
use polly::{polly_http_standard, polly_v8};
use sdk::{
    anthropic_sdk_python_1_6, anthropic_sdk_typescript, openai_node, openai_node_5,
    openai_node_6_26, openai_python, openai_python_2_52,
};
use vercel::vercel_ai_sdk;

const MS: u64 = 1_000_000;

/// A client library's retry defaults.
#[derive(Debug, Clone)]
pub struct Preset {
    /// The name used in `preset = "…"`.
    pub name: &'static str,
    /// Library and the versions the numbers hold for.
    pub library: &'static str,
    /// Where in the library's repository the numbers come from.
    pub source: &'static str,
    /// The behaviour in one line.
    pub summary: &'static str,
    /// What the model leaves out or assumes.
    pub notes: &'static str,
    /// Sets the library's settings on a strategy at the defaults.
    configure: fn(&mut Strategy),
}

/// Presets are told apart by their names, which are unique.
impl PartialEq for Preset {
    fn eq(&self, other: &Preset) -> bool {
        self.name == other.name
    }
}

/// Every preset, in the order `backsim list` shows them.
pub const PRESETS: [Preset; 32] = [
    Preset {
        name: "openai-python",
        library: "openai-python v1.47.0 to v2.51.0 (recursive client until v1.75.x, the loop from v1.76.0: the same delays)",
        source: "openai/openai-python v2.51.0: src/openai/_base_client.py (_calculate_retry_timeout, _should_retry, _parse_retry_after_header), src/openai/_constants.py",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After (or retry-after-ms) of any retried answer honoured if 0 < ra <= 60s, else backoff",
        notes: "retries 408, 409, 429, >= 500 and connection errors and timeouts; its own default timeout is 600s; v1.0.0 to v1.46.x waited 1s, 2s (the recursive client counted retries from 1); the x-should-retry header is not modelled",
        configure: openai_python,
    },
    Preset {
        name: "openai-python-2.52",
        library: "openai-python v2.52.0 and later (checked to v3.63.0, the wheel on PyPI)",
        source: "openai/openai-python v3.3.1: src/openai/_base_client.py (_should_retry, _calculate_retry_timeout), src/openai/_constants.py (MAX_RETRY_AFTER_DELAY = 2 * 60)",
        summary: "as openai-python, but Retry-After honoured up to 120s, and above it the request is not retried",
        notes: "retries 408, 409, 429, >= 500 and timeouts; the 120s limit applies to the Retry-After of any status",
        configure: openai_python_2_52,
    },
    Preset {
        name: "anthropic-sdk-python",
        library: "anthropic-sdk-python v0.35.0 to v1.5.0 (checked at v0.121.0 and the v1.5.0 wheel); the loop client from v0.50.0; from v1.6.0: anthropic-sdk-python-1.6",
        source: "anthropics/anthropic-sdk-python v0.121.0: src/anthropic/_base_client.py (_calculate_retry_timeout, _should_retry), src/anthropic/_constants.py",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After (or retry-after-ms) of any retried answer honoured if 0 < ra <= 60s, else backoff",
        notes: "retries 408, 409, 429, >= 500 (so 529) and timeouts; before v0.35.0 the recursive client waited 1s, 2s; its default timeout is 600s (longer for large max_tokens, not modelled)",
        configure: openai_python,
    },
    Preset {
        name: "anthropic-sdk-python-1.6",
        library: "anthropic-sdk-python v1.6.0 and later (checked to v2.17.0, the wheels on PyPI)",
        source: "anthropic 2.17.0 (PyPI wheel): anthropic/_base_client.py (_calculate_retry_timeout, _parse_retry_after_header, _should_retry), anthropic/_constants.py",
        summary: "as anthropic-sdk-python, but any Retry-After (or retry-after-ms) above 0 is honoured, however long; 0 falls back to the backoff",
        notes: "retries 408, 409, 429, >= 500 (so 529) and timeouts; the SDK caps a Retry-After at 4,294,967s (the platform's sleep limit, about 50 days), which the model leaves uncapped; x-should-retry is not modelled",
        configure: anthropic_sdk_python_1_6,
    },
    Preset {
        name: "openai-node",
        library: "openai-node v7.5.0 and later (checked to v7.60.0, the package on npm); v6.26.0 to v7.4.x: openai-node-6.26; v5.0.0 to v6.25.x: openai-node-5",
        source: "openai/openai-node v7.5.0: src/client.ts (shouldRetry, retryRequest, calculateDefaultRetryTimeoutMillis); openai 7.60.0 on npm: client.js",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After (or retry-after-ms) of any retried answer honoured if 0 <= ra <= 60s, so 0 retries at once",
        notes: "retries 408, 409, 429, >= 500 and connection errors and timeouts; default timeout 600s; x-should-retry is not modelled; a streaming body in flight is never retried",
        configure: openai_node,
    },
    Preset {
        name: "openai-node-6.26",
        library: "openai-node v6.26.0 to v7.4.x (the packages on npm; v6.x is the last line that runs on Node.js 20)",
        source: "openai 6.49.0 and 7.4.0 on npm: client.js (retryRequest, shouldRetry, calculateDefaultRetryTimeoutMillis)",
        summary: "as openai-node, but Retry-After (or retry-after-ms) of any retried answer honoured however long, 0 retries at once",
        notes: "retries 408, 409, 429, >= 500 and connection errors and timeouts; default timeout 600s; a Retry-After date in the past retries at once; Node.js's setTimeout fires after 1 ms for a wait over 2^31 - 1 ms (about 24.8 days), which the model leaves uncapped; x-should-retry is not modelled",
        configure: openai_node_6_26,
    },
    Preset {
        name: "openai-node-5",
        library: "openai-node v5.0.0 to v6.25.x (the packages on npm)",
        source: "openai 5.0.0 and 6.25.0 on npm: client.js (retryRequest: !(timeoutMillis && 0 <= timeoutMillis && timeoutMillis < 60 * 1000))",
        summary: "as openai-node, but Retry-After (or retry-after-ms) honoured only if 0 < ra < 60s, else backoff",
        notes: "retries 408, 409, 429, >= 500 and connection errors and timeouts; default timeout 600s; a Retry-After of exactly 60s backs off; x-should-retry is not modelled",
        configure: openai_node_5,
    },
    Preset {
        name: "anthropic-sdk-typescript",
        library: "anthropic-sdk-typescript sdk-v0.79.0 and later (checked to sdk-v0.120.0)",
        source: "anthropics/anthropic-sdk-typescript sdk-v0.120.0: src/client.ts (shouldRetry, retryRequest, calculateDefaultRetryTimeoutMillis)",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After (or retry-after-ms) of any retried answer honoured however long, 0 retries at once",
        notes: "retries 408, 409, 429, >= 500 (so 529) and timeouts; before sdk-v0.79.0 only 0 < ra < 60s was honoured; default timeout 600s",
        configure: anthropic_sdk_typescript,
    },
    Preset {
        name: "botocore-standard",
        library: "botocore 1.x, retry_mode = \"standard\"",
        source: "boto/botocore: botocore/retries/standard.py, botocore/retries/quota.py",
        summary: "3 attempts; U * min(2^n, 20) s; retry quota 500, cost 5 (10 after a timeout), refund on success",
        notes: "retries 500, 502, 503, 504 (not 529), timeouts, and throttling error codes, which a 429 is taken to carry; Retry-After is not read; the SDK's default mode is \"legacy\"",
        configure: botocore_standard,
    },
    Preset {
        name: "botocore-adaptive",
        library: "botocore 1.x, retry_mode = \"adaptive\"",
        source: "boto/botocore: botocore/retries/adaptive.py, bucket.py, throttling.py, standard.py",
        summary: "botocore-standard plus the CUBIC client rate limiter, switched on by the first 429",
        notes: "retries as botocore-standard; a waiting send takes its token at once and waits at the rate of that moment",
        configure: botocore_adaptive,
    },
    Preset {
        name: "polly-v8",
        library: "Polly 8.x (Polly.Core, checked at 8.7.0) RetryStrategyOptions defaults",
        source: "App-vNext/Polly 8.7.0: src/Polly.Core/Retry/RetryConstants.cs, RetryStrategyOptions.TResult.cs, RetryResilienceStrategy.cs",
        summary: "4 attempts; constant 2s, no jitter; Retry-After not read",
        notes: "its default ShouldHandle retries every exception but OperationCanceledException: 429, 5xx and 409 are taken to be thrown (e.g. by EnsureSuccessStatusCode); HttpClient's timeout throws TaskCanceledException, which is not retried",
        configure: polly_v8,
    },
    Preset {
        name: "polly-http-standard",
        library: "Microsoft.Extensions.Http.Resilience 8.x/9.x, AddStandardResilienceHandler, on Polly 8.x",
        source: "dotnet/extensions: src/Libraries/Microsoft.Extensions.Http.Resilience/Polly/HttpRetryStrategyOptions.cs, HttpStandardResilienceOptions.cs; App-vNext/Polly 8.7.0: src/Polly.Core/Retry/RetryHelper.cs (IsValidDelay), CircuitBreaker/Controller/AdvancedCircuitBehavior.cs",
        summary: "4 attempts; Polly decorrelated jitter v2 with base 2s (first delay's median about 1.8s); Retry-After of any handled answer honoured, uncapped, 0 retries at once; 10s attempt timeout; 30s total; breaker 10% of >= 100 in 30s, opened only by a failure, open 5s",
        notes: "retries >= 500, 408, 429, HttpRequestException and its attempt timeout (not 409); a request the open breaker rejects is not retried (BrokenCircuitException is not transient)",
        configure: polly_http_standard,
    },
    Preset {
        name: "grpc-example",
        library: "gRPC retry design gRFC A6 as revised in 2024 (grpc/proposal#452), its example service config; grpc-go v1.69.0 and later",
        source: "grpc/proposal: A6-client-retries.md (Exponential Backoff, Retry Policy Capabilities, Throttling)",
        summary: "4 attempts; min(0.1s * 2^n, 1s) * U(0.8, 1.2); retry throttling max_tokens 10, token_ratio 0.1",
        notes: "UNAVAILABLE is retried: 429 and 503 map to it; 500, 529 and deadline expiry are not retried; pushback is not modelled; A6 says the n-th attempt waits initialBackoff * multiplier^(n-1), which read literally skips a power after the first retry: the model follows grpc-go (multiplier^retries so far); before 2024, A6 drew U(0, min(0.1s * 2^n, 1s))",
        configure: grpc_example,
    },
    Preset {
        name: "grpc-go",
        library: "grpc-go v1.69.0 to v1.79.0 with no retryPolicy in its service config (the default)",
        source: "grpc/grpc-go v1.79.0: stream.go (csAttempt.shouldRetry: no retry when the method has no retry policy), service_config.go (convertRetryPolicy)",
        summary: "1 attempt; no retries unless the service config gives a retryPolicy (then as grpc-example)",
        notes: "transparent retries of RPCs that never reached the server are not modelled; with a retryPolicy grpc-go waits min(initialBackoff * backoffMultiplier^k, maxBackoff) * (0.8 + 0.4 U), k the retries since the last pushback, and caps maxAttempts at 5: grpc-example with that policy's numbers",
        configure: grpc_go,
    },
    Preset {
        name: "tenacity-cookbook",
        library: "the OpenAI Cookbook's rate-limit example: tenacity 9.x around an openai-python client at its defaults",
        source: "openai/openai-cookbook: examples/How_to_handle_rate_limits.ipynb; jd/tenacity: tenacity/wait.py; openai/openai-python: src/openai/_base_client.py",
        summary: "two layers: tenacity-random-exponential (6 attempts) around openai-python (3 attempts): up to 18 attempts per call",
        notes: "the SDK raises its last error when it gives up (RateLimitError, APIStatusError, APITimeoutError), and tenacity's default retries every exception, so the outer loop sees the inner loop's last failure; until this version this preset was the tenacity loop alone, as if the client made no retries of its own: that reading is tenacity-random-exponential",
        configure: tenacity_cookbook,
    },
    Preset {
        name: "tenacity-random-exponential",
        library: "tenacity 9.x, @retry(wait=wait_random_exponential(min=1, max=60), stop=stop_after_attempt(6)), the loop alone",
        source: "jd/tenacity: tenacity/wait.py (wait_random_exponential), tenacity/stop.py (stop_after_attempt)",
        summary: "6 attempts; wait_random_exponential(min=1, max=60): U(1s, max(1s, min(2^n s, 60s)))",
        notes: "retries every exception; tenacity < 9 drew U(0, ...) instead: use full_jitter without min for it",
        configure: tenacity_random_exponential,
    },
    Preset {
        name: "backon",
        library: "backon 1.x ExponentialBuilder defaults",
        source: "Xuanwo/backon: backon/src/backoff/exponential.rs",
        summary: "4 attempts; 1s, 2s, 4s (factor 2, max 60s), no jitter",
        notes: "retries every error unless told otherwise",
        configure: backon,
    },
    Preset {
        name: "aws-sdk-js-v3-standard",
        library: "AWS SDK for JavaScript v3, retryMode \"standard\" (its default), through @smithy/util-retry 4.3.0 and later (checked at @smithy/core 3.33.3, util-retry 4.6.2)",
        source: "smithy-lang/smithy-typescript @smithy/core@3.33.3: packages/core/src/submodules/retry/util-retry/StandardRetryStrategy.ts, constants.ts, config.ts, DefaultRetryBackoffStrategy.ts; service-error-classification/service-error-classification.ts, constants.ts",
        summary: "3 attempts; U * min(0.5s * 2^n, 20s) for throttling (U * min(0.1s * 2^n, 20s) for 5xx and timeouts in the SDK); retry quota 500, cost 5 (10 after a timeout), refund on success",
        notes: "retries 429 and throttling codes, 500, 502, 503, 504, timeouts and network errors (not 529); the model uses the throttling base 0.5s for every failure, where the SDK waits from 0.1s after a 5xx or timeout; the SDK charges 10 tokens for every transient retry (a 5xx too), the model only after a timeout; Retry-After (and x-amz-retry-after) is read as max(backoff, min(ra, backoff + 5s)), which the model cannot express, so it is not read; before util-retry 4.3.0 it was max(ra, backoff), uncapped, and a success refilled the quota to 500 (Math.max); SMITHY_NEW_RETRIES_2026=true opts into other numbers: aws-sdk-js-v3-2026",
        configure: aws_sdk_js_v3_standard,
    },
    Preset {
        name: "aws-sdk-js-v3-2026",
        library: "AWS SDK for JavaScript v3 with the opt-in 2026 retry behaviour (SMITHY_NEW_RETRIES_2026=true), @smithy/core 3.23.14 and later (checked at 3.33.3)",
        source: "smithy-lang/smithy-typescript @smithy/core@3.33.3: packages/core/src/submodules/retry/util-retry/retries-2026-config.ts, StandardRetryStrategy.ts, DefaultRetryBackoffStrategy.ts",
        summary: "3 attempts; U * min(1s * 2^n, 20s) for throttling (U * min(0.05s * 2^n, 20s) for 5xx and timeouts in the SDK); retry quota 500, cost 5 for a throttling retry, 14 for any other, refund on success",
        notes: "as aws-sdk-js-v3-standard but for its numbers; the model uses the throttling base 1s for every failure and charges 5 after a 5xx, where the SDK waits from 0.05s and charges 14; Retry-After not read (see aws-sdk-js-v3-standard); the long-poll backoff when the quota is empty is not modelled",
        configure: aws_sdk_js_v3_2026,
    },
    Preset {
        name: "aws-sdk-java-v2-legacy",
        library: "AWS SDK for Java 2.x, retry mode \"legacy\" (the default when AWS_RETRY_MODE, aws.retryMode and the profile's retry_mode are unset), retry strategies from 2.26.0 on (the retry policies before had the same numbers)",
        source: "aws/aws-sdk-java-v2: core/retries/src/main/java/software/amazon/awssdk/retries/DefaultRetryStrategy.java (Legacy), LegacyRetryStrategy.java, internal/BaseRetryStrategy.java (computeBackoff, recordSuccess), core/retries-spi/.../backoff/ExponentialDelayWithHalfJitter.java, core/sdk-core/.../internal/retry/SdkDefaultRetryStrategy.java, SdkDefaultRetrySetting.java, core/retry/RetryMode.java, pipeline/stages/RetryableStage2.java",
        summary: "4 attempts; v/2 + U(0, v/2), v = min(0.5s * 2^n, 20s) for throttling (U * min(0.1s * 2^n, 20s) for 5xx and timeouts in the SDK); retry bucket 500, a throttling retry costs 0, any other 5",
        notes: "retries 429 and throttling codes, 500, 502, 503, 504, I/O errors and attempt timeouts (not 529); the model uses the throttling schedule for every failure and charges 0 after a 5xx, where the SDK waits from 0.1s with full jitter and charges 5; a success gives back what its last retry took or, in the SDK, at least 1 (the model gives back 0 after a throttling retry); delays are whole milliseconds in the SDK; Retry-After is not read (the retryable stage passes a suggested delay of zero); some services (DynamoDB) raise the attempts",
        configure: aws_sdk_java_v2_legacy,
    },
    Preset {
        name: "aws-sdk-java-v2-standard",
        library: "AWS SDK for Java 2.x, retry mode \"standard\" (AWS_RETRY_MODE=standard), retry strategies from 2.26.0 on",
        source: "aws/aws-sdk-java-v2: core/retries/src/main/java/software/amazon/awssdk/retries/DefaultRetryStrategy.java (Standard), StandardRetryStrategy.java, internal/BaseRetryStrategy.java (computeBackoff, exceptionCost, recordSuccess), core/retries-spi/.../backoff/ExponentialDelayWithJitter.java, core/sdk-core/.../internal/retry/SdkDefaultRetryStrategy.java, SdkDefaultRetrySetting.java, pipeline/stages/RetryableStage2.java",
        summary: "3 attempts; U * min(1s * 2^n, 20s) for throttling (U * min(0.1s * 2^n, 20s) for 5xx and timeouts in the SDK); retry bucket 500, every retry costs 5, refund on success",
        notes: "retries 429 and throttling codes, 500, 502, 503, 504, I/O errors and attempt timeouts (not 529); the model uses the throttling base 1s for every failure, where the SDK waits from 0.1s after a 5xx or timeout; delays are whole milliseconds in the SDK; Retry-After is not read (the retryable stage passes a suggested delay of zero); AWS_NEW_RETRIES_2026=true opts into the numbers of aws-sdk-js-v3-2026 (base 0.05s, a non-throttling retry costs 14)",
        configure: aws_sdk_java_v2_standard,
    },
    Preset {
        name: "google-genai",
        library: "google-genai (Python) v1.21.0 and later (checked to v2.19.0), HttpOptions without retry_options",
        source: "googleapis/python-genai v2.19.0: google/genai/_api_client.py (retry_args), google/genai/types.py (HttpOptions.retry_options, default None)",
        summary: "1 attempts; no retries: retry_options defaults to None, which is stop_after_attempt(1)",
        notes: "the SDK retries only when given HttpRetryOptions (google-genai-retry-options); before v1.21.0 it had no retry loop at all; HttpOptions.timeout defaults to none",
        configure: google_genai,
    },
    Preset {
        name: "google-genai-retry-options",
        library: "google-genai (Python) v1.74.0 and later (checked to v2.19.0) with HttpRetryOptions() at its defaults; tenacity 8.2.3 to 9.1.x",
        source: "googleapis/python-genai v2.19.0: google/genai/_api_client.py (_RETRY_ATTEMPTS, _RETRY_INITIAL_DELAY, _RETRY_MAX_DELAY, _RETRY_EXP_BASE, _RETRY_JITTER, _RETRY_HTTP_STATUS_CODES, retry_args); jd/tenacity 9.1.2: tenacity/wait.py (wait_exponential_jitter)",
        summary: "5 attempts; min(1s * 2^n + U(0, 1s), 60s) (additive_jitter); retries 408, 429, 500, 502, 503, 504 and timeouts; Retry-After not read",
        notes: "529 is not retried; v1.21.0 to v1.73.x did not retry httpx timeouts (only the statuses and connection errors); 408 is the server's status, backsim's timeout is httpx's TimeoutException; tenacity's jitter is in seconds, here 1.0 x base",
        configure: google_genai_retry_options,
    },
    Preset {
        name: "google-api-core",
        library: "google-api-core (Python) v2.16.0 and later (checked to v2.29.0), google.api_core.retry.Retry() at its defaults",
        source: "googleapis/python-api-core v2.29.0: google/api_core/retry/retry_base.py (_DEFAULT_INITIAL_DELAY, _DEFAULT_MAXIMUM_DELAY, _DEFAULT_DELAY_MULTIPLIER, _DEFAULT_DEADLINE, if_transient_error, exponential_sleep_generator, _retry_error_helper)",
        summary: "1000000 attempts; no attempt limit (backsim's largest), U(0, min(1s * 2^n, 60s)) until the next sleep would pass the 120s timeout; retries 429, 500, 503",
        notes: "if_transient_error retries InternalServerError (500), TooManyRequests (429), ServiceUnavailable (503) and connection errors, not 502, 504, 529 or read timeouts; Retry-After is not read; api-core checks its timeout only before a retry and lets an attempt in flight run past it, backsim's deadline also cuts that attempt short; before v2.16.0 the first draw was U(0, 2s) (delay * 2.0 before the cap)",
        configure: google_api_core,
    },
    Preset {
        name: "azure-core",
        library: "azure-core (Python) 1.26.2 to 1.41.0, RetryPolicy defaults (the POST/PATCH rule for 500, 503, 504 arrived in 1.26.2; the numbers are the same in every release between)",
        source: "Azure/azure-sdk-for-python azure-core 1.41.0 (the release on PyPI): azure/core/pipeline/policies/_retry.py (RetryPolicyBase: BACKOFF_MAX, _SAFE_CODES, retry_status, retry_backoff_factor, timeout, get_backoff_time, _is_method_retryable, is_retry, RetryPolicy.sleep, send)",
        summary: "4 attempts; 0, then 0.8s * 2^n capped at 120s (exponential_after_immediate): 0, 1.6s, 3.2s; a POST retried on 429 (with Retry-After), 500, 503; Retry-After of any answer honoured, uncapped",
        notes: "for a POST (LLM calls) only 500, 503 and 504 are retried without a Retry-After, and any status >= 400 with one (a 409 or 529 carrying one too): backsim retries 429 whether or not it carries Retry-After and never 409 or 529; timeouts and connection errors are not retried for a POST; retry_status = 3 bounds status retries (retry_total = 10 is not reached); a Retry-After of 0 falls back to the backoff; its total timeout is 604800s",
        configure: azure_core,
    },
    Preset {
        name: "vercel-ai-sdk",
        library: "Vercel AI SDK (ai) v5.0.0 and later (checked to ai@7.0.77)",
        source: "vercel/ai ai@7.0.77: packages/ai/src/util/prepare-retries.ts (maxRetries ?? 2), packages/ai/src/util/retry-with-exponential-backoff.ts (getRetryDelayInMs), packages/provider-utils/src/retry-with-exponential-backoff.ts (initialDelayInMs = 2000, backoffFactor = 2), packages/provider/src/errors/api-call-error.ts (isRetryable)",
        summary: "3 attempts; 2s, 4s (exponential, no cap, no jitter); retry-after-ms or retry-after of any retried answer honoured if 0 <= ra < 60s, so 0 retries at once",
        notes: "retries 408, 409, 429, >= 500 and network errors; an abort or timeout (AbortSignal) is not retried; a Retry-After of 60s or more is also honoured when shorter than the backoff delay, which needs maxRetries >= 6 (2s * 2^5 = 64s): not modelled; ai 4.x did not read Retry-After",
        configure: vercel_ai_sdk,
    },
    Preset {
        name: "langchain-with-retry",
        library: "langchain-core 1.8.4 Runnable.with_retry() defaults (the same defaults in early 0.x retry.py), on tenacity >= 8.1 (checked at 9.2.1), the loop alone",
        source: "langchain-ai/langchain langchain-core 1.8.4: libs/core/langchain_core/runnables/base.py (Runnable.with_retry), libs/core/langchain_core/runnables/retry.py (RunnableRetry); jd/tenacity 9.2.1: tenacity/wait.py (wait_exponential_jitter)",
        summary: "3 attempts; wait_exponential_jitter(): 2^n s + U(0, 1 s), no cap; every failure retried; Retry-After not read",
        notes: "retry_if_exception_type((Exception,)) retries every exception; invoke() re-raises the last one (reraise=True); batch() retries only the inputs that failed; stream() is never retried; no timeout of its own; exponential_jitter_params can change initial, max, exp_base and jitter (base, cap, multiplier and jitter as a share of base here)",
        configure: langchain_with_retry,
    },
    Preset {
        name: "langchain-openai",
        library: "langchain-openai 1.8.1 ChatOpenAI(...).with_retry() on openai >= 2.52 (langchain-openai requires openai >= 2.45.0; checked at openai 3.63.0)",
        source: "langchain-ai/langchain langchain-openai 1.8.1: libs/partners/openai/langchain_openai/chat_models/base.py (max_retries = None, _client_params: max_retries passed only when set, timeout = request_timeout = None); openai/openai-python: src/openai/_constants.py (DEFAULT_MAX_RETRIES = 2)",
        summary: "two layers: langchain-with-retry (3 attempts) around openai-python-2.52 (3 attempts): up to 9 attempts per call",
        notes: "ChatOpenAI leaves max_retries unset, so the client keeps the SDK's 2 retries; with openai 2.45 to 2.51 the inner layer is openai-python (Retry-After above 60s backs off instead of giving up); ChatOpenAI passes timeout=None, which the SDK takes as no timeout at all (not its 600s default)",
        configure: langchain_openai,
    },
    Preset {
        name: "langchain-anthropic",
        library: "langchain-anthropic 1.7.10 ChatAnthropic(...).with_retry() on anthropic-sdk-python 0.120.0 to 0.121.0 (langchain-anthropic requires anthropic >= 0.120.0)",
        source: "langchain-ai/langchain langchain-anthropic 1.7.10: libs/partners/anthropic/langchain_anthropic/chat_models.py (max_retries: int = 2, _client_params, default_request_timeout = None); anthropics/anthropic-sdk-python v0.121.0: src/anthropic/_base_client.py",
        summary: "two layers: langchain-with-retry (3 attempts) around anthropic-sdk-python (3 attempts): up to 9 attempts per call",
        notes: "ChatAnthropic passes max_retries = 2, the SDK's own default, and timeout=None (no timeout at all); anthropic 2.17.0 (the newest release read) honours any Retry-After above 0, capped at 4,294,967s, instead of only up to 60s: override the inner layer's max_retry_after for it",
        configure: langchain_anthropic,
    },
    Preset {
        name: "litellm-router",
        library: "LiteLLM 1.74.0 Router, one deployment per model group, the in-process loop alone",
        source: "BerriAI/litellm v1.74.0: litellm/router.py (Router.__init__: num_retries = openai.DEFAULT_MAX_RETRIES; async_function_with_retries, should_retry_this_error, _time_to_sleep_before_retry), litellm/utils.py (_calculate_retry_after), litellm/constants.py (INITIAL_RETRY_DELAY 0.5, MAX_RETRY_DELAY 8, JITTER 0.75), litellm/router_utils/cooldown_handlers.py",
        summary: "3 attempts; U(0, 0.75 * 0.5s) before each of the two retries; Retry-After of any failure honoured if 0 < ra <= 60s (whole seconds), else the backoff",
        notes: "retries every failure but 404 and authentication errors (a 429 is not retried only when fallbacks exist and no deployment is healthy); a group of one deployment never cools down; the source's wait before retry k+1 uses min(0.5s * 2^(k-1), 8s) for k >= 1 but 2^0 before the first retry too (num_retries - remaining_retries is 0 twice), so with num_retries above 2 it doubles from the third wait on (0.75s, 1.5s ... times 0.75 U): the model keeps U(0, 0.375s) for every retry, exact at the default 2; it reads the first failure's headers for every wait and sleeps once more after the last attempt before raising (neither modelled); with several healthy deployments it retries at once on another; router_settings retry_after (default 0) floors the backoff; a LiteLLM proxy shared by every client is this loop at the gateway, innermost: layers = [{ preset = \"openai-python\" }, { preset = \"litellm-router\", at = \"gateway\" }]",
        configure: litellm_router,
    },
    Preset {
        name: "openai-python-no-retries",
        library: "openai-python v1.68.2 and later with max_retries = 0, as LiteLLM's Router configures it",
        source: "BerriAI/litellm v1.74.0: litellm/router.py (default_litellm_params.setdefault(\"max_retries\", 0)), litellm/llms/openai/openai.py (the client made with that max_retries)",
        summary: "1 attempt; the SDK's retries off: every failure is passed to the layer above",
        notes: "the SDK's other settings are openai-python's; with one attempt its backoff and Retry-After rules never apply; LiteLLM's default request timeout is not modelled",
        configure: openai_python_no_retries,
    },
    Preset {
        name: "litellm-router-openai",
        library: "LiteLLM 1.74.0 Router in process, calling OpenAI through openai-python (litellm requires openai >= 1.68.2)",
        source: "BerriAI/litellm v1.74.0: litellm/router.py, litellm/utils.py (_calculate_retry_after), litellm/llms/openai/openai.py",
        summary: "two layers: litellm-router (3 attempts) around openai-python-no-retries (1 attempt): up to 3 attempts per call",
        notes: "the Router sets the SDK's max_retries to 0, so its own loop is the only one; a LiteLLM proxy deployment is the router as a gateway layer (see litellm-router)",
        configure: litellm_router_openai,
    },
];

/// The preset named `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names of the presets.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

fn retry_on(names: &[&str]) -> RetryOn {
    let mut r = RetryOn::NOTHING;
    for n in names {
        assert!(r.add(n), "known failure name {n}");
    }
    r
}

/// The botocore standard mode's retry quota.
pub const AWS_QUOTA: Budget = Budget::AwsQuota {
    capacity: 500,
    cost: 5,
    timeout_cost: 10,
    success_increment: 1,
};

/// gRFC A6's example retry throttling.
pub const GRPC_THROTTLING: Budget = Budget::Grpc {
    max_tokens: 10 * MICRO,
    token_ratio: MICRO / 10,
};

/// botocore's adaptive client rate limiter.
pub const AWS_ADAPTIVE: Throttle = Throttle::AwsAdaptive {
    beta: 0.7,
    scale: 0.4,
    smoothing: 0.8,
    bucket: 500 * MS,
    min_rate: 0.5,
};

/// Polly v8's circuit breaker defaults.
pub const POLLY_BREAKER: Breaker = Breaker {
    failure_ratio: 0.1,
    window: 30 * S,
    min_volume: 100,
    open_for: 5 * S,
    probes: 1,
    scope: BreakerScope::All,
    failure_only: true,
};

impl Preset {
    /// True if the preset is a stack of other presets' layers.
    pub fn is_stack(&self) -> bool {
        !self.strategy().inner.is_empty()
    }

    /// The presets of its layers, outermost first (its own name alone for
    /// a preset of one layer).
    pub fn layer_names(&self) -> Vec<&'static str> {
        let s = self.strategy();
        s.layers().map(|l| l.preset.unwrap_or(self.name)).collect()
    }

    /// The preset as a strategy named after it.
    pub fn strategy(&self) -> Strategy {
        let mut s = Strategy {
            preset: Some(self.name),
            ..Strategy::new(self.name, Backoff::None)
        };
        (self.configure)(&mut s);
        s
    }
}

/// Makes `s` the stack of the presets named `layers`, outermost first,
/// keeping its name: the outermost layer's settings and preset are the
/// first preset's.
fn stack(s: &mut Strategy, layers: &[&str]) {
    let mut layers = layers.iter().map(|name| {
        find(name)
            .unwrap_or_else(|| panic!("the layer preset {name} exists"))
            .strategy()
    });
    let outer = layers.next().expect("a stack has layers");
    let inner = layers.collect();
    *s = Strategy {
        name: std::mem::take(&mut s.name),
        inner,
        ..outer
    };
}

#[cfg(test)]
mod tests;
