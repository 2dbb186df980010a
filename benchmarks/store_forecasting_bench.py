"""Benchmark store forecasting at Rossmann scale: training plus evaluation.

The data is Rossmann's full size: 1,115 synthetic stores x 942 days (1.05M rows, same schema);
`--quick` generates only the stores it trains. Training plus evaluation is what the training
pipeline's core does: load (generate), validate, backtest (every candidate scored on validation,
the chosen one refitted and forecasting the 6-week holdout with intervals), refit on all data,
pooled and per-store metrics.

It runs on the first `--stores` stores (config `store_ids`; windows still from all the data), in
separate child processes, each with its own peak memory:

1. serial: one process, a per-store loop (`n_jobs: 1`);
2. parallel: `n_jobs: 2` worker processes (the default config), started fresh in this run;
   speed-up = serial / parallel wall time of training plus evaluation (target >= 1.8x on 2 cores);
   the holdout forecasts must be identical;
3. single candidate: parallel with `candidates: [prophet_additive]`, on the same stores: what
   choosing among the 4 per-store candidates costs in time and buys in pooled holdout RMSPE.

The default of 200 stores (18%) is a sample: a store takes ~1.5-2.5 s serially here, so the
three runs on all 1,115 stores would take about an hour; on 200, about 10 minutes on a quiet
2-core machine. Seconds per store are measured; the full-scale time is printed as a projection
(per-store seconds x 1,115), marked as such; `--stores 1115` measures it. The parallel run pays
for starting its workers (each imports Prophet: ~10 s here), which a small sample cannot
amortise: the speed-up at 3 or 20 stores says little.
Plus data alone: generating the full size vs reading the same rows from CSV.

    python benchmarks/store_forecasting_bench.py [--stores 100 | --quick] [--out ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import BENCH_DIR, answer, machine, run_child, verdict, write_report

ROSSMANN_STORES, ROSSMANN_DAYS = 1115, 942
DEFAULT_STORES, QUICK_STORES = 200, 3
SINGLE = "prophet_additive"
TARGET_SPEEDUP = 1.8


def child_data(data_stores: int) -> dict[str, Any]:
    """Generate the data; write and read it back as Rossmann's CSV."""
    import pandas as pd

    from model_factory.forecasting import data, synthetic
    from model_factory.forecasting.config import SyntheticConfig

    start = time.perf_counter()
    frame, _ = synthetic.generate(SyntheticConfig(n_stores=data_stores, n_days=ROSSMANN_DAYS))
    generate_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.csv"
        frame.to_csv(path, index=False)
        start = time.perf_counter()
        pd.read_csv(path, **data.CSV_OPTIONS)
        read_s = time.perf_counter() - start
    return {"rows": len(frame), "generate_s": generate_s, "read_csv_s": read_s}


def child_train(
    data_stores: int, n_stores: int, n_jobs: int, candidates: list[str] | None
) -> dict[str, Any]:
    """Training plus evaluation of the first n_stores stores, phase by phase."""
    import pandas as pd
    from joblib.externals.loky import get_reusable_executor

    from model_factory.forecasting import data, evaluate, train
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.forecasting.prophet_model import quiet_logs

    quiet_logs()
    settings: dict[str, Any] = {
        "synthetic": {"n_stores": data_stores, "n_days": ROSSMANN_DAYS},
        "store_ids": list(range(1, n_stores + 1)),
        "n_jobs": n_jobs,
    }
    if candidates:
        settings["candidates"] = candidates
    config = ForecastTrainingConfig(**settings)
    phases: dict[str, float] = {}
    start = time.perf_counter()

    def phase(name: str, work):
        begin = time.perf_counter()
        out = work()
        phases[name] = time.perf_counter() - begin
        return out

    raw, stores = phase("load_s", lambda: data.load(config))
    sales = phase("validate_s", lambda: data.validate(raw, config))
    holdout, evaluated = phase("backtest_s", lambda: train.backtest(sales, config))
    phase("refit_s", lambda: train.refit(sales, evaluated, config))
    metrics = phase("evaluate_s", lambda: evaluate.pooled_metrics(holdout))
    phase("store_metrics_s", lambda: evaluate.store_metrics(holdout, evaluated, stores))
    total = time.perf_counter() - start
    if n_jobs != 1:  # reap the workers, so their peak memory joins the child's ru_maxrss
        get_reusable_executor().shutdown(wait=True)
    modelling = phases["backtest_s"] + phases["refit_s"] + phases["evaluate_s"]
    modelling += phases["store_metrics_s"]
    chosen = holdout.drop_duplicates("Store")["candidate"].value_counts().to_dict()
    return {
        "stores": n_stores,
        "n_jobs": n_jobs,
        "candidates": config.candidates,
        "rows_loaded": len(raw),
        "rows_trained": len(sales),
        "phases": phases,
        "total_s": total,
        "train_and_evaluate_s": modelling,
        "seconds_per_store": modelling / n_stores,
        "rmspe": metrics["rmspe"],
        "naive_rmspe": metrics["naive_rmspe"],
        "coverage": metrics["coverage"],
        "chosen_candidates": chosen,
        "holdout_hash": int(pd.util.hash_pandas_object(holdout, index=False).sum()),
    }


def measure(data_stores: int, n_stores: int) -> dict[str, Any]:
    script = __file__
    print(
        f"data: generate {data_stores:,} x {ROSSMANN_DAYS} and read it back from CSV ...",
        file=sys.stderr,
        flush=True,
    )
    runs = {"data": run_child(script, ["data", str(data_stores)])}
    train = ["train", str(data_stores), str(n_stores)]
    plans = {
        "serial": [*train, "1"],
        "parallel": [*train, "2"],
        "single_candidate": [*train, "2", SINGLE],
    }
    for name, args in plans.items():
        print(f"{name}: {n_stores} stores ...", file=sys.stderr, flush=True)
        runs[name] = run_child(script, args)
    serial, parallel, single = runs["serial"], runs["parallel"], runs["single_candidate"]
    speedup = serial["train_and_evaluate_s"] / parallel["train_and_evaluate_s"]
    return {
        "rossmann": {"stores": ROSSMANN_STORES, "days": ROSSMANN_DAYS},
        "stores_measured": n_stores,
        "data_stores": data_stores,
        "runs": runs,
        "checks": {
            "speedup": speedup,
            "speedup_target": TARGET_SPEEDUP,
            "speedup_met": speedup >= TARGET_SPEEDUP,
            "parallel_identical_to_serial": serial["holdout_hash"] == parallel["holdout_hash"],
            "candidates_time_ratio": parallel["train_and_evaluate_s"]
            / single["train_and_evaluate_s"],
            "candidates_rmspe_gain": single["rmspe"] - parallel["rmspe"],
        },
        "projection": {
            "stores": ROSSMANN_STORES,
            "serial_s": serial["seconds_per_store"] * ROSSMANN_STORES,
            "parallel_s": parallel["seconds_per_store"] * ROSSMANN_STORES,
            "measured": n_stores == ROSSMANN_STORES,
        },
    }


def report(results: dict[str, Any]) -> None:
    runs, checks, n = results["runs"], results["checks"], results["stores_measured"]
    data = runs["data"]
    print(
        f"data: {data['rows']:,} rows generated in {data['generate_s']:.1f} s (reading the same "
        f"CSV: {data['read_csv_s']:.1f} s), peak {data['child_maxrss_mb']:,.0f} MB"
    )
    print(
        f"training plus evaluation of {n} of {ROSSMANN_STORES:,} stores (data: "
        f"{results['data_stores']:,} stores):"
    )
    print(
        f"{'run':18s} {'workers':>7s} {'s/store':>8s} {'train+eval':>11s} {'CPU':>8s} "
        f"{'peak RSS':>9s} {'RMSPE':>7s} {'naive':>7s}  chosen"
    )
    for name in ("serial", "parallel", "single_candidate"):
        run = runs[name]
        print(
            f"{name:18s} {run['n_jobs']:>7d} {run['seconds_per_store']:8.2f} "
            f"{run['train_and_evaluate_s']:10.1f}s {run['child_cpu_s']:7.0f}s "
            f"{run['child_maxrss_mb']:8,.0f}M {run['rmspe']:7.4f} {run['naive_rmspe']:7.4f}  "
            + ", ".join(f"{k} {v}" for k, v in run["chosen_candidates"].items())
        )
    print(
        f"parallel speed-up {checks['speedup']:.2f}x (target >= {TARGET_SPEEDUP}x: "
        f"{verdict(checks['speedup_met'])}); forecasts identical to serial: "
        f"{checks['parallel_identical_to_serial']}"
    )
    print(
        f"4 per-store candidates vs {SINGLE} alone: {checks['candidates_time_ratio']:.2f}x the "
        f"time, pooled RMSPE {runs['parallel']['rmspe']:.4f} vs "
        f"{runs['single_candidate']['rmspe']:.4f} "
        f"({'better' if checks['candidates_rmspe_gain'] > 0 else 'worse'} with candidates by "
        f"{abs(checks['candidates_rmspe_gain']):.4f})"
    )
    projection = results["projection"]
    kind = "measured" if projection["measured"] else f"projected from {n} stores"
    print(
        f"all {ROSSMANN_STORES:,} stores ({kind}): serial {projection['serial_s'] / 60:.0f} min, "
        f"2 workers {projection['parallel_s'] / 60:.0f} min"
    )
    print(
        "peak RSS: the child process and its largest worker; CPU: the whole child (load, "
        "validate, workers, CmdStan)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=DEFAULT_STORES, help="at most 1115")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STORES} stores")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "store_forecasting.json")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "data":
            answer(lambda: child_data(int(rest[0])))
        else:
            answer(lambda: child_train(int(rest[0]), int(rest[1]), int(rest[2]), rest[3:] or None))
        return
    n_stores = QUICK_STORES if args.quick else args.stores
    if not 1 <= n_stores <= ROSSMANN_STORES:
        parser.error(f"--stores must be in 1..{ROSSMANN_STORES}")
    # --quick is a smoke test: its data is the stores it trains, not Rossmann's 1,115.
    data_stores = n_stores if args.quick else ROSSMANN_STORES
    results = {"machine": machine(), "quick": args.quick} | measure(data_stores, n_stores)
    report(results)
    write_report(results, args.out)


if __name__ == "__main__":
    main()
