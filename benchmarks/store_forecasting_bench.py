"""Benchmark the store forecasting core (issue 5): data generation and per-store training.

Reported, each against a baseline measured in the same run:

- generating Rossmann's full size (1,115 stores x 942 days) vs reading the same rows from CSV
  (what loading the real `train.csv` costs);
- one store's backtest (every candidate on validation, chosen one refitted, holdout forecast with
  intervals) vs one plain Prophet fit on the same store (DESIGN: ~0.15 s);
- the backtest of N stores with 2 worker processes vs 1 (speed-up; results must be identical),
  first with fresh workers (each imports Prophet), then with the warm pool joblib reuses.

Wall times depend on what else the machine runs: CPU times (this process and its finished
children, i.e. the CmdStan optimiser runs) are printed beside them for the in-process parts.

    python benchmarks/store_forecasting_bench.py [--stores 20] [--out build/bench/forecast.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from model_factory.forecasting import data, synthetic, train
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig
from model_factory.forecasting.prophet_model import Prophet, quiet_logs


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(work):
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def generation() -> dict:
    full = SyntheticConfig(n_stores=1115, n_days=942)
    (frame, _), wall, cpu = timed(lambda: synthetic.generate(full))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.csv"
        frame.to_csv(path, index=False)
        _, read_wall, _ = timed(lambda: pd.read_csv(path, **data.CSV_OPTIONS))
    return {"rows": len(frame), "generate_s": wall, "generate_cpu_s": cpu,
            "read_csv_s": read_wall, "generate_vs_read_csv": wall / read_wall}  # fmt: skip


def plain_prophet_fit(store: pd.DataFrame) -> float:
    fitted = store[(store["Open"] == 1) & (store["Sales"] > 0)]
    frame = pd.DataFrame({"ds": fitted["Date"], "y": fitted["Sales"]})
    Prophet().fit(frame)  # warm-up
    return min(timed(lambda: Prophet().fit(frame))[1] for _ in range(3))


def training(n_stores: int) -> dict:
    config = ForecastTrainingConfig(synthetic={"n_stores": n_stores})
    sales = data.validate(data.load(config)[0], config)
    store = sales[sales["Store"] == 1]
    window = data.windows(sales, config)
    one_store = min(
        timed(lambda: train._backtest_store(store, config, window))[1] for _ in range(2)
    )
    plain = plain_prophet_fit(store)
    serial, serial_s, serial_cpu = timed(
        lambda: train.backtest(sales, config.model_copy(update={"n_jobs": 1}))
    )
    parallel, parallel_s, _ = timed(lambda: train.backtest(sales, config))
    _, warm_s, _ = timed(lambda: train.backtest(sales, config))
    pd.testing.assert_frame_equal(serial[0], parallel[0])
    return {
        "stores": n_stores,
        "plain_prophet_fit_s": plain,
        "one_store_backtest_s": one_store,
        "store_backtest_vs_plain_fit": one_store / plain,
        "backtest_1_worker_s": serial_s,
        "backtest_1_worker_cpu_s": serial_cpu,
        "backtest_2_fresh_workers_s": parallel_s,
        "backtest_2_warm_workers_s": warm_s,
        "speedup_2_fresh_workers": serial_s / parallel_s,
        "speedup_2_warm_workers": serial_s / warm_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    quiet_logs()
    logging.getLogger("prophet").setLevel(logging.ERROR)
    results = {"generation": generation(), "training": training(args.stores)}
    for section, values in results.items():
        print(section)
        for key, value in values.items():
            print(
                f"  {key:32s} {value:.3f}" if isinstance(value, float) else f"  {key:32s} {value}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
