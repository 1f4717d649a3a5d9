#!/usr/bin/env python3
"""Load a backsim report folder into pandas or polars, with the dtypes of
the CSV contract (docs/interface.md, "Report folder"), and print what it
holds.

    python examples/load_report.py reports/thundering-herd
    python examples/load_report.py reports/thundering-herd --polars
    python examples/load_report.py reports/thundering-herd --check

Reads summary.csv (a run's or a sweep's) and, when the run wrote it
(`backsim run --requests`), requests.csv. The rules, from the contract:

* summary.csv: `scenario`, `strategy`, `binding_limit` and
  `layer_attempts_per_request` are text; `replications` is a whole number;
  every other column is a number (float64), counts included, since they
  are means per replication (922.5 requests succeeded); a sweep's swept
  keys (the columns between `strategy` and `replications`) are numbers too,
  durations in seconds.
* requests.csv: `scenario`, `strategy` are text and `outcome` one of
  `succeeded`, `gave_up`, `unfinished`; `start_s`, `end_s` and
  `duration_s` are seconds (float64); every other column is a whole
  number (int64).
* An empty field means "not applicable" and is read as missing (NaN, NA
  or null), and only an empty field: a strategy named "NA" stays a name.

Only pandas or polars is needed, not both. `--check` also checks, for each
strategy, that the mean over replications of requests.csv's share of
succeeded requests is summary.csv's `success_rate` (to its 9 decimals), and
exits 1 if not: a loader that got a dtype or a missing value wrong fails it.
"""

import argparse
import csv
import sys
from pathlib import Path

SUMMARY_TEXT = {"scenario", "strategy", "binding_limit", "layer_attempts_per_request"}
SUMMARY_WHOLE = {"replications"}
REQUESTS_TEXT = {"scenario", "strategy"}
REQUESTS_SECONDS = {"start_s", "end_s", "duration_s"}
OUTCOMES = ["succeeded", "gave_up", "unfinished"]


def header(path):
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def kinds(path):
    """Each column of a report CSV file: "text", "whole", "number" or "outcome"."""
    columns = header(path)
    if path.name == "requests.csv":
        return {
            c: "text" if c in REQUESTS_TEXT
            else "outcome" if c == "outcome"
            else "number" if c in REQUESTS_SECONDS
            else "whole"
            for c in columns
        }
    return {
        c: "text" if c in SUMMARY_TEXT else "whole" if c in SUMMARY_WHOLE else "number"
        for c in columns
    }


def swept_keys(summary_columns):
    """A sweep's swept keys: the columns between `strategy` and `replications`."""
    cols = list(summary_columns)
    return cols[cols.index("strategy") + 1 : cols.index("replications")]


# pandas ---------------------------------------------------------------


def read_pandas(path):
    import pandas as pd

    dtype = {
        "text": "string",
        "whole": "int64",
        "number": "float64",
        "outcome": pd.CategoricalDtype(OUTCOMES),
    }
    return pd.read_csv(
        path,
        dtype={c: dtype[k] for c, k in kinds(path).items()},
        keep_default_na=False,
        na_values=[""],
    )


# The summary columns both readers print, after the strategy and any swept
# keys.
SHOWN = ["replications", "success_rate", "success_rate_ci95", "tts_p99_s",
         "attempts_per_request", "wasted_usd"]


def show_pandas(folder, check):
    summary = read_pandas(folder / "summary.csv")
    keys = swept_keys(summary.columns)
    cols = ["strategy", *keys, *SHOWN]
    print(f"summary.csv: {len(summary)} rows, {len(summary.columns)} columns")
    print(summary[cols].to_string(index=False))
    requests_csv = folder / "requests.csv"
    if not requests_csv.exists():
        return 0
    requests = read_pandas(requests_csv)
    print(f"\nrequests.csv: {len(requests)} rows")
    outcomes = requests.groupby(["strategy", "outcome"], observed=False).size().unstack()
    print(outcomes.to_string())
    done = requests[requests["outcome"] == "succeeded"]
    tts = done.groupby("strategy")["duration_s"].quantile([0.5, 0.99]).unstack()
    tts.columns = ["tts_p50_s (pooled)", "tts_p99_s (pooled)"]
    print(tts.to_string())
    if not check:
        return 0
    per_run = (
        requests.assign(ok=requests["outcome"] == "succeeded")
        .groupby(["strategy", "replication"])["ok"].mean()
        .groupby("strategy").mean()
    )
    return compare(dict(per_run.items()), dict(zip(summary["strategy"], summary["success_rate"])))


# polars ---------------------------------------------------------------


def read_polars(path):
    import polars as pl

    dtype = {
        "text": pl.String,
        "whole": pl.Int64,
        "number": pl.Float64,
        "outcome": pl.Enum(OUTCOMES),
    }
    # polars reads an empty field as null, in text columns too, and no
    # other value as missing unless told.
    return pl.read_csv(path, schema={c: dtype[k] for c, k in kinds(path).items()})


def show_polars(folder, check):
    import polars as pl

    summary = read_polars(folder / "summary.csv")
    keys = swept_keys(summary.columns)
    cols = ["strategy", *keys, *SHOWN]
    print(f"summary.csv: {summary.height} rows, {summary.width} columns")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(summary.select(cols))
    requests_csv = folder / "requests.csv"
    if not requests_csv.exists():
        return 0
    requests = read_polars(requests_csv)
    print(f"\nrequests.csv: {requests.height} rows")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(
            requests.group_by("strategy", "outcome", maintain_order=True)
            .len()
            .sort("strategy", "outcome")
        )
        print(
            requests.filter(pl.col("outcome") == "succeeded")
            .group_by("strategy", maintain_order=True)
            .agg(
                pl.col("duration_s").quantile(0.5, "linear").alias("tts_p50_s (pooled)"),
                pl.col("duration_s").quantile(0.99, "linear").alias("tts_p99_s (pooled)"),
            )
        )
    if not check:
        return 0
    per_run = (
        requests.group_by("strategy", "replication")
        .agg((pl.col("outcome") == "succeeded").mean().alias("ok"))
        .group_by("strategy")
        .agg(pl.col("ok").mean())
    )
    return compare(
        dict(per_run.iter_rows()),
        dict(summary.select("strategy", "success_rate").iter_rows()),
    )


def compare(from_requests, from_summary):
    """1 if a strategy's success rate from requests.csv is not summary.csv's."""
    status = 0
    for strategy, rate in from_summary.items():
        mine = from_requests.get(strategy)
        ok = mine is not None and abs(mine - rate) <= 5e-10 + 1e-12
        status |= 0 if ok else 1
        print(f"check {strategy}: success_rate {rate} from summary.csv, "
              f"{mine} from requests.csv: {'same' if ok else 'DIFFERENT'}")
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a report folder (holds summary.csv)")
    p.add_argument("--polars", action="store_true", help="use polars instead of pandas")
    p.add_argument("--check", action="store_true",
                   help="check requests.csv against summary.csv (exit 1 if they disagree)")
    args = p.parse_args()
    if not (args.folder / "summary.csv").is_file():
        p.error(f"{args.folder}: no summary.csv (not a run's or a sweep's report folder)")
    if args.check and not (args.folder / "requests.csv").is_file():
        p.error(f"{args.folder}: --check needs requests.csv (backsim run --requests)")
    show = show_polars if args.polars else show_pandas
    return show(args.folder, args.check)


if __name__ == "__main__":
    sys.exit(main())
