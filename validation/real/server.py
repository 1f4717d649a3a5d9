"""A small real-time API server that enforces backsim's limiter semantics.

It speaks enough of the OpenAI chat-completions API (plain and streamed)
and of the Anthropic messages API for their official Python SDKs, and it
limits with continuously refilling token buckets kept in exact integers
(docs/model.md section 3): a request bucket (cost 1) and a token bucket
(cost = input tokens + max_tokens, the reservation OpenAI counts). A
refused attempt gets a 429 that names its limit and carries, as
configured, no Retry-After, `retry-after-ms` (the exact wait rounded up
to the millisecond) or `retry-after` (rounded up to whole seconds).
Admitted attempts may be failed at once with a 503 or 529 at a set
probability; the others are served after a latency, or streamed after a
time to first token. A generation whose client has gone when it would
be answered is still finished and billed (backsim's
`cancel_on_disconnect = false`) and counted as abandoned.

Every arrival is logged with the client id (header `x-client-id`), the
SDK's attempt number (`x-stainless-retry-count`), the outer loop's
attempt (`x-outer-attempt`, sent by the tenacity harness), its
`time.monotonic()` (system-wide on Linux, so the harness can subtract
its own origin) and its outcome.

Control endpoints: POST /_reset with the case's server settings (JSON)
starts a fresh run (full buckets, seeded random draws, empty log);
GET /_log returns the log and the generation counters. A setting
`reject_delay` (seconds) holds every 429 that long: the calibration of
the client's processing time uses it so that every request of a round
is sent before the first answer comes back.

Usage: python server.py PORT
"""

import asyncio
import json
import math
import random
import sys
import time

from aiohttp import web

NS_PER_MIN = 60_000_000_000


class Bucket:
    """A token bucket in units of 1/(60·10^9) token: refill per ns is the
    per-minute rate, so every level is an exact integer."""

    def __init__(self, per_minute, burst, now_ns):
        self.rate = int(per_minute)  # units per ns
        self.cap = int(burst) * NS_PER_MIN
        self.level = self.cap
        self.last = now_ns

    def refill(self, now_ns):
        self.level = min(self.cap, self.level + self.rate * (now_ns - self.last))
        self.last = now_ns

    def wait_ns(self, cost):
        """Nanoseconds until the bucket holds `cost` (0 if it does)."""
        need = cost * NS_PER_MIN - self.level
        if need <= 0:
            return 0
        return -(-need // self.rate)


class State:
    def __init__(self):
        self.reset({})

    def reset(self, cfg):
        self.cfg = cfg
        now = time.monotonic_ns()
        self.rng = random.Random(cfg.get("seed", 0))
        self.buckets = {}
        if cfg.get("requests_per_minute"):
            self.buckets["requests"] = Bucket(cfg["requests_per_minute"], cfg["request_burst"], now)
        if cfg.get("tokens_per_minute"):
            self.buckets["tokens"] = Bucket(cfg["tokens_per_minute"], cfg["token_burst"], now)
        self.log = []
        self.billed = 0
        self.abandoned = 0
        self.pending = 0


STATE = State()


def draw(spec):
    """A duration in seconds: a number, or {"median", "sigma"} lognormal."""
    if isinstance(spec, dict):
        return spec["median"] * math.exp(spec["sigma"] * STATE.rng.gauss(0.0, 1.0))
    return float(spec or 0.0)


def error_body(api, status, kind, message):
    if api == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def openai_body(model, text, usage):
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def anthropic_body(model, text, inp, out):
    return {
        "id": "msg_local",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": out},
    }


def gone(request):
    t = request.transport
    return t is None or t.is_closing()


async def handle(request, api):
    t_ns = time.monotonic_ns()
    cfg = STATE.cfg
    entry = {
        "t": t_ns / 1e9,
        "client": request.headers.get("x-client-id", ""),
        "attempt": request.headers.get("x-stainless-retry-count", ""),
        "outer": request.headers.get("x-outer-attempt", ""),
    }
    STATE.log.append(entry)
    body = await request.json()
    model = body.get("model", "local")
    max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)
    stream = bool(body.get("stream"))
    inp = int(cfg.get("input_tokens", 0))
    out = int(cfg.get("output_tokens", 1))
    costs = {"requests": 1, "tokens": inp + max_tokens}

    waits = {}
    for name, b in STATE.buckets.items():
        b.refill(t_ns)
        waits[name] = b.wait_ns(costs[name])
    refused = [n for n in ("requests", "tokens") if waits.get(n, 0) > 0]
    if refused:
        # The limit named is the one the attempt would wait longest for,
        # the first in the order requests, tokens on a tie.
        limit = max(refused, key=lambda n: (waits[n], -("requests", "tokens").index(n)))
        wait = max(waits.values())
        headers = {}
        mode = cfg.get("retry_after", "none")
        if mode == "ms":
            headers["retry-after-ms"] = str(-(-wait // 1_000_000))
        elif mode == "seconds":
            headers["retry-after"] = str(-(-wait // 1_000_000_000))
        entry["outcome"] = "429_" + limit
        if cfg.get("reject_delay"):
            await asyncio.sleep(cfg["reject_delay"])
        kind = "rate_limit_error" if api == "anthropic" else "rate_limit_exceeded"
        return web.json_response(
            error_body(api, 429, kind, "rate limited by " + limit), status=429, headers=headers
        )
    for name, b in STATE.buckets.items():
        b.level -= costs[name] * NS_PER_MIN

    u = STATE.rng.random()
    acc = 0.0
    for status, p in sorted(cfg.get("errors", {}).items()):
        acc += p
        if u < acc:
            entry["outcome"] = status
            kind = "overloaded_error" if status == "529" else "api_error"
            return web.json_response(error_body(api, int(status), kind, kind), status=int(status))

    entry["outcome"] = "admitted"
    STATE.pending += 1
    try:
        if stream:
            return await serve_stream(request, api, model, inp, out, entry)
        await asyncio.sleep(draw(cfg.get("latency")))
        STATE.billed += 1
        if gone(request):
            STATE.abandoned += 1
            entry["outcome"] = "abandoned"
            return web.Response(status=200)
        entry["outcome"] = "served"
        text = "ok " * out
        if api == "anthropic":
            return web.json_response(anthropic_body(model, text, inp, out))
        usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}
        return web.json_response(openai_body(model, text, usage))
    finally:
        STATE.pending -= 1


async def serve_stream(request, api, model, inp, out, entry):
    """An OpenAI chat-completion stream: headers and the first token after
    the time to first token, then the rest at the decode rate. The
    generation runs to its end even when the client has gone (it is
    billed), and then it counts as abandoned."""
    cfg = STATE.cfg
    await asyncio.sleep(draw(cfg.get("ttft")))
    decode = out / float(cfg["decode_tokens_per_s"])
    abandoned = gone(request)
    resp = None
    if not abandoned:
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        try:
            await resp.prepare(request)
        except (ConnectionResetError, RuntimeError):
            abandoned = True
    step = decode / max(out, 1)
    for i in range(out):
        if not abandoned:
            chunk = {
                "id": "chatcmpl-local",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": "ok "}, "finish_reason": None}],
            }
            try:
                await resp.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            except (ConnectionResetError, RuntimeError):
                abandoned = True
        await asyncio.sleep(step)
    STATE.billed += 1
    if abandoned or gone(request):
        STATE.abandoned += 1
        entry["outcome"] = "abandoned"
        return resp if resp is not None else web.Response(status=200)
    entry["outcome"] = "served"
    try:
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
    except (ConnectionResetError, RuntimeError):
        pass
    return resp


async def chat(request):
    return await handle(request, "openai")


async def messages(request):
    return await handle(request, "anthropic")


async def reset(request):
    STATE.reset(await request.json())
    return web.json_response({"ok": True})


async def get_log(request):
    return web.json_response(
        {
            "log": STATE.log,
            "billed": STATE.billed,
            "abandoned": STATE.abandoned,
            "pending": STATE.pending,
            "cpu_s": time.process_time(),
        }
    )


def main():
    port = int(sys.argv[1])
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/_reset", reset)
    app.router.add_get("/_log", get_log)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()
