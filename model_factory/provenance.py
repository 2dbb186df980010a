"""What a model version records about where it came from: data fingerprint and git commit."""

import hashlib
import os
import subprocess

import pandas as pd


def data_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a frame (values, column names and order; not the index)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def git_commit() -> str:
    """The checkout's commit, or $GIT_COMMIT inside images built without .git."""
    if commit := os.environ.get("GIT_COMMIT"):
        return commit
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()
