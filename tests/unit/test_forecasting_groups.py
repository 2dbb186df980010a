"""Fan-out over store groups and fan-in (the Kubeflow training pipeline's core), run directly.

Groups must add up to the single-process run: the same forecasts, models and pooled metrics,
whatever the grouping, even when stores' data end on different days.
"""

import json

import numpy as np
import pandas as pd
import pytest

from model_factory.forecasting import data, evaluate, groups, synthetic, train
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig
from model_factory.forecasting.forecaster import StoreForecaster, load, save

SMALL = ForecastTrainingConfig(
    holdout_days=28,
    validation_days=28,
    min_train_days=180,
    candidates=["prophet_additive", "seasonal_naive"],
    prophet={"yearly_fourier_order": 3},
    n_jobs=1,
)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    """Four stores; store 4's data end 5 days before the others' (still inside the holdout)."""
    raw, _ = synthetic.generate(SyntheticConfig(n_stores=4, n_days=420, seed=5))
    raw = raw[~((raw["Store"] == 4) & (pd.to_datetime(raw["Date"]) > "2014-02-19"))]
    return data.validate(raw, SMALL)


@pytest.fixture(scope="module")
def whole(sales) -> tuple[pd.DataFrame, StoreForecaster]:
    return train.backtest(sales, SMALL)


def _json_hop(value):
    """What a KFP parameter does to a value: JSON, with every number a float."""
    return json.loads(json.dumps(value), parse_int=float)


def test_stores_split_into_contiguous_groups_without_empty_ones(sales):
    assert groups.split_stores(sales, 2) == [[1, 2], [3, 4]]
    assert groups.split_stores(sales, 3) == [[1, 2], [3], [4]]
    assert groups.split_stores(sales, 9) == [[1], [2], [3], [4]]
    assert groups.split_stores(sales, 1) == [[1, 2, 3, 4]]


def test_pooled_group_sums_equal_the_pooled_metrics_of_all_rows():
    rng = np.random.default_rng(3)
    n = 600
    sales = rng.integers(0, 9000, n) * (rng.random(n) > 0.1)
    forecast = sales * rng.uniform(0.7, 1.3, n)
    holdout = pd.DataFrame(
        {
            "Store": np.repeat(np.arange(1, 13), n // 12),
            "Open": (sales > 0).astype(int),
            "Sales": sales,
            "forecast": forecast,
            "lower": forecast * 0.9,
            "upper": forecast * 1.1,
            "naive_52w": sales * rng.uniform(0.6, 1.4, n),
            "naive_364": sales * rng.uniform(0.6, 1.4, n),
            "naive_1w": sales * rng.uniform(0.8, 1.2, n),
        }
    )
    expected = evaluate.pooled_metrics(holdout)
    for n_groups in (1, 5, 12):
        results = [
            _json_hop(groups.group_result(holdout[holdout["Store"].isin(group)]))
            for group in groups.split_stores(holdout, n_groups)
        ]
        pooled = groups.pooled_metrics(results)
        assert pooled.keys() == expected.keys()
        assert (pooled["n_stores"], pooled["n_rows"]) == (12, expected["n_rows"])
        assert isinstance(pooled["n_rows"], int) and isinstance(pooled["n_stores"], int)
        for name, value in expected.items():
            assert pooled[name] == pytest.approx(value, rel=1e-12, abs=0), (n_groups, name)
    with pytest.raises(ValueError, match="no group results"):
        groups.pooled_metrics([])


def test_groups_backtest_and_refit_exactly_their_share_of_a_full_run(sales, whole, tmp_path):
    holdout, evaluated = whole
    parts = [train.backtest(sales, SMALL, stores=g) for g in groups.split_stores(sales, 2)]
    pd.testing.assert_frame_equal(
        pd.concat([part for part, _ in parts], ignore_index=True), holdout
    )
    merged = groups.merge([forecaster for _, forecaster in parts])
    assert merged.to_files() == evaluated.to_files()
    # Store 4 alone would put its holdout 5 days earlier: the windows come from all stores.
    alone, _ = train.backtest(sales, SMALL, stores=[4])
    assert alone["Date"].min() == holdout["Date"].min()
    assert alone["Date"].max() < sales["Date"].max()

    metrics = groups.pooled_metrics(
        _json_hop(groups.group_result(part, models)) for part, models in parts
    )
    expected = evaluate.pooled_metrics(holdout, evaluated)
    assert metrics.keys() == expected.keys() and "selection_window_rmspe" in metrics
    assert metrics == pytest.approx(expected, rel=1e-12, abs=0)

    refits = []
    for index, (_, part) in enumerate(parts):  # through folders, as between KFP tasks
        save(part, tmp_path / f"evaluated_{index}")
        refitted = train.refit(sales, load(tmp_path / f"evaluated_{index}"), SMALL)
        save(refitted, tmp_path / f"refitted_{index}")
        refits.append(load(tmp_path / f"refitted_{index}"))
    assert groups.merge(refits).to_files() == train.refit(sales, evaluated, SMALL).to_files()


def test_merge_refuses_overlapping_or_inconsistent_parts(whole):
    _, evaluated = whole
    one = StoreForecaster({1: evaluated.model(1)}, evaluated.seed, evaluated.interval_width)
    with pytest.raises(ValueError, match=r"more than one group: \[1\]"):
        groups.merge([one, evaluated])
    other_seed = StoreForecaster({2: evaluated.model(2)}, evaluated.seed + 1, 0.95)
    with pytest.raises(ValueError, match="different seeds"):
        groups.merge([one, other_seed])
    assert groups.merge([one]).stores == [1]
