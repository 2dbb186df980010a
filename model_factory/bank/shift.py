"""Fresh and shifted batches of bank customers, for monitor tests and the demo.

`fresh_batch` draws rows of the bundled `bank-full.csv` that are not in `bank.csv` (the default
training file), so a batch is new data from the same population. `shift` moves the customer
mix: a share of rows become students, retirees or unemployed, and balances drop.
"""

import zipfile

import numpy as np
import pandas as pd

from model_factory.bank.data import ARCHIVE
from model_factory.use_case import SampleBatch

SHIFTED_JOBS = ("student", "retired", "unemployed")
SHIFTED_FEATURES = ("job", "balance")


def fresh_batch(n_rows: int, seed: int) -> pd.DataFrame:
    """`n_rows` rows of bank-full.csv outside bank.csv, drawn with `seed`."""
    with zipfile.ZipFile(ARCHIVE) as archive:
        with archive.open("bank-full.csv") as handle:
            full = pd.read_csv(handle, sep=";")
        with archive.open("bank.csv") as handle:
            small = pd.read_csv(handle, sep=";")
    seen = full.merge(small.drop_duplicates(), how="left", indicator=True)["_merge"] == "both"
    unseen = full.loc[~seen.to_numpy()]
    return unseen.sample(n=min(n_rows, len(unseen)), random_state=seed).reset_index(drop=True)


def shift(
    batch: pd.DataFrame,
    seed: int,
    job_share: float = 0.4,
    balance_factor: float = 0.4,
    balance_offset: float = -300.0,
) -> pd.DataFrame:
    """A different job mix (`job_share` of rows re-drawn from `SHIFTED_JOBS`) and lower balances
    (`balance * balance_factor + balance_offset`); every other column is untouched."""
    rng = np.random.default_rng(seed)
    out = batch.copy()
    moved = rng.random(len(out)) < job_share
    out.loc[moved, "job"] = rng.choice(SHIFTED_JOBS, int(moved.sum()))
    out["balance"] = np.rint(out["balance"] * balance_factor + balance_offset).astype(np.int64)
    return out


def sample_batch(seed: int, shifted: bool, run_date: str) -> SampleBatch:
    """`model-factory sample-batch bank`: 1,000 new customers, their mix moved if `shifted`."""
    frame = fresh_batch(1000, seed)
    if not shifted:
        return SampleBatch(frame, "", ";")
    return SampleBatch(shift(frame, seed), f"shifted: {', '.join(SHIFTED_FEATURES)}", ";")
