"""ZenML steps of bank batch scoring: adapters over `model_factory.bank.predict`."""

import logging
from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
from sklearn.base import BaseEstimator
from zenml import step

from model_factory import outputs
from model_factory.bank import data, predict
from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.paths import output_dir

logger = logging.getLogger(__name__)


@step
def load_batch(
    config: BankScoringConfig, training: BankTrainingConfig
) -> Annotated[pd.DataFrame, "batch"]:
    """The batch, checked against the columns and types the model was trained on."""
    return predict.validate_batch(data.load_batch(config), training, data.batch_source(config))


@step
def score_batch(
    batch: pd.DataFrame, classifier: BaseEstimator, training: BankTrainingConfig, version: str
) -> tuple[Annotated[pd.DataFrame, "predictions"], Annotated[dict, "summary"]]:
    unseen = predict.unseen_categories(batch, predict.known_categories(classifier, training))
    for column, values in unseen.items():
        logger.warning("%s: categories the model never saw (encoded as none): %s", column, values)
    predictions = predict.score(classifier, batch, training, version, datetime.now(UTC))
    summary = {
        "n_rows": len(predictions),
        "n_predicted_positive": int(predictions["prediction"].sum()),
        "mean_probability": float(predictions["probability"].mean()),
        "unseen_categories": unseen,
        "model_version": version,
    }
    return predictions, summary


@step
def write_predictions(
    predictions: pd.DataFrame, summary: dict, config: BankScoringConfig
) -> Annotated[dict, "metrics"]:
    """Write the CSV in one rename, so a reader never sees half a file."""
    path = config.out_path or str(output_dir(USE_CASE.outputs) / "predictions.csv")
    outputs.write_csv(predictions, path)
    return {**summary, "out_path": path}
