"""Benchmark model_factory.taxi.dbscan against scikit-learn on the book's taxi-ride shape.

Every measurement runs in its own subprocess, so peak memory (the child's ru_maxrss) and start-up
costs are per size. Reported:

- 10k and 100k: our time, scikit-learn's time and peak memory, and whether the results agree
  (same core points, noise, partition and labels); --quick skips scikit-learn at 100k
  (~35 s and ~9.5 GB);
- 1M, 10M and 25M: our time (first call in a fresh process, then warm repeats) and peak memory,
  at min_samples 10 and at the taxi detector's scaled min_samples (0.1% of the rides);
- cold start: the first call with an empty numba cache (compilation) against a cached start.

Data: the book's simulator (distance 10 * U(0, 1) km, speed N(30, 5) km/h, time = distance /
speed; 2.5% each of long distances 30 * U(0, 1), fast N(50, 10) and slow N(15, 4) rides),
speeds clipped at 1 km/h so no time is negative, then z-scored: DBSCAN(eps=0.3, min_samples=10).

    python benchmarks/dbscan_bench.py [--quick] [--out build/bench/dbscan.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_common
import numpy as np

EPS, MIN_SAMPLES = 0.3, 10
SCALED_FRACTION = 0.001  # the taxi detector's min_samples_fraction
ROOT = Path(__file__).resolve().parents[1]


def book_rides(n: int, seed: int = 0) -> np.ndarray:
    """n rides (ride_dist, ride_time) shaped like the book's simulator, z-scored in place.

    Drawn in chunks straight into the output, so generating 25M rides adds little to the peak.
    """
    rng = np.random.default_rng(seed)
    k = n // 40  # the book: 370 typical rides and 10 of each anomaly per 400
    groups = [(n - 3 * k, 10.0, 30.0, 5.0), (k, 30.0, 30.0, 5.0), (k, 10.0, 50.0, 10.0)]
    groups.append((k, 10.0, 15.0, 4.0))
    X = np.empty((n, 2))
    start = 0
    for size, max_dist, speed_mean, speed_sd in groups:
        for lo in range(start, start + size, 1 << 20):
            hi = min(lo + (1 << 20), start + size)
            dist = max_dist * rng.random(hi - lo)
            speed = np.maximum(rng.normal(speed_mean, speed_sd, hi - lo), 1.0)
            X[lo:hi, 0] = dist
            X[lo:hi, 1] = dist / speed
        start += size
    for k in range(2):
        column = X[:, k]
        column -= column.mean()
        column /= column.std()
    return X


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


CHECKS = ("core_equal", "noise_equal", "core_partition_equal", "labels_identical")


def agreed(sk: dict[str, Any]) -> bool:
    return all(sk[check] for check in CHECKS)


def agreement(X: np.ndarray, ours: Any, labels: np.ndarray, core: np.ndarray) -> dict[str, Any]:
    """Do our labels and core mask match scikit-learn's (set by set, then outright)?"""
    pairs = np.unique(np.c_[ours.labels[core], labels[core]], axis=0)
    border = ~ours.core & (ours.labels >= 0)
    return {
        "core_equal": bool(np.array_equal(ours.core, core)),
        "noise_equal": bool(np.array_equal(ours.labels == -1, labels == -1)),
        "core_partition_equal": bool(
            len(np.unique(pairs[:, 0])) == len(pairs) == len(np.unique(pairs[:, 1]))
        ),
        "labels_identical": bool(np.array_equal(ours.labels, labels)),
        "n_clusters": int(labels.max()) + 1,
        "n_noise": int((labels == -1).sum()),
        "n_border": int(border.sum()),
    }


# ----------------------------------------------------------------------------- children


def child_ours(n: int, repeats: int, min_samples: int) -> dict[str, Any]:
    """First call (cache load) and warm repeats of our dbscan on n rides; peak memory."""
    X = book_rides(n)
    t0 = time.perf_counter()
    from model_factory.taxi.dbscan import dbscan

    import_s = time.perf_counter() - t0
    rss_before = rss_mb()
    t0 = time.perf_counter()
    result = dbscan(X, EPS, min_samples)
    first_s = time.perf_counter() - t0
    warm, warm_cpu = [], []
    for _ in range(repeats):
        del result
        t0, cpu0 = time.perf_counter(), time.process_time()
        result = dbscan(X, EPS, min_samples)
        warm.append(time.perf_counter() - t0)
        warm_cpu.append(time.process_time() - cpu0)
    return {
        "n": n,
        "min_samples": min_samples,
        "import_s": import_s,
        "first_call_s": first_s,
        "warm_s": warm,
        "warm_min_s": min(warm),
        "warm_median_s": float(np.median(warm)),
        # CPU seconds of all threads: what the machine's other jobs cannot inflate.
        "warm_cpu_median_s": float(np.median(warm_cpu)),
        "rss_before_clustering_mb": rss_before,
        "n_clusters": result.n_clusters,
        "n_noise": int((result.labels == -1).sum()),
    }


def child_sklearn(n: int) -> dict[str, Any]:
    """scikit-learn's time on n rides, then ours on the same data for agreement."""
    from sklearn.cluster import DBSCAN

    X = book_rides(n)
    t0 = time.perf_counter()
    ref = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit(X)
    sklearn_s = time.perf_counter() - t0
    sklearn_peak = rss_mb("VmHWM")
    core = np.zeros(n, bool)
    core[ref.core_sample_indices_] = True

    from model_factory.taxi.dbscan import dbscan

    ours = dbscan(X, EPS, MIN_SAMPLES)
    return {"n": n, "sklearn_s": sklearn_s, "sklearn_peak_rss_mb": sklearn_peak} | agreement(
        X, ours, ref.labels_, core
    )


def child_startup() -> dict[str, Any]:
    """Import and first call on 1,000 rides: compilation with an empty cache, else cache load."""
    X = book_rides(1000)
    t0 = time.perf_counter()
    from model_factory.taxi.dbscan import dbscan

    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dbscan(X, EPS, MIN_SAMPLES)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dbscan(X, EPS, MIN_SAMPLES)
    return {
        "import_s": import_s,
        "first_call_s": first_s,
        "second_call_s": time.perf_counter() - t0,
    }


# ----------------------------------------------------------------------------- parent


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """This script as a child (its own process: its own peak memory, child_maxrss_mb)."""
    return bench_common.run_child(__file__, args, env)


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mb(mb: float | None) -> str:
    return "-" if mb is None else f"{mb:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip scikit-learn at 100k")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "dbscan.json")
    parser.add_argument("--sizes", default="1e6,1e7,2.5e7", help="large sizes (ours only)")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "ours":
            out = child_ours(int(rest[0]), int(rest[1]), int(rest[2]))
        elif kind == "sklearn":
            out = child_sklearn(int(rest[0]))
        else:
            out = child_startup()
        print(json.dumps(out))
        return

    import numba
    import sklearn

    report: dict[str, Any] = {
        "params": {"eps": EPS, "min_samples": MIN_SAMPLES, "features": ["ride_dist", "ride_time"]},
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "numba": numba.__version__,
            "sklearn": sklearn.__version__,
            "loadavg_start": os.getloadavg(),
            # Without .pyc files (uv's default install) imports recompile numba's sources.
            "python_dont_write_bytecode": sys.flags.dont_write_bytecode,
        },
    }
    rows = []
    # One private numba cache: empty for the cold start, then warm for everything after it.
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"NUMBA_CACHE_DIR": cache}
        print("cold start (empty numba cache) ...", flush=True)
        cold = run_child(["startup"], env)
        print("cached start ...", flush=True)
        cached = run_child(["startup"], env)
        for n in (10_000, 100_000):
            print(f"{n:,} rides: ours ...", flush=True)
            ours = run_child(["ours", str(n), "5", str(MIN_SAMPLES)], env)
            sk = None
            if not (args.quick and n > 10_000):
                print(f"{n:,} rides: scikit-learn ...", flush=True)
                sk = run_child(["sklearn", str(n)], env)
            rows.append({"n": n, "ours": ours, "sklearn": sk})
        for n in (int(float(s)) for s in args.sizes.split(",")):
            for min_samples in (MIN_SAMPLES, max(MIN_SAMPLES, round(SCALED_FRACTION * n))):
                print(f"{n:,} rides, min_samples {min_samples:,}: ours ...", flush=True)
                ours = run_child(["ours", str(n), "3", str(min_samples)], env)
                rows.append({"n": n, "ours": ours, "sklearn": None})
    report["startup"] = {"cold": cold, "cached": cached}
    report["sizes"] = rows
    report["machine"]["loadavg_end"] = os.getloadavg()

    print()
    print(
        f"{'rides':>11} | {'min_s':>6} | {'ours warm':>10} | {'ours CPU':>10} | {'ours 1st':>10} | "
        f"{'peak RSS':>9} | {'sklearn':>9} | {'sk peak':>9} | {'speed-up':>8} | agreement"
    )
    print("-" * 126)
    for row in rows:
        ours, sk = row["ours"], row["sklearn"]
        speedup = agree = "-"
        if sk is not None:
            speedup = f"{sk['sklearn_s'] / ours['warm_median_s']:,.0f}x"
            agree = "identical" if agreed(sk) else "DIFFERS " + str({c: sk[c] for c in CHECKS})
        print(
            f"{row['n']:>11,} | {ours['min_samples']:>6,} | {fmt_s(ours['warm_median_s']):>10} | "
            f"{fmt_s(ours['warm_cpu_median_s']):>10} | {fmt_s(ours['first_call_s']):>10} | "
            f"{fmt_mb(ours['child_maxrss_mb']):>9} | "
            f"{fmt_s(sk and sk['sklearn_s']):>9} | "
            f"{fmt_mb(sk and sk['sklearn_peak_rss_mb']):>9} | {speedup:>8} | {agree}"
        )
    print()
    print(
        f"cold start: import {fmt_s(cold['import_s'])}, first call (compile) "
        f"{fmt_s(cold['first_call_s'])}; cached start: import {fmt_s(cached['import_s'])}, "
        f"first call {fmt_s(cached['first_call_s'])}, warm call {fmt_s(cached['second_call_s'])}"
    )
    print(
        "ours warm = median of repeats after a first call in the same process (CPU: of all its "
        "threads); peak RSS = the child's ru_maxrss (data + clustering); load average start/end "
        f"{report['machine']['loadavg_start'][0]:.1f}/{report['machine']['loadavg_end'][0]:.1f}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    # The test suite compares with scikit-learn up to 20k rides; 100k is checked only here.
    differing = [row["n"] for row in rows if row["sklearn"] and not agreed(row["sklearn"])]
    if differing:
        sys.exit(f"error: labels differ from scikit-learn's at {differing} rides")


if __name__ == "__main__":
    main()
