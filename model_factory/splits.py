"""Train/test splits that stay fair across retraining.

A row's side is decided by a keyed hash of its key columns, so the same row lands on the same
side in every retrain and exact duplicates never straddle the split.
"""

import numpy as np
import pandas as pd

_BUCKETS = 10_000


def hash_buckets(frame: pd.DataFrame, key_columns: list[str], salt: int) -> np.ndarray:
    """A stable bucket in [0, 10000) per row, from its key columns and the salt."""
    hashes = pd.util.hash_pandas_object(
        frame[key_columns], index=False, hash_key=f"{salt:016d}"[-16:]
    )
    return (hashes.to_numpy() % _BUCKETS).astype(np.int64)


def hash_split(
    frame: pd.DataFrame, key_columns: list[str], test_fraction: float, salt: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) with about `test_fraction` of rows in test."""
    in_test = hash_buckets(frame, key_columns, salt) < round(test_fraction * _BUCKETS)
    return frame.loc[~in_test].reset_index(drop=True), frame.loc[in_test].reset_index(drop=True)
