"""Benchmark store forecasting at Rossmann scale: training plus evaluation, measured in full.

The data is Rossmann's full size: 1,115 synthetic stores x 942 days (1.05M rows, same schema);
`--quick` generates only the stores it trains. Training plus evaluation is what the training
pipeline's core does: load (generate), validate, backtest (every candidate forecasting the
rolling selection windows, the chosen one forecasting the 6-week holdout with its calibrated
interval), refit on all data, pooled and per-store metrics.

Separate child processes, each with its own peak memory:

1. full: every one of the `--stores` stores (default all 1,115) with `n_jobs: 2` worker
   processes (the default config), started fresh in this run: wall time, CPU and peak memory
   of the whole run, measured, not projected. Target on 2 cores: backtest + refit of all 1,115
   stores in 6 minutes or less;
2. serial: the per-store loop (`n_jobs: 1`) on the first `--sample` stores; its seconds per
   store times the full run's store count is the serial time the workers are compared with
   (speed-up, target >= 1.8x on 2 cores); its holdout forecasts must equal the full run's for
   the same stores (workers and batch size change nothing);
3. single candidate: the serial loop with `candidates: [prophet_multiplicative]` (the default's
   first) on the same sample: what choosing per store costs in time and buys in pooled RMSPE.

On a quiet 2-core machine the default takes about 6 minutes: 4.8 for the full run, the rest for
the serial samples and the data (measured 2026-12-08).
Plus data alone: generating the full size vs reading the same rows from CSV.

    python benchmarks/store_forecasting_bench.py [--stores 1115] [--sample 50 | --quick] [--out ...]
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
DEFAULT_SAMPLE, QUICK_STORES = 50, 3
SINGLE = "prophet_multiplicative"  # the first (default) candidate
TARGET_SPEEDUP = 1.8
TARGET_FULL_S = 6 * 60  # backtest + refit of all 1,115 stores on 2 cores


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
    data_stores: int, n_stores: int, n_jobs: int, sample: int, candidates: list[str] | None
) -> dict[str, Any]:
    """Training plus evaluation of the first n_stores stores, phase by phase; `sample_hash`:
    the holdout forecasts of the first `sample` stores."""
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
    metrics = phase("evaluate_s", lambda: evaluate.pooled_metrics(holdout, evaluated))
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
        "interval_width": metrics["interval_width"],
        # On the rolling windows: each store's choice (made on the other windows) against the
        # best candidate used for every store.
        "selection_window_rmspe": metrics["selection_window_rmspe"],
        "best_single_window_rmspe": metrics["best_single_window_rmspe"],
        "chosen_candidates": chosen,
        "sample_hash": _hash(holdout[holdout["Store"] <= sample]),
    }


def _hash(frame) -> int:
    import pandas as pd

    return int(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).sum())


def measure(data_stores: int, n_stores: int, sample: int) -> dict[str, Any]:
    script = __file__
    print(
        f"data: generate {data_stores:,} x {ROSSMANN_DAYS} and read it back from CSV ...",
        file=sys.stderr,
        flush=True,
    )
    runs = {"data": run_child(script, ["data", str(data_stores)])}
    plans = {
        "full": (n_stores, "2", []),
        "serial": (sample, "1", []),
        "single_candidate": (sample, "1", [SINGLE]),
    }
    for name, (stores, n_jobs, candidates) in plans.items():
        print(f"{name}: {stores} stores ...", file=sys.stderr, flush=True)
        args = ["train", str(data_stores), str(stores), n_jobs, str(sample), *candidates]
        runs[name] = run_child(script, args)
    full, serial, single = runs["full"], runs["serial"], runs["single_candidate"]
    serial_s = serial["seconds_per_store"] * n_stores
    speedup = serial_s / full["train_and_evaluate_s"]
    full_s = full["phases"]["backtest_s"] + full["phases"]["refit_s"]
    at_scale = n_stores == ROSSMANN_STORES
    return {
        "rossmann": {"stores": ROSSMANN_STORES, "days": ROSSMANN_DAYS},
        "stores_measured": n_stores,
        "sample_stores": sample,
        "data_stores": data_stores,
        "runs": runs,
        "checks": {
            "backtest_refit_s": full_s,
            "full_scale": at_scale,
            "full_target_s": TARGET_FULL_S,
            "full_target_met": at_scale and full_s <= TARGET_FULL_S,
            "serial_s": serial_s,
            "speedup": speedup,
            "speedup_target": TARGET_SPEEDUP,
            "speedup_met": speedup >= TARGET_SPEEDUP,
            "parallel_identical_to_serial": serial["sample_hash"] == full["sample_hash"],
            "candidates_time_ratio": serial["train_and_evaluate_s"]
            / single["train_and_evaluate_s"],
            "candidates_rmspe_gain": single["rmspe"] - serial["rmspe"],
        },
    }


def report(results: dict[str, Any]) -> None:
    runs, checks = results["runs"], results["checks"]
    n, sample = results["stores_measured"], results["sample_stores"]
    data = runs["data"]
    print(
        f"data: {data['rows']:,} rows generated in {data['generate_s']:.1f} s (reading the same "
        f"CSV: {data['read_csv_s']:.1f} s), peak {data['child_maxrss_mb']:,.0f} MB"
    )
    print(
        f"training plus evaluation, full run on {n:,} of {ROSSMANN_STORES:,} stores, the others "
        f"on the first {sample} (data: {results['data_stores']:,} stores):"
    )
    print(
        f"{'run':18s} {'stores':>6s} {'workers':>7s} {'s/store':>8s} {'train+eval':>11s} "
        f"{'CPU':>8s} {'peak RSS':>9s} {'RMSPE':>7s} {'naive':>7s}  chosen"
    )
    for name in ("full", "serial", "single_candidate"):
        run = runs[name]
        print(
            f"{name:18s} {run['stores']:>6d} {run['n_jobs']:>7d} {run['seconds_per_store']:8.2f} "
            f"{run['train_and_evaluate_s']:10.1f}s {run['child_cpu_s']:7.0f}s "
            f"{run['child_maxrss_mb']:8,.0f}M {run['rmspe']:7.4f} {run['naive_rmspe']:7.4f}  "
            + ", ".join(f"{k} {v}" for k, v in run["chosen_candidates"].items())
        )
    target = (
        f"target <= {checks['full_target_s'] / 60:.0f} min: {verdict(checks['full_target_met'])}"
        if checks["full_scale"]
        else "not all stores: no verdict on the full-scale target"
    )
    print(f"backtest + refit of {n:,} stores: {checks['backtest_refit_s'] / 60:.1f} min ({target})")
    print(
        f"2 workers vs the serial loop ({checks['serial_s'] / 60:.1f} min for {n:,} stores at its "
        f"s/store): {checks['speedup']:.2f}x (target >= {TARGET_SPEEDUP}x: "
        f"{verdict(checks['speedup_met'])}); forecasts identical to serial on the sample: "
        f"{checks['parallel_identical_to_serial']}"
    )
    print(
        f"candidates chosen per store vs {SINGLE} alone (serial, {sample} stores): "
        f"{checks['candidates_time_ratio']:.2f}x the time, pooled RMSPE "
        f"{runs['serial']['rmspe']:.4f} vs {runs['single_candidate']['rmspe']:.4f} "
        f"({'better' if checks['candidates_rmspe_gain'] > 0 else 'worse'} with candidates by "
        f"{abs(checks['candidates_rmspe_gain']):.4f})"
    )
    full = runs["full"]
    print(
        f"full run: holdout coverage {full['coverage']:.3f} (nominal 0.95, mean width "
        f"{full['interval_width']:.3f}); rolling windows: selection "
        f"{full['selection_window_rmspe']:.4f} vs best single candidate "
        f"{full['best_single_window_rmspe']:.4f}"
    )
    print(
        "peak RSS: the child process and its largest worker; CPU: the whole child (load, "
        "validate, workers, CmdStan)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=ROSSMANN_STORES, help="full run, <= 1115")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="serial runs' stores")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STORES} stores")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "forecasting.json")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "data":
            answer(lambda: child_data(int(rest[0])))
        else:
            numbers = [int(v) for v in rest[:4]]
            answer(lambda: child_train(*numbers, rest[4:] or None))
        return
    n_stores = QUICK_STORES if args.quick else args.stores
    sample = min(n_stores, QUICK_STORES if args.quick else args.sample)
    if not 1 <= n_stores <= ROSSMANN_STORES or sample < 1:
        parser.error(f"--stores must be in 1..{ROSSMANN_STORES} and --sample at least 1")
    # --quick is a smoke test: its data is the stores it trains, not Rossmann's 1,115.
    data_stores = n_stores if args.quick else ROSSMANN_STORES
    results = {"machine": machine(), "quick": args.quick} | measure(data_stores, n_stores, sample)
    report(results)
    write_report(results, args.out)


if __name__ == "__main__":
    main()
