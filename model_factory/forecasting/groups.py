"""Fan-out over store groups and fan-in of their results (the Kubeflow training pipeline).

Each group backtests and refits its stores on the whole data (`train.backtest(..., stores)`), and
reports its holdout's error sums; adding the groups' sums gives exactly the pooled sums of a
single-process run, so the metrics are the same up to floating-point summation order.
Results travel as JSON, where integers may come back as floats: they are cast back here.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields

import numpy as np
import pandas as pd

from model_factory.forecasting import evaluate
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.metrics import ErrorSums, total


def split_stores(sales: pd.DataFrame, n_groups: int) -> list[list[int]]:
    """The stores in at most `n_groups` contiguous groups of near-equal size (no empty group)."""
    stores = np.sort(sales["Store"].unique())
    return [[int(s) for s in part] for part in np.array_split(stores, n_groups) if len(part)]


def group_result(holdout: pd.DataFrame, evaluated: StoreForecaster | None = None) -> dict:
    """What a group reports for the pooled metrics: its store count, error sums (with the
    evaluated models, the rolling-window sums too) and store counts (JSON)."""
    sums = evaluate.holdout_sums(holdout, evaluated)
    return {
        "n_stores": int(holdout["Store"].nunique()),
        "sums": {name: value.to_dict() for name, value in sums.items()},
        "counts": evaluate.store_counts(holdout, evaluated) if evaluated is not None else None,
    }


def pooled_metrics(results: Iterable[Mapping]) -> dict[str, float | int]:
    """The run's metrics from every group's `group_result`, as `evaluate.pooled_metrics` would
    give on all groups' holdout rows at once."""
    results = list(results)
    if not results:
        raise ValueError("no group results to pool")
    names = sorted({name for result in results for name in result["sums"]})
    sums = {
        name: total(_error_sums(r["sums"][name]) for r in results if name in r["sums"])
        for name in names
    }
    counts = [r["counts"] for r in results if r.get("counts") is not None]
    added = evaluate.add_counts(counts) if counts else None
    return evaluate.metrics_from_sums(sums, sum(int(r["n_stores"]) for r in results), added)


def merge(parts: Sequence[StoreForecaster]) -> StoreForecaster:
    """One forecaster from the groups' forecasters (disjoint stores, same seed and width)."""
    if not parts:
        raise ValueError("no forecasters to merge")
    first = parts[0]
    models = {}
    for part in parts:
        if (part.seed, part.interval_width) != (first.seed, first.interval_width):
            raise ValueError("forecasters trained with different seeds or interval widths")
        if overlap := set(models) & set(part.models):
            raise ValueError(f"stores in more than one group: {sorted(overlap)[:5]}")
        models |= part.models
    return StoreForecaster(dict(sorted(models.items())), first.seed, first.interval_width)


def _error_sums(values: Mapping) -> ErrorSums:
    types = {field.name: field.type for field in fields(ErrorSums)}
    return ErrorSums(**{name: types[name](value) for name, value in values.items()})
