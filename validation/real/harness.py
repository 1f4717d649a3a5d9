"""Runs every case against the real client libraries and the real
limiters on this machine (loopback only), then backsim on the scenario
that models it, and writes the comparison.

Usage: python harness.py BACKSIM_BINARY [CASE_NAME ...]

Writes results/cases.csv (one row per case and metric: the real mean and
95% half-width over the repeated runs, backsim's over its replications,
the tolerance and whether they agree), results/runs.csv (the real runs'
raw figures), results/calibration.csv (the client-processing
measurement) and results/environment.csv (versions and machine load).
"""

import csv
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from cases import CASES, TIME_TOLERANCE

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
NODE = shutil.which("node") or "node"
RESULTS = os.path.join(HERE, "results")
BATCHES = 10
CALIBRATION_ROUNDS = 3
CALIBRATION_HOLD_S = 2.0
BATCH_REPLICATIONS = 20

# Two-sided 95% Student t quantiles by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def t95(df):
    if df in T95:
        return T95[df]
    return 1.96 + 2.5 / df  # within 0.5% of the quantile for df >= 10


def mean_ci(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, None
    return m, t95(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))


def quantile(sorted_xs, p):
    """Nearest rank: the ceil(p n)-th smallest."""
    if not sorted_xs:
        return None
    k = max(1, math.ceil(p * len(sorted_xs)))
    return sorted_xs[k - 1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as r:
        return json.loads(r.read())


def wait_port(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit(f"{what} exited at start (code {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not listen on port {port}")


class Nginx:
    """nginx in the foreground on loopback, with its files in a temp dir."""

    def __init__(self, spec, backend_port):
        self.dir = tempfile.mkdtemp(prefix="backsim-nginx-")
        self.port = free_port()
        self.log = os.path.join(self.dir, "access.log")
        nodelay = " nodelay" if spec["nodelay"] else ""
        conf = f"""
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format arrivals '$msec $request_time $status $http_x_client_id $http_x_stainless_retry_count $http_x_run_id';
    access_log {self.log} arrivals;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    limit_req_zone $http_x_run_id zone=api:1m rate={spec['rate']}r/s;
    upstream backend {{ server 127.0.0.1:{backend_port}; keepalive 256; }}
    server {{
        listen 127.0.0.1:{self.port} backlog=1024;
        location / {{
            limit_req zone=api burst={spec['burst']}{nodelay};
            limit_req_status {spec['status']};
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([exe, "-p", self.dir, "-c", path], stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc, "nginx")

    def arrivals(self, run_id):
        """Every request of the run: (start in wall-clock seconds, status,
        client, retry count)."""
        rows = []
        with open(self.log) as f:
            for line in f:
                msec, rt, status, client, attempt, rid = line.split()
                if rid == run_id:
                    rows.append((float(msec) - float(rt), int(status), client, attempt))
        return rows

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def client_command(case):
    """The program that runs the case's clients: Node.js for openai-node
    (node/clients.mjs), Python for the other stacks (clients.py)."""
    if case["stack"] == "openai-node":
        return [NODE, os.path.join(HERE, "node", "clients.mjs")]
    return [PY, os.path.join(HERE, "clients.py")]


def run_clients(case, base_url, run_id, tmp):
    spec = dict(case, base_url=base_url)
    spec.pop("strategy")
    cpath = os.path.join(tmp, "case.json")
    opath = os.path.join(tmp, "out.json")
    with open(cpath, "w") as f:
        json.dump(spec, f)
    subprocess.run(client_command(case) + [cpath, opath, run_id], check=True)
    with open(opath) as f:
        return json.load(f)


def real_run(case, k, server_port, nginx, tmp):
    """One real run: the figures of docs/interface.md's summary, from the
    clients' own records and the server's (or nginx's) log."""
    srv = dict(case["server"], seed=1000 + k)
    http(f"http://127.0.0.1:{server_port}/_reset", srv)
    run_id = f"{case['name']}-{k}-{time.time_ns()}"
    port = nginx.port if nginx else server_port
    out = run_clients(case, f"http://127.0.0.1:{port}", run_id, tmp)
    origin = out["origin"]
    # Wait for generations still running on the server (streaming case).
    for _ in range(100):
        log = http(f"http://127.0.0.1:{server_port}/_log")
        if log["pending"] == 0:
            break
        time.sleep(0.1)
    n = case["clients"]
    first = {}
    counts = {"429_requests": 0, "429_tokens": 0, "503": 0, "529": 0}
    if nginx:
        # nginx logs wall-clock times; the clients' record ties the clocks.
        shift = out["origin_wall"] - origin
        arrivals = nginx.arrivals(run_id)
        for t, status, client, _ in arrivals:
            t -= shift
            first[client] = min(first.get(client, t), t)
            if status == 429:
                counts["429_requests"] += 1
            elif status in (503, 529):
                counts[str(status)] += 1
        attempts = len(arrivals)
    else:
        for e in log["log"]:
            first[e["client"]] = min(first.get(e["client"], e["t"]), e["t"])
            if e.get("outcome") in counts:
                counts[e["outcome"]] += 1
        attempts = len(log["log"])
    offsets = sorted(first[c] - origin for c in first)
    tts = sorted(r["end"] + origin - first[str(r["client"])] for r in out["clients"] if r["outcome"] == "succeeded")
    return {
        "case": case["name"],
        "run": k,
        "clients": n,
        "success_rate": len(tts) / n,
        "attempts_per_request": attempts / n,
        "tts_p50_s": quantile(tts, 0.5),
        "tts_p90_s": quantile(tts, 0.9),
        "rejected_429_requests": counts["429_requests"],
        "rejected_429_tokens": counts["429_tokens"],
        "errors_503": counts["503"],
        "errors_529": counts["529"],
        "abandoned_billed": log["abandoned"],
        "offsets": offsets,
    }


def scenario(case, trace_path, processing):
    srv = case["server"]
    lines = [
        f'name = "real-{case["name"]}"',
        "seed = 1",
        "replications = 1",
        'horizon = "10m"',
        "",
        "[workload]",
        'kind = "trace"',
        f'clients = {case["clients"]}',
        f'file = "{os.path.basename(trace_path)}"',
    ]
    if case.get("max_tokens"):
        lines += ["", "[workload.tokens]", f'max_tokens = {case["max_tokens"]}']
    lim = []
    if case.get("nginx"):
        ng = case["nginx"]
        lim += [
            f"requests_per_minute = {ng['rate'] * 60}",
            f"request_burst = {ng['burst']}",
            'algorithm = "leaky_queue"',
            f"nodelay = {'true' if ng['nodelay'] else 'false'}",
            f"limit_req_status = {ng['status']}",
            'retry_after = "none"',
        ]
    else:
        for key in ("requests_per_minute", "request_burst", "tokens_per_minute", "token_burst"):
            if key in srv:
                lim.append(f"{key} = {srv[key]}")
        if lim:
            ra = {"none": "none", "ms": "ms", "seconds": "seconds"}[srv.get("retry_after", "none")]
            lim.append(f'retry_after = "{ra}"')
    if lim:
        lines += ["", "[limiter]"] + lim
    lines += ["", "[server]"]
    if "ttft" in srv:
        t = srv["ttft"]
        lines.append(f'ttft = {{ dist = "lognormal", median = "{t["median"]}s", sigma = {t["sigma"]} }}')
        lines.append(f"decode_tokens_per_s = {srv['decode_tokens_per_s']}")
    else:
        lines.append(f'latency = "{srv.get("latency", 0)}s"')
    if srv.get("errors"):
        errs = ", ".join(f'"{k}" = {v}' for k, v in srv["errors"].items())
        lines.append(f"errors = {{ {errs} }}")
    lines += ["", "[client]", f'timeout = "{case.get("timeout", 600)}s"']
    if processing:
        lines.append(f'processing_time = "{processing}"')
    lines += ["", "[[strategy]]", 'name = "model"'] + case["strategy"]
    return "\n".join(lines) + "\n"


def backsim_runs(case, backsim, offsets, processing, tmp):
    """backsim on the case's scenario, in BATCHES invocations of
    BATCH_REPLICATIONS replications (seeds 1..BATCHES). The per-request
    figures come from requests.csv, one value per replication; the counts
    (429s, 503s, 529s, billed abandoned generations) from summary.csv,
    one per-replication mean per invocation, so their interval is that of
    the batch means."""
    srv = case["server"]
    trace = os.path.join(tmp, "trace.csv")
    with open(trace, "w") as f:
        f.write("t_s,input_tokens,output_tokens\n")
        for t in offsets:
            f.write(f"{max(t, 0):.9f},{srv.get('input_tokens', 0)},{srv.get('output_tokens', 1)}\n")
    path = os.path.join(tmp, "scenario.toml")
    with open(path, "w") as f:
        f.write(scenario(case, trace, processing))
    if processing:
        keep(case, trace, path)
    reps = []
    batches = []
    io = srv.get("input_tokens", 0) + srv.get("output_tokens", 1)
    for seed in range(1, BATCHES + 1):
        out = os.path.join(tmp, "reports")
        subprocess.run(
            [backsim, "run", path, "-o", out, "--seed", str(seed), "--replications", str(BATCH_REPLICATIONS),
             "--requests", "--no-charts", "--quiet", "--force"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        folder = os.path.join(out, f"real-{case['name']}")
        with open(os.path.join(folder, "summary.csv")) as f:
            s = next(csv.DictReader(f))
        batches.append({
            "rejected_429_requests": float(s["rejected_429_requests"] or 0),
            "rejected_429_tokens": float(s["rejected_429_tokens"] or 0),
            "errors_503": float(s["errors_503"]),
            "errors_529": float(s["errors_529"]),
            "abandoned_billed": float(s["wasted_tokens"]) / io,
        })
        by_rep = {}
        with open(os.path.join(folder, "requests.csv")) as f:
            for r in csv.DictReader(f):
                by_rep.setdefault(r["replication"], []).append(r)
        for req in by_rep.values():
            tts = sorted(float(r["duration_s"]) for r in req if r["outcome"] == "succeeded")
            reps.append({
                "success_rate": len(tts) / len(req),
                "attempts_per_request": sum(int(r["attempts"]) for r in req) / len(req),
                "tts_p50_s": quantile(tts, 0.5),
                "tts_p90_s": quantile(tts, 0.9),
            })
    return reps, batches


def keep(case, trace, path):
    """Keeps the case's scenario and trace in results/scenarios/, so that
    backsim's side of the table can be run again without the real one:
    `backsim run results/scenarios/CASE.toml` (200 replications of one
    seed, where the table's are 10 batches of 20)."""
    folder = os.path.join(RESULTS, "scenarios")
    os.makedirs(folder, exist_ok=True)
    name = case["name"]
    shutil.copyfile(trace, os.path.join(folder, f"{name}.csv"))
    with open(path) as f:
        text = f.read().replace('file = "trace.csv"', f'file = "{name}.csv"')
        text = text.replace("replications = 1\n", f"replications = {BATCHES * BATCH_REPLICATIONS}\n")
    with open(os.path.join(folder, f"{name}.toml"), "w") as f:
        f.write(text)


METRICS = [
    "success_rate",
    "attempts_per_request",
    "tts_p50_s",
    "tts_p90_s",
    "rejected_429_requests",
    "rejected_429_tokens",
    "errors_503",
    "errors_529",
    "abandoned_billed",
]


def relevant(case, metric, real_runs):
    """A count is shown where the case can produce it."""
    srv = case["server"]
    ng = case.get("nginx")
    if metric == "rejected_429_requests":
        return "requests_per_minute" in srv or (ng and ng["status"] == 429)
    if metric == "rejected_429_tokens":
        return "tokens_per_minute" in srv
    if metric == "errors_503":
        return bool(ng and ng["status"] == 503)
    if metric == "errors_529":
        return "529" in srv.get("errors", {})
    if metric == "abandoned_billed":
        return "timeout" in case
    return True


def compare(case, metric, real, model):
    """Agree when the two means differ by at most the sum of the two 95%
    half-widths and the tolerance. The tolerance, fixed before any run:
    times 5% + 20 ms (TIME_TOLERANCE); shares and per-request figures one
    request's worth, 1/N, and counts per run 1: the resolution of one run,
    below which repeated runs that all came out alike (a half-width of 0)
    cannot tell; the event-loop case's success rate 10% of the real one."""
    rm, rh = real
    bm, bh = model
    if rm is None or bm is None:
        return "", ""
    if metric.startswith("tts_"):
        tol = TIME_TOLERANCE[0] * rm + TIME_TOLERANCE[1]
    elif metric == "success_rate" and case.get("success_tolerance"):
        tol = case["success_tolerance"] * rm
    elif metric in ("success_rate", "attempts_per_request"):
        tol = 1.0 / case["clients"]
    else:
        tol = 1.0
    # 1e-9: the CSV's figures are rounded; equal figures agree.
    agree = abs(rm - bm) <= (rh or 0) + (bh or 0) + tol + 1e-9
    return tol, "yes" if agree else "no"


def calibrate(server_port, tmp, case):
    """The client's time per answer, measured apart from the case just
    before it: rounds of as many requests of the case's client library as
    the case has clients, at once, with max_retries=0, each refused with a
    429 held CALIBRATION_HOLD_S so that all are sent first; the spacing of
    the answers' completions in the one event loop (clients.py). Wall
    time, not CPU time: on a shared machine what spreads a wave of answers
    is the CPU time stretched by whatever else runs."""
    http(f"http://127.0.0.1:{server_port}/_reset",
         {"seed": 0, "requests_per_minute": 60, "request_burst": 0, "reject_delay": CALIBRATION_HOLD_S})
    stack = case["stack"] if case["stack"] in ("anthropic", "openai-node") else "openai"
    spec = {"calibrate": True, "stack": stack, "base_url": f"http://127.0.0.1:{server_port}",
            "clients": case["clients"], "rounds": CALIBRATION_ROUNDS}
    path = os.path.join(tmp, "calibrate.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    out = subprocess.run(client_command(spec) + [path], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def fmt(x):
    if x is None or x == "":
        return ""
    return f"{x:.6g}"


def main():
    backsim = os.path.abspath(sys.argv[1])
    only = set(sys.argv[2:])
    cases = [c for c in CASES if not only or c["name"] in only]
    os.makedirs(RESULTS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="backsim-real-")
    server_port = free_port()
    server = subprocess.Popen([PY, os.path.join(HERE, "server.py"), str(server_port)])
    started = time.time()
    load_start = os.getloadavg()
    try:
        wait_port(server_port, server, "the limiter server")
        calibration = []
        rows = []
        raw = []
        for case in cases:
            cal = calibrate(server_port, tmp, case)
            wall = statistics.median(cal["wall_s_per_answer"])
            processing = f"{round(wall * 1e6)}us"
            for i, (w, c) in enumerate(zip(cal["wall_s_per_answer"], cal["cpu_s_per_cycle"])):
                calibration.append({"case": case["name"], "round": i, "wall_s_per_answer": fmt(w), "cpu_s_per_request": fmt(c)})
            print(f"{case['name']}: client processing time {wall * 1e3:.2f} ms per answer (CPU per request, send and answer: {statistics.median(cal['cpu_s_per_cycle']) * 1e3:.2f} ms)", flush=True)
            t0 = time.time()
            nginx = Nginx(case["nginx"], server_port) if case.get("nginx") else None
            try:
                runs = [real_run(case, k, server_port, nginx, tmp) for k in range(case["runs"])]
            finally:
                if nginx:
                    nginx.stop()
            t_real = time.time() - t0
            n = case["clients"]
            offsets = [statistics.fmean(r["offsets"][i] for r in runs) for i in range(n)]
            variants = [("model", processing)]
            if case.get("also_without_processing"):
                variants.append(("model without client processing", None))
            for label, proc in variants:
                reps, batches = backsim_runs(case, backsim, offsets, proc, tmp)
                for metric in METRICS:
                    if not relevant(case, metric, runs):
                        continue
                    real = mean_ci([r[metric] for r in runs])
                    sample = reps if metric in reps[0] else batches
                    model = mean_ci([r[metric] for r in sample])
                    tol, agree = compare(case, metric, real, model)
                    if label != "model":
                        if metric != "success_rate":
                            continue
                        agree = "(reference)"
                    rows.append({
                        "case": case["name"] if label == "model" else f"{case['name']} ({label})",
                        "metric": metric,
                        "real_mean": fmt(real[0]),
                        "real_ci95": fmt(real[1]),
                        "real_runs": len(runs),
                        "backsim_mean": fmt(model[0]),
                        "backsim_ci95": fmt(model[1]),
                        "backsim_replications": BATCHES * BATCH_REPLICATIONS,
                        "tolerance": fmt(tol),
                        "agree": agree,
                    })
            for r in runs:
                raw.append({k: (fmt(v) if isinstance(v, float) else v) for k, v in r.items() if k != "offsets"})
            print(f"{case['name']}: {case['runs']} real runs in {t_real:.1f} s", flush=True)
            for row in rows:
                if row["case"].startswith(case["name"]):
                    print(f"  {row['metric']:24} real {row['real_mean']:>10} ± {row['real_ci95']:<10} backsim {row['backsim_mean']:>10} ± {row['backsim_ci95']:<10} {row['agree']}")
        write_csv(os.path.join(RESULTS, "cases.csv"), rows, only)
        write_csv(os.path.join(RESULTS, "runs.csv"), raw, only)
        write_csv(os.path.join(RESULTS, "calibration.csv"), calibration, only)
        total = time.time() - started
        load_end = os.getloadavg()
        env = {
            "python": sys.version.split()[0],
            "nginx": nginx_version(),
            "node": node_version(),
            "openai-node": node_package_version("openai"),
            "backsim": subprocess.run([backsim, "--version"], capture_output=True, text=True).stdout.strip(),
            "cpus": os.cpu_count(),
            "load_1min_start": f"{load_start[0]:.2f}",
            "load_1min_end": f"{load_end[0]:.2f}",
            "total_s": f"{total:.0f}",
        }
        if only:
            # environment.csv describes the last run of every case; the
            # rows of a few cases run again are not worth losing it.
            print("environment.csv kept from the last run of every case; this one's:", env)
        else:
            with open(os.path.join(RESULTS, "environment.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["key", "value"])
                for k, v in env.items():
                    w.writerow([k, v])
        print(f"total {total:.0f} s; load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def write_csv(path, rows, only):
    """Write rows; when only some cases ran, keep the other cases' rows."""
    if not rows:
        return
    keep = []
    if only and os.path.exists(path):
        with open(path) as f:
            keep = [r for r in csv.DictReader(f) if r["case"].split(" ")[0] not in only]
    names = {c["name"]: i for i, c in enumerate(CASES)}
    allrows = keep + rows
    allrows.sort(key=lambda r: names.get(r["case"].split(" ")[0], 999))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(allrows)


def node_version():
    try:
        out = subprocess.run([NODE, "--version"], capture_output=True, text=True)
        return out.stdout.strip().lstrip("v")
    except OSError:
        return ""


def node_package_version(name):
    """The version of `name` that node/package-lock.json pins."""
    try:
        with open(os.path.join(HERE, "node", "package-lock.json")) as f:
            return json.load(f)["packages"][f"node_modules/{name}"]["version"]
    except (OSError, KeyError, ValueError):
        return ""


def nginx_version():
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    try:
        out = subprocess.run([exe, "-v"], capture_output=True, text=True)
        return out.stderr.strip().split("/")[-1]
    except OSError:
        return ""


if __name__ == "__main__":
    main()
