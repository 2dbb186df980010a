"""Benchmark what ZenML costs around our code: per-step overhead and `make demo`.

1. Per-step overhead on the local stack (local orchestrator, SQLite store, local artifact store,
   a throwaway store per child): a pipeline of N trivial steps (`x + 1`, an int in and out),
   like ours with caching off and a `Model`, and the same without a `Model`, vs the same
   functions called directly. After a warm-up run (imports; the first child also creates the
   store), runs of 1 and of N steps are timed, interleaved (median of repeats). Overhead per
   step = what one more step adds, (N-step run - 1-step run) / (N - 1), target <= 0.3 s; a
   run's fixed cost (start, model version, run records) and the average over N steps, (N-step
   run - direct calls) / N, are printed beside it.
2. `model-factory demo` as `make demo` runs it on a fresh store: total wall time and each
   pipeline's share, from the per-pipeline wall times the demo writes to demo_summary.json.
   --quick skips it (about 2-3 minutes).

    python benchmarks/pipeline_overhead_bench.py [--steps 10] [--repeats 5] [--quick] [--out ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_common import (
    BENCH_DIR,
    ROOT,
    answer,
    isolated_env,
    machine,
    run_child,
    scratch_dir,
    verdict,
    write_report,
)

TARGET_PER_STEP_S = 0.3
QUICK_STEPS, QUICK_REPEATS = 3, 1


def add_one(x: int) -> int:
    return x + 1


def timed(work) -> tuple[float, float]:
    """(wall, CPU) seconds of work()."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def child_overhead(n_steps: int, repeats: int, with_model: bool) -> dict[str, Any]:
    """Warm-up run, then timed runs of 1 and n_steps trivial steps; direct calls for reference."""
    from zenml import Model, pipeline, step
    from zenml.utils import source_utils

    source_utils.set_custom_source_root(str(ROOT))  # as `zenml init` at the project root
    trivial = step(add_one)
    model = Model(name="bench_overhead") if with_model else None

    def chain(n: int):
        @pipeline(name=f"bench_overhead_{n}", enable_cache=False, model=model)
        def steps_in_a_row() -> None:
            x = 0
            for _ in range(n):
                x = trivial(x)

        return steps_in_a_row

    one, many = chain(1), chain(n_steps)
    first_s = timed(one)[0]  # creates the store, imports the orchestrator and materializers
    # Interleaved, so a burst of load from other jobs hits both sizes alike.
    runs = [(timed(one), timed(many)) for _ in range(repeats)]
    one_s, one_cpu = (statistics.median(r[0][k] for r in runs) for k in (0, 1))
    many_s, many_cpu = (statistics.median(r[1][k] for r in runs) for k in (0, 1))

    def direct() -> None:
        x = 0
        for _ in range(n_steps):
            x = add_one(x)

    direct_s = statistics.median(timed(direct)[0] for _ in range(repeats))
    return {
        "with_model": with_model,
        "steps": n_steps,
        "repeats": repeats,
        "first_run_1_step_s": first_s,
        "run_1_step_s": one_s,
        "run_n_steps_s": many_s,
        "direct_n_calls_s": direct_s,
        "per_step_s": (many_s - direct_s) / n_steps,
        "marginal_step_s": (many_s - one_s) / (n_steps - 1),
        # CPU of the process (all threads): what other jobs on the machine cannot inflate
        "marginal_step_cpu_s": (many_cpu - one_cpu) / (n_steps - 1),
        "fixed_per_run_s": one_s - (many_s - one_s) / (n_steps - 1),
    }


def demo() -> dict[str, Any]:
    """`model-factory demo` on a fresh store and outputs folder, as `make demo` runs it."""
    scratch = scratch_dir("demo-bench-")
    env = isolated_env(scratch)
    zenml = str(Path(sys.executable).with_name("zenml"))
    subprocess.run([zenml, "status"], env=env, cwd=ROOT, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "model_factory", "demo"], env=env, cwd=ROOT, check=True)
    total = time.perf_counter() - start
    summary = json.loads((scratch / "outputs" / "demo_summary.json").read_text())
    pipelines = summary["wall_s"]
    return {
        "total_s": total,
        "pipelines_s": pipelines,
        "outside_pipelines_s": total - sum(pipelines.values()),
        "share": {name: seconds / total for name, seconds in pipelines.items()},
    }


def measure(n_steps: int, repeats: int, with_demo: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    env = isolated_env(scratch_dir("overhead-bench-"))  # one store: only the first run creates it
    for variant, with_model in (("with_model", True), ("without_model", False)):
        print(f"{n_steps} trivial steps, {variant} ...", file=sys.stderr, flush=True)
        args = ["overhead", str(n_steps), str(repeats), str(int(with_model))]
        results[variant] = run_child(__file__, args, env)
    per_step = results["with_model"]["marginal_step_s"]
    results["checks"] = {
        "per_step_s": per_step,
        "per_step_target_s": TARGET_PER_STEP_S,
        "per_step_met": per_step <= TARGET_PER_STEP_S,
    }
    if with_demo:
        print("model-factory demo on a fresh store ...", file=sys.stderr, flush=True)
        results["demo"] = demo()
    return results


def report(results: dict[str, Any]) -> None:
    columns = ("steps", "1st run", "1 step", "N steps", "direct", "per step", "its CPU")
    print(f"{'pipeline':14s} " + " ".join(f"{c:>8s}" for c in (*columns, "fixed", "average")))
    for variant in ("with_model", "without_model"):
        row = results[variant]
        seconds = [row[k] for k in ("first_run_1_step_s", "run_1_step_s", "run_n_steps_s")]
        seconds += [row["direct_n_calls_s"], row["marginal_step_s"], row["marginal_step_cpu_s"]]
        seconds += [row["fixed_per_run_s"], row["per_step_s"]]
        print(f"{variant:14s} {row['steps']:8d} " + " ".join(f"{v:7.3f}s" for v in seconds))
    checks = results["checks"]
    met = verdict(checks["per_step_met"])
    print(
        f"overhead per step (with a Model, as our pipelines): {checks['per_step_s']:.3f} s "
        f"(target <= {TARGET_PER_STEP_S} s: {met}); fixed = per run; average = over N steps, "
        "fixed cost included; 1st run = first in a process (the first child creates the store)"
    )
    if "demo" in results:
        demo_run = results["demo"]
        shares = ", ".join(
            f"{name} {seconds:.0f} s ({demo_run['share'][name]:.0%})"
            for name, seconds in demo_run["pipelines_s"].items()
        )
        outside = demo_run["outside_pipelines_s"]
        print(
            f"model-factory demo: {demo_run['total_s']:.0f} s in all: {shares}; "
            f"start-up, releases and summary {outside:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 steps, 1 repeat, no demo")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "pipeline_overhead.json")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _, n_steps, repeats, with_model = args.child
        answer(lambda: child_overhead(int(n_steps), int(repeats), with_model == "1"))
        return
    if args.steps < 2:
        parser.error("--steps must be >= 2 (the marginal cost compares 1 and N steps)")
    results = {"machine": machine(), "quick": args.quick}
    if args.quick:
        results |= measure(QUICK_STEPS, QUICK_REPEATS, with_demo=False)
    else:
        results |= measure(args.steps, args.repeats, with_demo=True)
    report(results)
    write_report(results, args.out)


if __name__ == "__main__":
    main()
