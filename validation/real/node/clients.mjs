// N clients of openai-node in one Node.js event loop: the Node.js twin of
// ../clients.py, with the same arguments, output and calibration.
//
// Each client sends one request at once (Promise.all: they start together)
// through one shared OpenAI client object, as an application process
// would, and records when its call started and ended, in seconds of
// CLOCK_MONOTONIC (process.hrtime, system-wide on Linux, the clock of
// Python's time.monotonic() in the server and the harness), and how it
// ended.
//
// Usage: node clients.mjs CASE_JSON OUT_JSON RUN_ID
//        node clients.mjs CALIBRATE_JSON      (with "calibrate": true)

import { readFileSync, writeFileSync } from "node:fs";
import OpenAI from "openai";

const monotonic = () => Number(process.hrtime.bigint()) / 1e9;

function makeClient(c, runId, maxRetries) {
  return new OpenAI({
    baseURL: `${c.base_url}/v1`,
    apiKey: "local",
    maxRetries,
    timeout: (c.timeout ?? 600) * 1000,
    defaultHeaders: { "x-run-id": runId },
  });
}

function oneCall(c, client, i) {
  return client.chat.completions.create(
    { model: "gpt-local", max_tokens: c.max_tokens ?? 16, messages: [{ role: "user", content: "hello" }] },
    { headers: { "x-client-id": String(i), "x-outer-attempt": "0" } },
  );
}

async function run(c, outPath, runId) {
  const client = makeClient(c, runId, c.max_retries);
  const origin = monotonic();
  const originWall = Date.now() / 1000;
  const rows = [];
  const one = async (i) => {
    const start = monotonic();
    let outcome = "succeeded";
    let error = "";
    try {
      await oneCall(c, client, i);
    } catch (e) {
      // The library's last error: the request gave up.
      outcome = "gave_up";
      error = e?.constructor?.name ?? "Error";
    }
    rows.push({ client: i, start: start - origin, end: monotonic() - origin, outcome, error });
  };
  await Promise.all(Array.from({ length: c.clients }, (_, i) => one(i)));
  writeFileSync(outPath, JSON.stringify({ origin, origin_wall: originWall, clients: rows }));
}

// Rounds of N requests at once with no retries; the server holds every
// answer (a 429) for its `reject_delay`, so that all are sent before the
// first comes back, and the answers then wait for the one event loop: the
// spacing of their completions is the time the client takes per answer.
async function calibrate(c) {
  const client = makeClient(c, "calibration", 0);
  const one = async (i) => {
    try {
      await oneCall(c, client, i);
    } catch (e) {
      if (e?.status !== 429) throw e;
    }
    return monotonic();
  };
  const round = () => Promise.all(Array.from({ length: c.clients }, (_, i) => one(i)));
  await round(); // warm-up: connections and caches, as in the cases
  const perAnswer = [];
  const cpu = [];
  for (let r = 0; r < c.rounds; r++) {
    const u0 = process.cpuUsage();
    const ends = (await round()).sort((a, b) => a - b);
    const u = process.cpuUsage(u0);
    cpu.push((u.user + u.system) / 1e6 / c.clients);
    perAnswer.push((ends[ends.length - 1] - ends[0]) / (ends.length - 1));
  }
  console.log(JSON.stringify({ wall_s_per_answer: perAnswer, cpu_s_per_cycle: cpu }));
}

const c = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (c.calibrate) {
  await calibrate(c);
} else {
  await run(c, process.argv[3], process.argv[4]);
}
