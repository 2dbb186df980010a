"""Holdout evaluation: pooled metrics (model and baselines), per-store metrics, a plot.

Metrics are built from `ErrorSums`, so a fan-in over store groups adds the groups' sums and gets
exactly the pooled numbers. `naive_rmspe` is the 52-week seasonal naive; `naive_1w_rmspe` looks
up actuals one week back inside the holdout, so it is a 7-day-ahead reference, not a rival.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.metrics import ErrorSums, scored_rows

FORECASTS = {"model": "forecast", "naive": "naive_52w", "naive_1w": "naive_1w"}


def holdout_sums(holdout: pd.DataFrame) -> dict[str, ErrorSums]:
    """Error sums of the model and both baselines over the scored holdout rows."""
    rows = holdout[scored_rows(holdout)]
    sums = {
        name: ErrorSums.of(rows["Sales"], rows[column])
        for name, column in FORECASTS.items()
        if name != "model"
    }
    sums["model"] = ErrorSums.of(rows["Sales"], rows["forecast"], rows["lower"], rows["upper"])
    return sums


def metrics_from_sums(sums: dict[str, ErrorSums], n_stores: int) -> dict[str, float | int]:
    """The run's headline metrics from (possibly added-up) sums."""
    return {
        **sums["model"].summary(),
        "naive_rmspe": sums["naive"].rmspe,
        "naive_mape": sums["naive"].mape,
        "naive_1w_rmspe": sums["naive_1w"].rmspe,
        "n_stores": n_stores,
        "n_rows": sums["model"].n,
    }


def pooled_metrics(holdout: pd.DataFrame) -> dict[str, float | int]:
    return metrics_from_sums(holdout_sums(holdout), int(holdout["Store"].nunique()))


def store_metrics(
    holdout: pd.DataFrame, evaluated: StoreForecaster, stores: pd.DataFrame
) -> pd.DataFrame:
    """One row per store: chosen candidate, holdout metrics, baselines, validation scores."""
    rows = []
    for store, frame in holdout.groupby("Store", sort=True):
        sums = holdout_sums(frame)
        model = evaluated.model(int(store))
        rows.append(
            {
                "Store": int(store),
                "candidate": model.candidate,
                "n_rows": sums["model"].n,
                **sums["model"].summary(),
                "naive_rmspe": sums["naive"].rmspe,
                "naive_1w_rmspe": sums["naive_1w"].rmspe,
                **{f"validation_rmspe_{k}": v for k, v in model.validation_rmspe.items()},
            }
        )
    table = pd.DataFrame(rows)
    attributes = [c for c in ("StoreType", "Assortment") if c in stores]
    if attributes:
        table = table.merge(stores[["Store", *attributes]], on="Store", how="left")
    return table


def plot_stores(table: pd.DataFrame, n: int) -> list[int]:
    """Stores spread from best to worst holdout RMSPE, so the plot shows the range."""
    ranked = table.dropna(subset=["rmspe"]).sort_values(["rmspe", "Store"])
    if ranked.empty or n == 0:
        return []
    picks = np.unique(np.linspace(0, len(ranked) - 1, min(n, len(ranked))).round().astype(int))
    return [int(s) for s in ranked["Store"].iloc[picks]]


def forecast_figure(
    holdout: pd.DataFrame, sales: pd.DataFrame, table: pd.DataFrame, stores: list[int]
) -> Figure:
    """Actual Sales (with 6 weeks of context) vs forecast and 95% interval, per store."""
    fig = Figure(figsize=(12, 2.8 * max(1, len(stores))), layout="constrained")
    axes = np.atleast_1d(fig.subplots(max(1, len(stores)), 1, squeeze=False)[:, 0])
    start = holdout["Date"].min()
    context_start = start - pd.Timedelta(weeks=6)
    for ax, store in zip(axes, stores, strict=False):
        past = sales[(sales["Store"] == store) & (sales["Date"] >= context_start)]
        past = past[past["Open"] == 1]
        ahead = holdout[(holdout["Store"] == store) & (holdout["Open"] == 1)]
        row = table.set_index("Store").loc[store]
        ax.plot(past["Date"], past["Sales"], color="black", lw=1, marker=".", label="actual")
        ax.plot(ahead["Date"], ahead["forecast"], color="tab:blue", lw=1.5, label="forecast")
        ax.fill_between(ahead["Date"], ahead["lower"], ahead["upper"], color="tab:blue",
                        alpha=0.2, label="interval")  # fmt: skip
        ax.plot(ahead["Date"], ahead["naive_52w"], color="tab:orange", lw=1, ls="--",
                label="naive (52 weeks)")  # fmt: skip
        ax.axvline(start, color="grey", ls=":")
        ax.set_title(
            f"Store {store}: {row['candidate']}, holdout RMSPE {row['rmspe']:.3f} "
            f"(naive {row['naive_rmspe']:.3f}), coverage {row['coverage']:.2f}"
        )
        ax.set_ylabel("Sales")
    if not stores:
        axes[0].text(0.5, 0.5, "no store with scored holdout rows", ha="center")
    axes[0].legend(loc="upper left", ncols=4, fontsize="small")
    return fig
