"""Fresh and shifted sales batches for monitor tests and the demo.

`next_days` continues the synthetic world of a training config: the same stores (scale, growth,
weekly profile, promotion uplift) over the days after its data ends, with new day-to-day noise.
`shift` changes some stores: a level change (sales times `level_factor`), a lost promotion
effect (promo-day sales brought down to the store's usual non-promo level) and a moved weekly
pattern (weekend trade moves to the weekdays: weekend sales times `weekend_factor`, what they
lose spread over Monday-Friday so the store's total stays the same).
"""

from collections.abc import Collection

import numpy as np
import pandas as pd

from model_factory.config import load_run_config
from model_factory.forecasting import synthetic
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig
from model_factory.forecasting.use_case import USE_CASE
from model_factory.paths import config_dir
from model_factory.use_case import SampleBatch


def next_days(config: SyntheticConfig, days: int, skip: int = 0) -> pd.DataFrame:
    """`days` days starting `skip` days after the synthetic training data of `config` ends, as
    train.csv rows. Each `skip` redraws the day-to-day noise (the stores stay the same)."""
    longer = config.model_copy(update={"n_days": config.n_days + skip + days})
    train, _ = synthetic.generate(longer)
    dates = pd.to_datetime(train["Date"])
    first = dates.min() + pd.Timedelta(days=config.n_days + skip)
    return train[dates >= first].reset_index(drop=True)


def pick_stores(stores, seed: int, n: int) -> tuple[list[int], list[int], list[int]]:
    """Three disjoint seeded sets of up to `n` stores: (level change, lost promo effect, moved
    weekly pattern); later sets come out shorter when there are fewer than 3 n stores."""
    chosen = [int(s) for s in np.random.default_rng(seed).permutation(sorted(set(stores)))]
    level, promo, weekly = (sorted(chosen[i * n : (i + 1) * n]) for i in range(3))
    return level, promo, weekly


def shift(
    batch: pd.DataFrame,
    level_stores: Collection[int] = (),
    promo_stores: Collection[int] = (),
    weekly_stores: Collection[int] = (),
    level_factor: float = 0.5,
    weekend_factor: float = 0.6,
) -> pd.DataFrame:
    """Scale the sales (and customers) of `level_stores`; remove the promotion uplift of
    `promo_stores` (estimated per store on Monday-Friday open days of the batch); move weekend
    trade of `weekly_stores` to their Monday-Friday open days."""
    out = batch.copy()
    scale = pd.Series(1.0, index=out.index)
    scale[out["Store"].isin(list(level_stores))] = level_factor
    weekday = pd.to_datetime(out["Date"]).dt.day_of_week < 5
    for store in promo_stores:
        mine = (out["Store"] == store) & (out["Open"] == 1) & (out["Sales"] > 0) & weekday
        promo, plain = mine & (out["Promo"] == 1), mine & (out["Promo"] == 0)
        if promo.any() and plain.any():
            uplift = np.exp(
                np.log(out.loc[promo, "Sales"]).mean() - np.log(out.loc[plain, "Sales"]).mean()
            )
            scale[(out["Store"] == store) & (out["Promo"] == 1)] = 1 / uplift
    for store in weekly_stores:
        mine = (out["Store"] == store) & (out["Open"] == 1)
        weekend, weekdays = mine & ~weekday, mine & weekday
        lost = (1 - weekend_factor) * out.loc[weekend, "Sales"].sum()
        if lost > 0 and out.loc[weekdays, "Sales"].sum() > 0:
            scale[weekend] *= weekend_factor
            scale[weekdays] *= 1 + lost / out.loc[weekdays, "Sales"].sum()
    for column in ("Sales", "Customers"):
        out[column] = np.rint(out[column] * scale).astype(np.int64)
    return out


def sample_batch(seed: int, shifted: bool, run_date: str) -> SampleBatch:
    """`model-factory sample-batch forecasting`: the weeks after the shipped training config's
    synthetic sales; if `shifted`, some stores change level, lose their promo effect or move
    weekend trade to weekdays."""
    training = load_run_config(config_dir() / USE_CASE.training_config, ForecastTrainingConfig)
    settings = training.parameters.config
    frame = next_days(settings.synthetic, settings.holdout_days, seed)
    if not shifted:
        return SampleBatch(frame, "", ",")
    level, promo, weekly = pick_stores(frame["Store"], seed, 2)
    note = (
        f"shifted: level of stores {level}, promo effect of stores {promo}, "
        f"weekly pattern of stores {weekly}"
    )
    return SampleBatch(shift(frame, level, promo, weekly), note, ",")
