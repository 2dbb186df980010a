"""Helpers shared by tests (importable because pytest puts tests/ on sys.path)."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """`model-factory ARGS` in a subprocess, as a user would type it."""
    return subprocess.run(
        [sys.executable, "-m", "model_factory", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
    )
