"""N clients of a real client library in one asyncio event loop.

Each client sends one request at once (asyncio.gather: they start
together) through one shared SDK client object, as an application
process would, and records when its call started and ended (seconds of
`time.monotonic()`, system-wide on Linux) and how it ended.

Usage: python clients.py CASE_JSON OUT_JSON RUN_ID

Stacks (CASE_JSON "stack"):
- openai: openai-python's AsyncOpenAI, chat.completions.create;
- openai-stream: the same with stream=True, the stream read to its end;
- anthropic: anthropic-sdk-python's AsyncAnthropic, messages.create;
- tenacity-openai: the OpenAI Cookbook's tenacity loop
  (wait_random_exponential(min=1, max=60), stop_after_attempt(K)) around
  AsyncOpenAI at its own retries.

With "calibrate": true instead, it measures the client's own time per
answer (see `calibrate`) and prints it for each round, with the
process's CPU seconds per request (sending and answer).
"""

import asyncio
import json
import sys
import time


def make_client(case, run_id):
    stack = case["stack"]
    url = case["base_url"]
    headers = {"x-run-id": run_id}
    if stack == "anthropic":
        import anthropic

        return anthropic.AsyncAnthropic(
            base_url=url,
            api_key="local",
            max_retries=case["max_retries"],
            timeout=case.get("timeout", 600.0),
            default_headers=headers,
        )
    import openai

    return openai.AsyncOpenAI(
        base_url=url + "/v1",
        api_key="local",
        max_retries=case["max_retries"],
        timeout=case.get("timeout", 600.0),
        default_headers=headers,
    )


async def one_call(case, client, i, outer):
    stack = case["stack"]
    headers = {"x-client-id": str(i), "x-outer-attempt": str(outer)}
    max_tokens = case.get("max_tokens", 16)
    messages = [{"role": "user", "content": "hello"}]
    if stack == "anthropic":
        await client.messages.create(
            model="claude-local", max_tokens=max_tokens, messages=messages, extra_headers=headers
        )
    elif stack == "openai-stream":
        stream = await client.chat.completions.create(
            model="gpt-local", max_tokens=max_tokens, messages=messages, stream=True, extra_headers=headers
        )
        async for _ in stream:
            pass
    else:
        await client.chat.completions.create(
            model="gpt-local", max_tokens=max_tokens, messages=messages, extra_headers=headers
        )


async def one_client(case, client, i, origin, rows):
    start = time.monotonic()
    outcome = "succeeded"
    error = ""
    try:
        if case["stack"] == "tenacity-openai":
            from tenacity import AsyncRetrying, stop_after_attempt, wait_random_exponential

            outer = 0
            async for attempt in AsyncRetrying(
                wait=wait_random_exponential(min=1, max=60),
                stop=stop_after_attempt(case["outer_attempts"]),
                reraise=True,
            ):
                with attempt:
                    await one_call(case, client, i, outer)
                outer += 1
        else:
            await one_call(case, client, i, 0)
    except Exception as e:  # the library's last error: the request gave up
        outcome = "gave_up"
        error = type(e).__name__
    end = time.monotonic()
    rows.append({"client": i, "start": start - origin, "end": end - origin, "outcome": outcome, "error": error})


async def run(case, out_path, run_id):
    client = make_client(case, run_id)
    origin = time.monotonic()
    origin_wall = time.time()
    rows = []
    await asyncio.gather(*(one_client(case, client, i, origin, rows) for i in range(case["clients"])))
    await client.close()
    with open(out_path, "w") as f:
        json.dump({"origin": origin, "origin_wall": origin_wall, "clients": rows}, f)


async def calibrate(case):
    """Rounds of N requests at once with max_retries=0; the server holds
    every answer (a 429) for `reject_delay`, so that all are sent before
    the first comes back, and the answers then wait for the one event
    loop: the spacing of their completions is the time the client takes
    per answer."""
    client = make_client(dict(case, max_retries=0), "calibration")

    async def one(i):
        try:
            await one_call(case, client, i, 0)
        except Exception as e:
            if getattr(e, "status_code", None) != 429:
                raise
        return time.monotonic()

    # A warm-up round: connections and caches, as in the cases.
    await asyncio.gather(*(one(i) for i in range(case["clients"])))
    per_answer = []
    cpu = []
    for _ in range(case["rounds"]):
        c0 = time.process_time()
        ends = sorted(await asyncio.gather(*(one(i) for i in range(case["clients"]))))
        cpu.append((time.process_time() - c0) / case["clients"])
        per_answer.append((ends[-1] - ends[0]) / (len(ends) - 1))
    await client.close()
    print(json.dumps({"wall_s_per_answer": per_answer, "cpu_s_per_cycle": cpu}))


def main():
    case = json.loads(open(sys.argv[1]).read()) if sys.argv[1] != "-" else json.load(sys.stdin)
    if case.get("calibrate"):
        asyncio.run(calibrate(case))
    else:
        asyncio.run(run(case, sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
