"""Parameters of the bank marketing pipelines (`parameters.config` in zenml_config/)."""

from typing import Literal

from pydantic import Field, model_validator

from model_factory.config import StrictModel

# `duration` is left out: it is known only after the call, so it leaks the outcome.
NUMERIC = ["age", "balance", "day", "campaign", "pdays", "previous"]
CATEGORICAL = [
    "job", "marital", "education", "default", "housing", "loan", "contact", "month", "poutcome",
]  # fmt: skip


class SearchConfig(StrictModel):
    """Successive-halving random search with stratified CV on the training part only."""

    n_candidates: int = Field(32, ge=1)
    cv_folds: int = Field(3, ge=2)
    factor: int = Field(3, ge=2)
    min_rows: int = Field(600, ge=50, description="rows per candidate in the first halving rung")
    n_jobs: int = Field(2, ge=1)


class BankTrainingConfig(StrictModel):
    data_path: str | None = Field(None, description="CSV to train on; default: the bundled archive")
    bundled_file: Literal["bank.csv", "bank-full.csv"] = "bank.csv"
    csv_separator: str = ";"
    numeric_features: list[str] = NUMERIC
    categorical_features: list[str] = CATEGORICAL
    target: str = "y"
    positive_label: str = "yes"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    split_salt: int = 0
    seed: int = 42
    sampler: Literal["smote", "none"] = "smote"
    search: SearchConfig = SearchConfig()
    promote: bool = Field(True, description="offer the new version for staging (promotion.yaml)")

    @model_validator(mode="after")
    def _features(self) -> "BankTrainingConfig":
        features = self.features
        if not features:
            raise ValueError("at least one feature is needed")
        if len(set(features)) != len(features) or self.target in features:
            raise ValueError("features must be distinct and must not include the target")
        return self

    @property
    def features(self) -> list[str]:
        return [*self.numeric_features, *self.categorical_features]


class BankScoringConfig(StrictModel):
    """Batch scoring with the version in `stage` (its training config is the data contract)."""

    data_path: str | None = Field(
        None, description="CSV to score; null: bank-full.csv from the bundled archive"
    )
    csv_separator: str = ";"
    out_path: str | None = Field(
        None, description="predictions CSV; null: outputs/bank_marketing/predictions.csv"
    )
    stage: Literal["staging", "production"] = "production"
