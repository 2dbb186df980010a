"""Loading and validating a binary tabular dataset described by `BankTrainingConfig`."""

import hashlib
import json
import zipfile

import pandas as pd

from model_factory import splits
from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.errors import InputError
from model_factory.paths import RESOURCES
from model_factory.validation import (
    as_text,
    missing_counts,
    read_table,
    require_columns,
    require_finite,
    require_in_range,
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
    return _bundled(config.bundled_file)


def load_batch(config: BankScoringConfig) -> pd.DataFrame:
    """The batch to score: the configured CSV, or the bundled bank-full.csv."""
    if config.data_path:
        return read_table(config.data_path, sep=config.csv_separator)
    return _bundled(SCORING_SAMPLE)


def batch_source(config: BankScoringConfig) -> str:
    return config.data_path or f"bundled {SCORING_SAMPLE}"


def _bundled(member: str) -> pd.DataFrame:
    with zipfile.ZipFile(ARCHIVE) as archive, archive.open(member) as handle:
        return pd.read_csv(handle, sep=";")  # the UCI files are `;`-separated


def validate(frame: pd.DataFrame, config: BankTrainingConfig, source: str = "data") -> pd.DataFrame:
    """Training data: the rows' contract (`validate_rows`) and enough of each class on both
    sides of the split for the CV search and the test metrics; only the model's columns."""
    out = validate_rows(frame, config, source)
    require_trainable(out, config, source)
    return out


def validate_rows(
    frame: pd.DataFrame, config: BankTrainingConfig, source: str = "data"
) -> pd.DataFrame:
    """Schema, types, plausible values and labels; returns only the columns the model uses.
    Features may be missing (the model imputes them); the target may not."""
    require_rows(frame, source)
    columns = [*config.features, config.target]
    require_columns(frame, columns, source)
    require_no_nulls(frame, [config.target], source)
    for feature in config.features:
        if frame[feature].isna().all():
            raise InputError(
                f"{source}: column {feature} has {len(frame)} missing value(s): every row, "
                "nothing to learn or impute from"
            )
    require_numeric(frame, config.numeric_features, source)
    require_plausible(frame, config, source)
    labels = frame[config.target].astype(str)
    classes = sorted(set(labels))
    if len(classes) != 2 or config.positive_label not in classes:
        raise InputError(
            f"{source}: target {config.target} must have two classes including "
            f"{config.positive_label!r}, got {classes[:5]}"
        )
    out = as_text(frame[columns], config.categorical_features)
    out[config.target] = labels
    return out.reset_index(drop=True)


def contract(config: BankTrainingConfig) -> str:
    """What a version answers: its feature columns and kinds, target and positive label, as a
    short digest. The promotion gate ranks only versions with the same contract."""
    described = {
        "numeric": config.numeric_features,
        "categorical": config.categorical_features,
        "target": config.target,
        "positive_label": config.positive_label,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def missing_values(dataset: pd.DataFrame, config: BankTrainingConfig) -> dict[str, int]:
    """Imputed values per feature (only features that had any)."""
    return missing_counts(dataset, config.features)


def require_plausible(frame: pd.DataFrame, config: BankTrainingConfig, source: str) -> None:
    """Every numeric feature finite (or missing) and within its configured range."""
    require_finite(frame, config.numeric_features, source, allow_missing=True)
    for feature in config.numeric_features:
        require_in_range(frame, feature, config.value_range(feature), source, allow_missing=True)


def require_trainable(dataset: pd.DataFrame, config: BankTrainingConfig, source: str) -> None:
    """Each class common enough in the training part (as the split step will cut it) to reach
    every CV training fold of the search's first rung with `class_rows_needed` rows, and present
    in the test part (ROC-AUC and F1 need both classes)."""
    train, test = splits.hash_split(
        dataset, config.features, config.test_fraction, config.split_salt
    )
    needed = config.class_rows_needed
    rung = config.search.first_rung_rows(len(train))
    for label in sorted(set(dataset[config.target])):
        in_train = int((train[config.target] == label).sum())
        reaching = in_train * rung // max(len(train), 1)
        if reaching < needed:
            sampled = f", {reaching} in the search's first {rung} rows" if rung < len(train) else ""
            raise InputError(
                f"{source}: too few rows of class {label!r} to train: {in_train} in the training "
                f"part ({len(train)} of {len(dataset)} rows{sampled}); need at least {needed} "
                f"(search.cv_folds={config.search.cv_folds}; see min_class_rows)"
            )
        if not (test[config.target] == label).any():
            raise InputError(
                f"{source}: the test part ({len(test)} of {len(dataset)} rows) has no row of "
                f"class {label!r}: more data, or another split_salt or test_fraction"
            )


def with_recent(
    reference: pd.DataFrame, batch: pd.DataFrame, config: BankTrainingConfig
) -> pd.DataFrame:
    """The retraining window: the reference data plus a labelled recent batch (both validated;
    a batch without outcomes cannot teach the model anything, so it is bad input)."""
    if config.target not in batch.columns:
        raise InputError(f"the batch has no outcome column {config.target}: nothing to retrain on")
    recent = validate_rows(batch, config, "recent batch")
    reference = validate_rows(reference, config, "reference data")
    return pd.concat([reference, recent], ignore_index=True)  # trained on: validated as a whole
