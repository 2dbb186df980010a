"""Hash splits: stable across retrains, no duplicate straddling, about the asked fraction."""

import numpy as np
import pandas as pd

from model_factory.splits import hash_split


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"a": rng.integers(0, 1000, n), "b": rng.choice(list("xyz"), n), "y": rng.integers(0, 2, n)}
    )


def _sides(frame: pd.DataFrame, salt: int = 0) -> dict[tuple, str]:
    train, test = hash_split(frame, ["a", "b"], 0.2, salt)
    return {
        **{tuple(r): "train" for r in train[["a", "b"]].itertuples(index=False)},
        **{tuple(r): "test" for r in test[["a", "b"]].itertuples(index=False)},
    }


def test_a_row_keeps_its_side_when_data_grows_and_is_reordered():
    old = _frame(2_000)
    grown = pd.concat([old, _frame(3_000, seed=1)]).sample(frac=1.0, random_state=3)
    before, after = _sides(old), _sides(grown)
    assert all(after[key] == side for key, side in before.items())


def test_duplicates_never_straddle_the_split():
    frame = pd.concat([_frame(500)] * 3, ignore_index=True)
    train, test = hash_split(frame, ["a", "b"], 0.3, salt=7)
    shared = train.merge(test, on=["a", "b"])
    assert shared.empty


def test_fraction_and_salt():
    frame = _frame(20_000)
    _, test = hash_split(frame, ["a", "b"], 0.2, salt=0)
    assert abs(len(test) / len(frame) - 0.2) < 0.02
    assert _sides(frame, salt=0) != _sides(frame, salt=1)
