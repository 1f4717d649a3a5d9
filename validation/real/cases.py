"""The validation cases: a real client stack against a real limiter, and
the backsim scenario that models it.

Each case gives the client side (`stack`, `clients`, the library's
settings), the server's settings (`server`: limits, Retry-After, latency
or streaming, injected errors), nginx's `limit_req` in front when
`nginx` is set, how many real runs to repeat, and the backsim strategy
that models the stack (`strategy`, TOML lines) at the library's pinned
version (requirements.txt): openai 3.3.1 is `openai-python-2.52`
(checked to v3.3.1), anthropic 0.121.0 is `anthropic-sdk-python`
(checked to v0.121.0), tenacity 9.1.2 is `tenacity-random-exponential`; openai-node 6.49.0
(node/package.json; the 6.x line is the newest that runs on Node.js 20)
is `openai-node-6.26` (checked at v6.49.0).

`tolerance` is what the comparison allows beyond the two confidence
intervals, per metric, where the model is known to simplify: see
README.md, "Validated against real clients".
"""

# Times: the SDKs' per-attempt work (building the request, parsing the
# answer) and loopback are modelled by one calibrated processing time per
# answer; 5% + 20 ms allows for what that leaves out (asyncio's timer
# granularity, the server's own scheduling). Counts and shares: none.
TIME_TOLERANCE = (0.05, 0.020)

OPENAI = 'preset = "openai-python-2.52"'
ANTHROPIC = 'preset = "anthropic-sdk-python"'
NODE = 'preset = "openai-node-6.26"'

CASES = [
    {
        "name": "openai-no-retry-after",
        "title": "openai-python, 5 retries, no Retry-After; 2/s bucket of 5",
        "stack": "openai",
        "clients": 60,
        "max_retries": 5,
        "runs": 4,
        "server": {"requests_per_minute": 120, "request_burst": 5, "latency": 0.2, "retry_after": "none"},
        "strategy": [OPENAI, "max_attempts = 6"],
    },
    {
        "name": "openai-retry-after-ms",
        "title": "openai-python defaults (2 retries), retry-after-ms; 2/s bucket of 5",
        "stack": "openai",
        "clients": 60,
        "max_retries": 2,
        "runs": 4,
        "server": {"requests_per_minute": 120, "request_burst": 5, "latency": 0.2, "retry_after": "ms"},
        "strategy": [OPENAI, "max_attempts = 3"],
    },
    {
        "name": "anthropic-529-429",
        "title": "anthropic-sdk-python defaults, 20% 529 overloaded, 429 with Retry-After in seconds; 4/s bucket of 10",
        "stack": "anthropic",
        "clients": 60,
        "max_retries": 2,
        "runs": 4,
        "server": {
            "requests_per_minute": 240,
            "request_burst": 10,
            "latency": 0.2,
            "retry_after": "seconds",
            "errors": {"529": 0.2},
        },
        "strategy": [ANTHROPIC, "max_attempts = 3"],
    },
    {
        "name": "tenacity-openai",
        "title": "tenacity (3 attempts, wait_random_exponential(1, 60)) around openai-python defaults; 2/s bucket of 5",
        "stack": "tenacity-openai",
        "clients": 40,
        "max_retries": 2,
        "outer_attempts": 3,
        "runs": 4,
        "server": {"requests_per_minute": 120, "request_burst": 5, "latency": 0.2, "retry_after": "none"},
        "strategy": [
            "layers = [",
            '  { preset = "tenacity-random-exponential", max_attempts = 3 },',
            '  { preset = "openai-python-2.52" },',
            "]",
        ],
    },
    {
        "name": "tokens-per-minute",
        "title": "openai-python defaults, 1,000-token prompts with max_tokens 1,000 against 120,000 TPM (burst 10,000), retry-after-ms",
        "stack": "openai",
        "clients": 40,
        "max_retries": 2,
        "max_tokens": 1000,
        "runs": 4,
        "server": {
            "tokens_per_minute": 120000,
            "token_burst": 10000,
            "input_tokens": 1000,
            "output_tokens": 50,
            "latency": 0.2,
            "retry_after": "ms",
        },
        "strategy": [OPENAI, "max_attempts = 3"],
    },
    {
        "name": "stream-timeout",
        "title": "openai-python streaming, 1.5 s timeout, 2 retries; time to first token lognormal (median 1 s, sigma 0.5); abandoned generations billed",
        "stack": "openai-stream",
        "clients": 40,
        "max_retries": 2,
        "timeout": 1.5,
        "runs": 4,
        "server": {
            "ttft": {"median": 1.0, "sigma": 0.5},
            "decode_tokens_per_s": 1000.0,
            "input_tokens": 1000,
            "output_tokens": 20,
        },
        "strategy": [OPENAI, "max_attempts = 3"],
    },
    {
        "name": "nginx-limit-req",
        "title": "openai-python, 3 retries, behind nginx limit_req rate=5r/s burst=5 (delayed, 503 beyond)",
        "stack": "openai",
        "clients": 40,
        "max_retries": 3,
        "runs": 4,
        "nginx": {"rate": 5, "burst": 5, "nodelay": False, "status": 503},
        "server": {"latency": 0.2},
        "strategy": [OPENAI, "max_attempts = 4"],
    },
    {
        "name": "nginx-nodelay-429",
        "title": "anthropic-sdk-python defaults behind nginx limit_req rate=5r/s burst=10 nodelay, limit_req_status 429",
        "stack": "anthropic",
        "clients": 40,
        "max_retries": 2,
        "runs": 4,
        "nginx": {"rate": 5, "burst": 10, "nodelay": True, "status": 429},
        "server": {"latency": 0.2},
        "strategy": [ANTHROPIC, "max_attempts = 3"],
    },
    {
        "name": "openai-node-no-retry-after",
        "title": "openai-node (Node.js), 5 retries, no Retry-After; 2/s bucket of 5",
        "stack": "openai-node",
        "clients": 60,
        "max_retries": 5,
        "runs": 4,
        "server": {"requests_per_minute": 120, "request_burst": 5, "latency": 0.2, "retry_after": "none"},
        "strategy": [NODE, "max_attempts = 6"],
    },
    {
        "name": "openai-node-retry-after",
        "title": "openai-node (Node.js) defaults (2 retries), Retry-After in seconds; 4/s bucket of 10",
        "stack": "openai-node",
        "clients": 60,
        "max_retries": 2,
        "runs": 4,
        "server": {"requests_per_minute": 240, "request_burst": 10, "latency": 0.2, "retry_after": "seconds"},
        "strategy": [NODE, "max_attempts = 3"],
    },
    {
        "name": "event-loop-300",
        "title": "300 openai-python clients in one event loop, 5 retries, no Retry-After; 10/s bucket of 20",
        "stack": "openai",
        "clients": 300,
        "max_retries": 5,
        "runs": 4,
        "server": {"requests_per_minute": 600, "request_burst": 20, "latency": 0.2, "retry_after": "none"},
        "strategy": [OPENAI, "max_attempts = 6"],
        # The bound set for this case: success within 10% (relative) of the real.
        "success_tolerance": 0.10,
        # Also shown: backsim without the client-processing model.
        "also_without_processing": True,
    },
]
