"""Holdout evaluation: pooled metrics (model and baselines), per-store metrics, a plot.

Metrics are built from `ErrorSums`, so a fan-in over store groups adds the groups' sums and gets
exactly the pooled numbers. `naive_rmspe` is the holiday-aware seasonal naive (the gate a model
must beat); `naive_364_rmspe` the plain "same weekday 52 weeks earlier"; `naive_1w_rmspe` looks
up actuals one week back inside the holdout, so it is a 7-day-ahead reference, not a rival.
`coverage` and `interval_width` (mean (upper - lower) / forecast) describe the intervals.

With the evaluated models, the rolling-window comparison joins them: `window_rmspe_<candidate>`
is the mean over windows of a candidate's pooled RMSPE when every store uses it,
`selection_window_rmspe` the same for the per-store choice (each window judged by the choice the
other windows made), `best_single_window_rmspe` the best candidate's. `n_fallback_stores` counts
stores too short for the windows (seasonal naive); `n_holiday_days` the most holiday days any
store's history had (0: no holidays were used).
"""

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.metrics import ErrorSums, scored_rows

FORECASTS = {
    "model": "forecast", "naive": "naive_52w", "naive_364": "naive_364", "naive_1w": "naive_1w",
}  # fmt: skip
WINDOW = "window"  # sums keys of the rolling-window comparison: window:<name>:<index>
WIDTH = "width"  # the interval width sum travels as an ErrorSums' `absolute` field


def holdout_sums(
    holdout: pd.DataFrame, evaluated: StoreForecaster | None = None
) -> dict[str, ErrorSums]:
    """Error sums of the model and the baselines over the scored holdout rows, and with the
    evaluated models, the rolling-window sums of every store that has them."""
    rows = holdout[scored_rows(holdout)]
    sums = {
        name: ErrorSums.of(rows["Sales"], rows[column])
        for name, column in FORECASTS.items()
        if name != "model"
    }
    sums["model"] = ErrorSums.of(rows["Sales"], rows["forecast"], rows["lower"], rows["upper"])
    # Relative width per row, pooled as a sum over the rows that have a positive forecast.
    positive = rows[rows["forecast"] > 0]
    relative = ((positive["upper"] - positive["lower"]) / positive["forecast"]).to_numpy(float)
    sums[WIDTH] = ErrorSums(n=len(relative), absolute=float(relative.sum()))
    if evaluated is not None:
        for store in sorted(set(holdout["Store"].astype(int))):
            for name, per_window in evaluated.model(store).window_sums.items():
                for w, values in enumerate(per_window):
                    key = f"{WINDOW}:{name}:{w}"
                    sums[key] = sums.get(key, ErrorSums()) + ErrorSums.from_dict(values)
    return sums


def store_counts(holdout: pd.DataFrame, evaluated: StoreForecaster) -> dict[str, int]:
    """Stores on the fallback and the most holiday days a store's history had (fan-in: the
    first adds up, the second is the maximum)."""
    models = [evaluated.model(int(s)) for s in sorted(set(holdout["Store"].astype(int)))]
    return {
        "n_fallback_stores": sum(m.warning is not None for m in models),
        "n_holiday_days": max((m.holiday_days for m in models), default=0),
    }


def add_counts(counts: list[dict[str, int]]) -> dict[str, int]:
    return {
        "n_fallback_stores": sum(int(c["n_fallback_stores"]) for c in counts),
        "n_holiday_days": max(int(c["n_holiday_days"]) for c in counts),
    }


def metrics_from_sums(
    sums: dict[str, ErrorSums], n_stores: int, counts: dict[str, int] | None = None
) -> dict[str, float | int]:
    """The run's headline metrics from (possibly added-up) sums."""
    width = sums.get(WIDTH, ErrorSums())
    metrics = {
        **sums["model"].summary(),
        "interval_width": width.absolute / width.n if width.n else math.nan,
        "naive_rmspe": sums["naive"].rmspe,
        "naive_mape": sums["naive"].mape,
        "naive_364_rmspe": sums["naive_364"].rmspe,
        "naive_1w_rmspe": sums["naive_1w"].rmspe,
        "n_stores": n_stores,
        "n_rows": sums["model"].n,
    }
    by_name: dict[str, list[float]] = {}
    for key, value in sorted(sums.items()):
        if key.startswith(WINDOW + ":"):
            _, name, _ = key.split(":")
            by_name.setdefault(name, []).append(value.rmspe)
    if by_name:
        means = {name: float(np.mean(values)) for name, values in by_name.items()}
        singles = {name: v for name, v in means.items() if name != "selected"}
        metrics |= {f"window_rmspe_{name}": v for name, v in sorted(singles.items())}
        metrics["selection_window_rmspe"] = means["selected"]
        metrics["best_single_window_rmspe"] = min(singles.values())
    return metrics | (counts or {})


def pooled_metrics(
    holdout: pd.DataFrame, evaluated: StoreForecaster | None = None
) -> dict[str, float | int]:
    counts = store_counts(holdout, evaluated) if evaluated is not None else None
    sums = holdout_sums(holdout, evaluated)
    return metrics_from_sums(sums, int(holdout["Store"].nunique()), counts)


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
                "naive_364_rmspe": sums["naive_364"].rmspe,
                "naive_1w_rmspe": sums["naive_1w"].rmspe,
                "warning": model.warning or "",
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
                label="naive (holiday-aware)")  # fmt: skip
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
