"""Held-out evaluation of the classifier: scores, curves and a confusion matrix."""

from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.model import split_xy


def evaluate(model, test: pd.DataFrame, config: BankTrainingConfig) -> dict[str, float]:
    """Score the test set once at the threshold chosen on training folds."""
    x, y = split_xy(test, config)
    probability = model.predict_proba(x)[:, 1]
    predicted = (probability >= model.best_threshold_).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y, probability)),
        "pr_auc": float(average_precision_score(y, probability)),
        "f1": float(f1_score(y, predicted)),
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted)),
        "threshold": float(model.best_threshold_),
        "n_test": len(test),
        "positive_rate": float(np.mean(y)),
    }


class Curves(NamedTuple):
    """The held-out ROC curve and confusion matrix as plain lists (what a UI plots)."""

    fpr: list[float]
    tpr: list[float]
    thresholds: list[float]
    labels: list[str]  # rows (actual) and columns (predicted) of `confusion`
    confusion: list[list[int]]


def curves(model, test: pd.DataFrame, config: BankTrainingConfig) -> Curves:
    x, y = split_xy(test, config)
    probability = model.predict_proba(x)[:, 1]
    fpr, tpr, thresholds = roc_curve(y, probability)
    # The first threshold is +inf (nothing predicted positive), which JSON cannot carry; 1.0
    # predicts the same for every probability below 1.
    thresholds = np.minimum(thresholds, 1.0)
    predicted = (probability >= model.best_threshold_).astype(int)
    matrix = confusion_matrix(y, predicted, labels=[0, 1])
    return Curves(
        fpr=fpr.tolist(),
        tpr=tpr.tolist(),
        thresholds=thresholds.tolist(),
        labels=["no", config.positive_label],
        confusion=matrix.tolist(),
    )


def evaluation_figure(model, test: pd.DataFrame, config: BankTrainingConfig) -> Figure:
    """Confusion matrix, ROC and PR curves of the held-out set, side by side."""
    x, y = split_xy(test, config)
    probability = model.predict_proba(x)[:, 1]
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    cm, roc, pr = fig.subplots(1, 3)
    ConfusionMatrixDisplay.from_predictions(
        y, (probability >= model.best_threshold_).astype(int), ax=cm, colorbar=False,
        display_labels=["no", config.positive_label],
    )  # fmt: skip
    cm.set_title(f"Confusion matrix (threshold {model.best_threshold_:.2f})")
    RocCurveDisplay.from_predictions(y, probability, ax=roc, plot_chance_level=True)
    roc.set_title("ROC curve (test)")
    PrecisionRecallDisplay.from_predictions(y, probability, ax=pr, plot_chance_level=True)
    pr.set_title("Precision-recall curve (test)")
    return fig
