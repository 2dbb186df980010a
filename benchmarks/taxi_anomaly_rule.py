"""F1 on planted anomalies as a day grows from 10k to 10M rides, per anomaly rule.

For each size, in its own subprocess: the simulator's reference window and day (run date
2024-06-01, seed 42, 1% planted anomalies) of that many rides, the detector fitted on the window,
the day labelled, and precision / recall / F1 against the simulator's ground truth for

- `scaled`: the shipped rule, min_samples = max(10, round(0.001 * rides)) (DetectorConfig());
- `fixed`: min_samples = 10 at every size (min_samples_fraction: null, the
  rule of the book's chapters 1 and 9);
- `small cluster`: the fixed run's labels, calling noise and every cluster holding less than 1%
  of the day anomalies (the other scale-aware rule one might try; not shipped).

    python benchmarks/taxi_anomaly_rule.py [--sizes 1e4,1e5,1e6,1e7] [--out build/bench/...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAY, SEED = date(2024, 6, 1), 42
SMALL_CLUSTER_FRACTION = 0.01


def child(n_rides: int) -> list[dict[str, Any]]:
    """Metrics of every rule on one size."""
    import numpy as np

    from model_factory.taxi import data, evaluate, model, simulate
    from model_factory.taxi.config import DetectorConfig, SimulatorConfig

    sim = SimulatorConfig(n_rides=n_rides)
    reference = data.validate_rides(simulate.reference_rides(sim, SEED))
    rides = data.validate_rides(simulate.rides_for_day(sim, SEED, DAY))
    model.cluster(np.zeros((10, 2)), 0.3, 2)  # load the compiled kernels outside the timing
    rows = []
    for rule, params in [
        ("scaled", DetectorConfig()),
        ("fixed", DetectorConfig(min_samples_fraction=None)),
    ]:
        detector = model.fit(reference, params)
        start = time.perf_counter()
        labels = model.label(rides, detector)
        seconds = time.perf_counter() - start
        rows.append(
            {"rule": rule, "min_samples": detector.min_samples_for(n_rides), "label_s": seconds}
            | evaluate.summarise(labels)
        )
    sizes = labels["cluster"].value_counts()
    small = sizes.index[(sizes < SMALL_CLUSTER_FRACTION * n_rides) & (sizes.index >= 0)]
    flagged = labels.assign(is_anomaly=labels["is_anomaly"] | labels["cluster"].isin(small))
    rows.append(
        {"rule": "small cluster", "min_samples": rows[-1]["min_samples"], "label_s": None}
        | evaluate.summarise(flagged)
    )
    for row in rows:
        row["n_rides"] = n_rides
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6,1e7")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "taxi_rule.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return

    rows = []
    for n in (int(float(s)) for s in args.sizes.split(",")):
        print(f"{n:,} rides ...", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{n:,} rides failed: {done.stderr.strip().splitlines()[-1:]}")
        rows += json.loads(done.stdout.strip().splitlines()[-1])

    print()
    print(
        f"{'rides':>11} | {'rule':<13} | {'min_samples':>11} | {'clusters':>8} | "
        f"{'anomalies':>9} | {'planted':>8} | {'precision':>9} | {'recall':>6} | {'F1':>6} | label"
    )
    print("-" * 110)
    for r in rows:
        label_s = "-" if r["label_s"] is None else f"{r['label_s']:.2f} s"
        print(
            f"{r['n_rides']:>11,} | {r['rule']:<13} | {r['min_samples']:>11,} | "
            f"{r['n_clusters']:>8,} | {r['n_anomalies']:>9,} | {r['n_planted']:>8,} | "
            f"{r['precision']:>9.4f} | {r['recall']:>6.4f} | {r['f1']:>6.4f} | {label_s}"
        )
    print(f"\nrun date {DAY}, seed {SEED}; label = standardise + cluster, warm kernels")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
