"""What the benchmarks share: child processes with their peak memory, the machine's
description, an isolated ZenML store, and writing build/bench/<name>.json.

Every measurement runs as a child process of its benchmark (`script --child KIND ARGS`), whose
last stdout line is JSON, so peak memory and start-up costs are per measurement.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "build" / "bench"


def run_child(script: str, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `script --child ARGS`; its last stdout line as a dict, plus its wall time and peak RSS.

    os.wait4 gives that one child's resource usage; on Linux its ru_maxrss is the largest of the
    child and the descendants it waited for (worker processes it shut down). stderr (progress)
    passes through.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, script, "--child", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert proc.stdout is not None
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"child {args} of {Path(script).name} failed (its stderr is above)")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["child_wall_s"] = time.perf_counter() - start
    result["child_maxrss_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    result["child_cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def answer(work) -> None:
    """In a child: run `work` with its prints (search progress) on stderr, then print its JSON
    result as the one stdout line `run_child` reads."""
    with contextlib.redirect_stdout(sys.stderr):
        result = work()
    print(json.dumps(result))


def machine() -> dict[str, Any]:
    """Where and when: what a figure needs beside it to mean anything."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cpus": len(os.sched_getaffinity(0)),
        "ram_gb": round(pages / 2**30),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg()[0],
    }


def isolated_env(scratch: Path) -> dict[str, str]:
    """A throwaway ZenML store and outputs folder for a child, so the user's are untouched."""
    (scratch / "no-repo").mkdir(parents=True, exist_ok=True)
    return os.environ | {
        "ZENML_CONFIG_PATH": str(scratch / "zenml"),
        "ZENML_REPOSITORY_PATH": str(scratch / "no-repo"),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_LOGGING_VERBOSITY": "WARN",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
        "MODEL_FACTORY_HOME": str(scratch / "outputs"),
        "MODEL_FACTORY_CONFIG_DIR": str(ROOT / "zenml_config"),
    }


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def write_report(report: dict[str, Any], out: Path) -> None:
    """Close the machine block (load at the end) and write the JSON docs/performance.md
    is generated from."""
    report["machine"]["load_average_end"] = os.getloadavg()[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
