"""Loading and validating a binary tabular dataset described by `BankTrainingConfig`."""

import zipfile

import pandas as pd

from model_factory.bank.config import BankTrainingConfig
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


def load(config: BankTrainingConfig) -> pd.DataFrame:
    """The configured CSV, or a member of the bundled UCI archive."""
    if config.data_path:
        return read_table(config.data_path, sep=config.csv_separator)
    with zipfile.ZipFile(ARCHIVE) as archive, archive.open(config.bundled_file) as handle:
        return pd.read_csv(handle, sep=config.csv_separator)


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
