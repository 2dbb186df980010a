"""What a run reports: counts, anomaly rate, F1 against planted anomalies, and a scatter plot."""

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import f1_score, precision_score, recall_score

from model_factory.paths import output_dir
from model_factory.taxi import data
from model_factory.taxi.model import TaxiDetector, label
from model_factory.taxi.simulate import GROUND_TRUTH

MAX_TYPICAL_POINTS = 50_000


def plot_path(run_date: str) -> Path:
    return output_dir("taxi") / f"{run_date}.png"


def summarise(labels: pd.DataFrame) -> dict:
    """n_rides, n_anomalies, anomaly_rate, n_clusters; F1/precision/recall with ground truth."""
    n_rides = len(labels)
    n_anomalies = int(labels["is_anomaly"].sum())
    metrics = {
        "n_rides": n_rides,
        "n_anomalies": n_anomalies,
        "anomaly_rate": n_anomalies / n_rides,
        "n_clusters": int(labels["cluster"].max()) + 1,
    }
    if GROUND_TRUTH in labels.columns:
        truth, predicted = labels[GROUND_TRUTH], labels["is_anomaly"]
        metrics |= {
            "f1": float(f1_score(truth, predicted, zero_division=0)),
            "precision": float(precision_score(truth, predicted, zero_division=0)),
            "recall": float(recall_score(truth, predicted, zero_division=0)),
            "n_planted": int(truth.sum()),
        }
    return metrics


def score(detector: TaxiDetector, evaluation: pd.DataFrame) -> dict:
    """A detector's metrics on a validated evaluation set with ground truth (F1 is the key)."""
    return summarise(label(data.validate_rides(evaluation, "evaluation set"), detector))


def anomaly_figure(labels: pd.DataFrame, run_date: str) -> Figure:
    """Distance against time: typical rides small and grey, anomalies red; planted ringed.

    At most MAX_TYPICAL_POINTS typical rides are drawn (a seeded sample; the legend gives the
    full count): a million grey dots look the same as 50,000 and took seconds to render.
    """
    summary = summarise(labels)
    title = (
        f"Taxi rides {run_date} (model version {labels['model_version'].iloc[0]}): "
        f"{summary['n_anomalies']:,} anomalies, {summary['anomaly_rate']:.2%}"
    )
    if "f1" in summary:
        title += f"; F1 {summary['f1']:.3f} on planted"
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.subplots()
    normal = labels.loc[~labels["is_anomaly"]]
    flagged = labels.loc[labels["is_anomaly"]]
    shown = normal.sample(min(len(normal), MAX_TYPICAL_POINTS), random_state=0)
    drawn = f", {len(shown):,} drawn" if len(shown) < len(normal) else ""
    ax.scatter(
        shown["ride_dist"],
        shown["ride_time"],
        s=4,
        c="0.6",
        alpha=0.5,
        label=f"typical ({len(normal):,}{drawn})",
        rasterized=True,
    )
    ax.scatter(
        flagged["ride_dist"],
        flagged["ride_time"],
        s=14,
        c="crimson",
        label=f"anomaly ({len(flagged):,})",
    )
    if GROUND_TRUTH in labels.columns:
        planted = labels.loc[labels[GROUND_TRUTH]]
        ax.scatter(
            planted["ride_dist"],
            planted["ride_time"],
            s=60,
            facecolors="none",
            edgecolors="black",
            linewidths=0.8,
            label=f"planted ({len(planted):,})",
        )
    ax.set_xlabel("ride distance (km)")
    ax.set_ylabel("ride time (min)")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return fig
