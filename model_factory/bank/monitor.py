"""Drift of the bank classifier: its features, its predicted probabilities and, when the batch
carries outcomes, its ROC-AUC."""

import pandas as pd
from pydantic import Field
from sklearn.metrics import roc_auc_score

from model_factory.bank.config import SEPARATOR_HELP, BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.config import StrictModel
from model_factory.drift import compare
from model_factory.drift.config import DriftThresholds
from model_factory.drift.profile import (
    ReferenceProfile,
    feature_profiles,
    numeric_profile,
    require_batch,
)
from model_factory.drift.report import DriftReport, new_report
from model_factory.validation import AUTO_SEPARATOR, as_text, read_table


class BankMonitorConfig(StrictModel):
    data_path: str | None = Field(None, description="the batch: a CSV with the model's columns")
    csv_separator: str = Field(AUTO_SEPARATOR, description=SEPARATOR_HELP)
    drift: DriftThresholds = DriftThresholds()
    max_roc_auc_drop: float = Field(
        0.1, gt=0, description="ROC-AUC below the version's test score by more: drift"
    )


def build_profile(
    dataset: pd.DataFrame,
    test_set: pd.DataFrame,
    classifier,
    config: BankTrainingConfig,
    metrics: dict,
    thresholds: DriftThresholds = DriftThresholds(),
) -> ReferenceProfile:
    """Features of every validated row; predictions and ROC-AUC of the held-out rows (so they
    are out-of-sample, like a new batch's)."""
    probability = classifier.predict_proba(test_set[config.features])[:, 1]
    return ReferenceProfile(
        use_case=USE_CASE.name,
        n_rows=len(dataset),
        **feature_profiles(
            dataset, config.numeric_features, config.categorical_features, thresholds
        ),
        prediction=numeric_profile(probability, thresholds),
        performance={"roc_auc": float(metrics["roc_auc"])},
        target=config.target,
        positive_label=config.positive_label,
    )


def load_batch(config: BankMonitorConfig) -> pd.DataFrame:
    return read_table(config.data_path, sep=config.csv_separator)


def source(config: BankMonitorConfig) -> str | None:
    """How a drift report names the batch."""
    return config.data_path


def validate_batch(batch: pd.DataFrame, profile: ReferenceProfile, source: str) -> pd.DataFrame:
    """The profile's features (categoricals as text) plus the outcome when present."""
    require_batch(batch, profile, source, allow_missing=True)  # the model imputes features
    columns = [*profile.features, *([profile.target] if profile.target in batch else [])]
    return as_text(batch[columns], list(profile.categorical)).reset_index(drop=True)


def check(
    batch: pd.DataFrame,
    profile: ReferenceProfile,
    classifier,
    config: BankMonitorConfig,
    version: str,
    source: str,
) -> DriftReport:
    batch = validate_batch(batch, profile, source)
    thresholds = config.drift
    checks = compare.features(profile, batch, thresholds)
    probability = classifier.predict_proba(batch[profile.features])[:, 1]
    checks.append(
        compare.numeric("probability", profile.prediction, probability, thresholds, "prediction")
    )
    if profile.target in batch:
        outcome = (batch[profile.target].astype(str) == profile.positive_label).to_numpy(int)
        if 0 < outcome.sum() < len(outcome):  # ROC-AUC needs both classes
            score = float(roc_auc_score(outcome, probability))
            checks.append(
                compare.performance(
                    "roc_auc",
                    profile.performance["roc_auc"],
                    score,
                    config.max_roc_auc_drop,
                    higher_is_better=True,
                )
            )
    return new_report(USE_CASE, profile, checks, version, source, len(batch))
