"""Train/test splits that stay fair across retraining.

A row's side is decided by a keyed hash of its key columns, so the same row lands on the same
side in every retrain and exact duplicates never straddle the split.
"""

import hashlib

import numpy as np
import pandas as pd

_BUCKETS = 10_000


def hash_buckets(frame: pd.DataFrame, key_columns: list[str], salt: int) -> np.ndarray:
    """A stable bucket in [0, 10000) per row from the string form of its key columns."""
    key = f"{salt}".encode().ljust(16, b"\0")[:64]
    rows = frame[key_columns].astype(str).agg("\x1f".join, axis=1)
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(r.encode(), digest_size=8, key=key).digest(), "big")
            % _BUCKETS
            for r in rows
        ),
        dtype=np.int64,
        count=len(rows),
    )


def hash_split(
    frame: pd.DataFrame, key_columns: list[str], test_fraction: float, salt: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) with about `test_fraction` of rows in test."""
    in_test = hash_buckets(frame, key_columns, salt) < round(test_fraction * _BUCKETS)
    return frame.loc[~in_test].reset_index(drop=True), frame.loc[in_test].reset_index(drop=True)
