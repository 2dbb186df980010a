"""Batch scoring with a registered classifier: check the batch against its training contract.

The contract is the recorded training config (which columns are numeric or categorical) plus the
categories the fitted encoder saw. A category the model never saw is encoded as all-zeros (the
encoder ignores it), which is a guess, not knowledge: each such value is counted and reported per
column, so a batch full of them is noticed instead of silently scored.
"""

from datetime import datetime

import numpy as np
import pandas as pd

from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.data import require_plausible
from model_factory.validation import as_text, require_columns, require_numeric, require_rows

OUTPUT_COLUMNS = ["probability", "prediction", "model_version", "scored_at"]


def validate_batch(frame: pd.DataFrame, config: BankTrainingConfig, source: str) -> pd.DataFrame:
    """The batch with categorical features as strings; the target column is optional, missing
    features are imputed by the model as in training."""
    require_rows(frame, source)
    require_columns(frame, config.features, source)
    require_numeric(frame, config.numeric_features, source)
    require_plausible(frame, config, source)
    return as_text(frame, config.categorical_features)


def known_categories(model, config: BankTrainingConfig) -> dict[str, set[str]]:
    """The categories per column the fitted encoder was trained on."""
    pipeline = model.estimator_  # TunedThresholdClassifierCV keeps the refitted pipeline here
    encoder = pipeline.named_steps["encode"].named_transformers_["cat"]
    if hasattr(encoder, "named_steps"):  # imputer then encoder (versions trained before had none)
        encoder = encoder.named_steps["onehot"]
    return {
        column: {str(value) for value in values}
        for column, values in zip(config.categorical_features, encoder.categories_, strict=True)
    }


def unseen_categories(batch: pd.DataFrame, known: dict[str, set[str]]) -> dict[str, dict[str, int]]:
    """{column: {unseen value: rows}} for every categorical value the model never saw."""
    unseen = {}
    for column, categories in known.items():
        seen = batch[column].isin(categories) | batch[column].isna()  # missing: imputed, not unseen
        counts = batch.loc[~seen, column].value_counts()
        if len(counts):
            unseen[column] = {str(k): int(v) for k, v in counts.sort_index().items()}
    return unseen


def score(
    model, batch: pd.DataFrame, config: BankTrainingConfig, version: str, scored_at: datetime
) -> pd.DataFrame:
    """The batch's columns plus probability, prediction (1 = positive label), version, time."""
    features = batch[config.features]
    return batch.assign(
        probability=model.predict_proba(features)[:, 1],
        prediction=np.asarray(model.predict(features), dtype=int),
        model_version=version,
        scored_at=scored_at.isoformat(timespec="seconds"),
    )
