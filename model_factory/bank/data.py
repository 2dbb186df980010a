"""Loading and validating a binary tabular dataset described by `BankTrainingConfig`."""

import zipfile

import pandas as pd

from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.errors import InputError
from model_factory.paths import RESOURCES
from model_factory.validation import (
    read_table,
    require_columns,
    require_no_nulls,
    require_numeric,
    require_rows,
)

ARCHIVE = RESOURCES / "bank.zip"
SCORING_SAMPLE = "bank-full.csv"  # what batch scoring reads when given no file


def load(config: BankTrainingConfig) -> pd.DataFrame:
    """The configured CSV, or a member of the bundled UCI archive."""
    if config.data_path:
        return read_table(config.data_path, sep=config.csv_separator)
    return _bundled(config.bundled_file, config.csv_separator)


def load_batch(config: BankScoringConfig) -> pd.DataFrame:
    """The batch to score: the configured CSV, or the bundled bank-full.csv."""
    if config.data_path:
        return read_table(config.data_path, sep=config.csv_separator)
    return _bundled(SCORING_SAMPLE, config.csv_separator)


def batch_source(config: BankScoringConfig) -> str:
    return config.data_path or f"bundled {SCORING_SAMPLE}"


def _bundled(member: str, separator: str) -> pd.DataFrame:
    with zipfile.ZipFile(ARCHIVE) as archive, archive.open(member) as handle:
        return pd.read_csv(handle, sep=separator)


def validate(frame: pd.DataFrame, config: BankTrainingConfig, source: str = "data") -> pd.DataFrame:
    """Schema, types and labels; returns only the columns the model uses."""
    require_rows(frame, source)
    columns = [*config.features, config.target]
    require_columns(frame, columns, source)
    require_no_nulls(frame, columns, source)
    require_numeric(frame, config.numeric_features, source)
    labels = frame[config.target].astype(str)
    classes = sorted(set(labels))
    if len(classes) != 2 or config.positive_label not in classes:
        raise InputError(
            f"{source}: target {config.target} must have two classes including "
            f"{config.positive_label!r}, got {classes[:5]}"
        )
    out = frame[columns].copy()
    out[config.categorical_features] = out[config.categorical_features].astype(str)
    out[config.target] = labels
    return out.reset_index(drop=True)


def with_recent(
    reference: pd.DataFrame, batch: pd.DataFrame, config: BankTrainingConfig
) -> pd.DataFrame:
    """The retraining window: the reference data plus a labelled recent batch (both validated;
    a batch without outcomes cannot teach the model anything, so it is bad input)."""
    if config.target not in batch.columns:
        raise InputError(f"the batch has no outcome column {config.target}: nothing to retrain on")
    recent = validate(batch, config, "recent batch")
    return pd.concat([validate(reference, config, "reference data"), recent], ignore_index=True)
