"""End-to-end `model-factory detect taxi` at city scale, and where the time goes.

1. Times the command as a user runs it (`--rides N`, a fresh ZenML store and outputs folder in
   a temporary directory, so nothing of yours is touched), then reads each step's duration
   from the ZenML run. The run has no production detector, so it also fits one (simulating a
   reference window and an evaluation set of N rides each and scoring the latter).
2. Times the same core calls directly, in one process, without ZenML: simulate + validate
   ("read"), fit, cluster, plot, and the database write, so the difference to the step
   durations is ZenML's share (artifact storage of the DataFrames, bookkeeping).

    python benchmarks/taxi_detect_e2e.py [--rides 1000000] [--db URL]

Without --db, a SQLite file in the temporary directory; pass a PostgreSQL URL to time COPY.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench_common import ROOT, isolated_env

RUN_DATE = "2024-06-01"


def step_durations() -> tuple[float, dict[str, float]]:
    """The latest run's duration and its steps' durations (this process's ZenML store)."""
    from zenml.client import Client

    run = Client().list_pipeline_runs(sort_by="desc:created", size=1).items[0]
    steps = {name: (s.end_time - s.start_time).total_seconds() for name, s in run.steps.items()}
    return (run.end_time - run.start_time).total_seconds(), steps


def timed(label: str, times: dict[str, float], fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    times[label] = time.perf_counter() - start
    return out


def core_times(n_rides: int, db_url: str) -> dict[str, float]:
    """The pipeline's core calls at this size, without ZenML."""
    from model_factory import plots, sql
    from model_factory.taxi import data, evaluate, model, simulate, sink
    from model_factory.taxi.config import DetectorConfig, SimulatorConfig

    model.cluster(__import__("numpy").zeros((10, 2)), 0.3, 2)  # compiled kernels from the cache
    sim, day, t = SimulatorConfig(n_rides=n_rides), date.fromisoformat(RUN_DATE), {}
    rides = timed("read: simulate day", t, simulate.rides_for_day, sim, 42, day)
    rides = timed("read: validate day", t, data.validate_rides, rides)
    reference = timed("fit: simulate reference", t, simulate.reference_rides, sim, 42)
    reference = timed("fit: validate reference", t, data.validate_rides, reference)
    detector = timed("fit: scaler", t, model.fit, reference, DetectorConfig())
    evaluation = timed("fit: simulate evaluation", t, simulate.evaluation_rides, sim, 42)
    timed("fit: score evaluation (cluster)", t, evaluate.score, detector, evaluation)
    X = timed("label: standardise", t, detector.standardise, rides)
    timed("label: cluster", t, model.cluster, X, detector.eps, detector.min_samples_for(len(X)))
    labels = model.label(rides, detector)
    figure = timed("label: plot figure", t, evaluate.anomaly_figure, labels, RUN_DATE)
    timed("label: plot save", t, plots.save, figure, evaluate.plot_path(RUN_DATE))
    engine = sql.engine_for(db_url)
    now = datetime.now(UTC)
    timed("write: replace day (rows exist)", t, sink.replace_day, engine, labels, day, now)
    timed("write: summarise", t, evaluate.summarise, labels)
    engine.dispose()
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rides", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="taxi-e2e-") as tmp:
        scratch = Path(tmp)
        env = isolated_env(scratch)
        db = args.db or f"sqlite:///{scratch / 'staging.db'}"
        command = [
            sys.executable,
            "-m",
            "model_factory",
            "detect",
            "taxi",
            "--run-date",
            RUN_DATE,
            "--rides",
            str(args.rides),
            "--db",
            db,
        ]
        print(f"$ model-factory {' '.join(command[3:-1])} <db> ({args.rides:,} rides)", flush=True)
        # A user's ZenML store exists already: create and migrate this one before timing.
        zenml = str(Path(sys.executable).parent / "zenml")
        subprocess.run([zenml, "status"], env=env, cwd=ROOT, check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"detect failed ({done.returncode}): {done.stderr[-2000:]}")
        os.environ.update(env)  # read the run from the same ZenML store
        run_s, steps = step_durations()
        print(f"\nend to end (command wall time): {wall:6.1f} s")
        print(
            f"  before the pipeline (CLI: imports, config, pre-validation, DB check, ZenML "
            f"start): {wall - run_s:6.1f} s"
        )
        print(f"  pipeline run: {run_s:6.1f} s, of which steps:")
        for name, seconds in steps.items():
            print(f"    {name:<14} {seconds:6.1f} s")
        print(f"    (between steps: {run_s - sum(steps.values()):.1f} s)")

        print("\nthe same core calls without ZenML, one process:")
        for label, seconds in core_times(args.rides, db).items():
            print(f"  {label:<34} {seconds:6.2f} s")
        print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
