"""Parameters of the bank marketing pipelines (`parameters.config` in zenml_config/)."""

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from model_factory.bank.use_case import USE_CASE
from model_factory.config import KubeflowRegistration, KubeflowServer, StrictModel
from model_factory.validation import AUTO_SEPARATOR, ValueRange

# `duration` is left out: it is known only after the call, so it leaks the outcome.
NUMERIC = ["age", "balance", "day", "campaign", "pdays", "previous"]
CATEGORICAL = [
    "job", "marital", "education", "default", "housing", "loan", "contact", "month", "poutcome",
]  # fmt: skip
# Plausible values of the UCI columns (bank-full.csv: age 18-95, balance -8,019 to 102,127,
# campaign up to 63, pdays -1 = never contacted, previous up to 275), with room to spare.
RANGES = {
    "age": ValueRange(min=0, max=130),
    "balance": ValueRange(min=-1e9, max=1e9),
    "day": ValueRange(min=1, max=31),
    "campaign": ValueRange(min=0, max=10_000),
    "pdays": ValueRange(min=-1, max=100_000),
    "previous": ValueRange(min=0, max=100_000),
}
# Any other numeric feature (a table of one's own): finite and at most a trillion in size, so a
# stray 1e308 is refused while no real measure is; list it under value_ranges to be stricter.
UNLISTED_RANGE = ValueRange(min=-1e12, max=1e12)
SEPARATOR_HELP = "the CSV's separator; auto: read off its header line (; , tab or |)"
SMOTE_NEIGHBOURS = 5  # SMOTE needs this many same-class neighbours, so one more row per fold


class SearchConfig(StrictModel):
    """Successive-halving random search with stratified CV on the training part only."""

    n_candidates: int = Field(32, ge=1)
    cv_folds: int = Field(3, ge=2)
    factor: int = Field(3, ge=2)
    min_rows: int = Field(600, ge=50, description="rows per candidate in the first halving rung")
    n_jobs: int = Field(2, ge=1)

    def first_rung_rows(self, n_rows: int) -> int:
        """Rows each candidate is fitted on in the first halving rung (all of them when few):
        a fraction of every CV fold, so each class must be common enough to reach it."""
        first_rung = n_rows // self.factor ** math.floor(math.log(self.n_candidates, self.factor))
        return min(n_rows, max(first_rung, self.min_rows))


class BankTrainingConfig(StrictModel):
    data_path: str | None = Field(None, description="CSV to train on; default: the bundled archive")
    bundled_file: Literal["bank.csv", "bank-full.csv"] = "bank.csv"
    csv_separator: str = Field(AUTO_SEPARATOR, description=SEPARATOR_HELP)
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
    kubeflow: KubeflowRegistration = KubeflowRegistration()  # the native KFP pipeline only
    value_ranges: dict[str, ValueRange] = Field(
        default_factory=lambda: dict(RANGES),
        description="plausible values (min, max) per numeric feature (the UCI columns have "
        "defaults); a feature without one must lie within +-1e12 (UNLISTED_RANGE)",
    )
    min_class_rows: int = Field(
        0,
        ge=0,
        description="a floor on rows of each class in the training part (in the search's first "
        "rung), over what the CV search needs anyway: cv_folds x 6 with SMOTE (5 neighbours + "
        "the row itself in every training fold), cv_folds x 2 without",
    )

    @model_validator(mode="after")
    def _features(self) -> "BankTrainingConfig":
        features = self.features
        if not features:
            raise ValueError("at least one feature is needed")
        if len(set(features)) != len(features) or self.target in features:
            raise ValueError("features must be distinct and must not include the target")
        return self

    @field_validator("value_ranges")
    @classmethod
    def _defaults_kept(cls, ranges: dict) -> dict:
        return {**RANGES, **ranges}

    def value_range(self, feature: str) -> ValueRange:
        return self.value_ranges.get(feature, UNLISTED_RANGE)

    @property
    def features(self) -> list[str]:
        return [*self.numeric_features, *self.categorical_features]

    @property
    def class_rows_needed(self) -> int:
        """Rows of each class the training part needs for the stratified CV (and SMOTE)."""
        per_fold = SMOTE_NEIGHBOURS + 1 if self.sampler == "smote" else 2
        return max(self.min_class_rows, self.search.cv_folds * per_fold)


class BankScoringConfig(StrictModel):
    """Batch scoring with the version in `stage` (its training config is the data contract)."""

    data_path: str | None = Field(
        None, description="CSV to score; null: bank-full.csv from the bundled archive"
    )
    csv_separator: str = Field(AUTO_SEPARATOR, description=SEPARATOR_HELP)
    out_path: str | None = Field(
        None, description="predictions CSV; null: outputs/bank/predictions.csv"
    )
    stage: Literal["staging", "production"] = "production"
    model: str = Field(
        USE_CASE.model_name,
        min_length=1,
        description="the registered model scored with (a table of one's own: its model name)",
    )
    kubeflow: KubeflowServer = KubeflowServer()  # the native KFP pipeline only
