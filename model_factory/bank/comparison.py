"""Fair-comparison hooks of the bank classifier (see `model_factory.fair_comparison`).

The split hashes the feature values with a salt, so the holdout is identified by the key
columns, the salt and the test fraction.
"""

from collections.abc import Mapping

import pandas as pd
from pydantic import ValidationError

from model_factory.bank import evaluate, model
from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.config import describe
from model_factory.fair_comparison import HashHoldout, Holdout, NotComparable, Rescorer


def holdout(config: BankTrainingConfig) -> dict:
    """The identity of this config's test set, recorded on the model version."""
    return HashHoldout(
        key_columns=config.features, salt=config.split_salt, test_fraction=config.test_fraction
    ).model_dump(mode="json")


def score(fitted, rows: pd.DataFrame, config: Mapping, _holdout: Holdout) -> dict[str, float]:
    """The test metrics of `fitted` (trained with `config`) on someone else's held-out rows."""
    settings = _settings(config)
    _require_columns(rows, settings)
    return evaluate.evaluate(fitted, rows, settings)


def refit(config: Mapping, rows: pd.DataFrame, _holdout: Holdout):
    """The recorded recipe (search and threshold included) trained on other training rows."""
    settings = _settings(config)
    _require_columns(rows, settings)
    return model.train(rows, settings).model


def _settings(config: Mapping) -> BankTrainingConfig:
    try:
        return BankTrainingConfig.model_validate(config)
    except ValidationError as exc:
        reason = describe(exc, "its recorded config")
        raise NotComparable(reason) from exc


def _require_columns(rows: pd.DataFrame, settings: BankTrainingConfig) -> None:
    missing = [c for c in [*settings.features, settings.target] if c not in rows.columns]
    if missing:
        raise NotComparable(f"the candidate's data lacks its column(s) {', '.join(missing)}")


RESCORER = Rescorer(
    model_artifact=USE_CASE.model_artifact,
    train_artifact="train_set",
    holdout_artifact="test_set",
    score=score,
    refit=refit,
)
