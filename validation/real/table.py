"""Turns results/cases.csv into the README's table of "Validated against
real clients", between its two marker comments.

Usage: python table.py           print the table
       python table.py --write   write it into README.md

tests/integration/real_validation.rs renders the table from the CSV in
the same way and checks that README.md holds it.
"""

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "..", "..", "README.md")
START = "<!-- real-validation-table:start -->"
END = "<!-- real-validation-table:end -->"

LABELS = {
    "success_rate": "success rate",
    "attempts_per_request": "attempts per request",
    "tts_p50_s": "time to success p50",
    "tts_p90_s": "time to success p90",
    "rejected_429_requests": "429s of the request limit per run",
    "rejected_429_tokens": "429s of the token limit per run",
    "errors_503": "503s per run",
    "errors_529": "529s per run",
    "abandoned_billed": "billed abandoned generations per run",
}


def value(metric, text):
    if text == "":
        return "–"
    x = float(text)
    if metric == "success_rate":
        return f"{x * 100:.1f}%"
    if metric == "attempts_per_request":
        return f"{x:.2f}"
    if metric.startswith("tts_"):
        return f"{x:.2f} s"
    return f"{x:.1f}"


def interval(metric, mean, ci):
    if ci == "":
        return value(metric, mean)
    return f"{value(metric, mean)} ± {value(metric, ci)}"


def table(rows):
    out = [
        "| case | metric | real (runs) | backsim (replications) | tolerance | agree |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        m = r["metric"]
        real = f"{interval(m, r['real_mean'], r['real_ci95'])} ({r['real_runs']})"
        model = f"{interval(m, r['backsim_mean'], r['backsim_ci95'])} ({r['backsim_replications']})"
        out.append(f"| {r['case']} | {LABELS[m]} | {real} | {model} | {value(m, r['tolerance'])} | {r['agree']} |")
    return "\n".join(out) + "\n"


def main():
    with open(os.path.join(HERE, "results", "cases.csv")) as f:
        text = table(list(csv.DictReader(f)))
    if "--write" not in sys.argv:
        sys.stdout.write(text)
        return
    with open(README) as f:
        readme = f.read()
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(README, "w") as f:
        f.write(head + START + "\n" + text + END + tail)


if __name__ == "__main__":
    main()
