"""Parameters of the taxi detection pipeline (`parameters.config` in zenml_config/)."""

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from model_factory.config import DbUrl, KubeflowRegistration, StrictModel
from model_factory.errors import InputError
from model_factory.validation import ValueRange

Feature = Literal["ride_dist", "ride_time", "ride_speed"]
DEFAULT_FEATURES: list[Feature] = ["ride_dist", "ride_time"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_run_date(value: str) -> date:
    """`YYYY-MM-DD` (nothing else: no `20240601`, no time part) as a date, else an InputError."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise InputError(f"run date must be YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"run date {value!r} is not a calendar date ({exc})") from exc


class SimulatorConfig(StrictModel):
    """Size of each synthetic set (a day's rides, the reference window, the evaluation set).

    DBSCAN's eps and min_samples are densities: keep the sets about as large as a real day.
    At most 10M rides per set, the largest size measured (benchmarks/taxi_anomaly_rule.py):
    beyond it a run would take the machine's memory before it failed.
    """

    n_rides: int = Field(10_000, ge=100, le=10_000_000)
    anomaly_fraction: float = Field(0.01, gt=0, lt=0.5)


class DetectorConfig(StrictModel):
    """DBSCAN semantics on standardised features: noise (-1) is an anomaly.

    With a fixed `min_samples`, a bigger batch is a denser one: at 1M rides most planted
    anomalies have 10 neighbours within eps and form clusters of their own (F1 0.04, against
    0.97 at 10k). `min_samples_fraction` keeps the density threshold relative to the batch, so
    "anomaly" means the same thing at any size (F1 0.97-0.98 from 10k to 10M rides).
    """

    eps: float = Field(0.3, gt=0)
    min_samples: int = Field(10, ge=1)
    min_samples_fraction: float | None = Field(
        0.001,
        gt=0,
        lt=1,
        description="a ride is core with max(min_samples, round(fraction * batch size)) rides "
        "within eps; null = min_samples alone (the book's rule, ch. 1 and 9, which scale breaks)",
    )
    features: list[Feature] = DEFAULT_FEATURES

    @field_validator("features")
    @classmethod
    def _distinct(cls, features: list[str]) -> list[str]:
        if not features or len(set(features)) != len(features):
            raise ValueError("features must be a non-empty list without repeats")
        return features


Measure = Literal["ride_dist", "ride_time"]
# Plausible measures of one ride. The floor on ride_time bounds the derived speed (a ride of
# 1e-320 minutes would be infinitely fast); the ceilings keep sums and distances finite.
RIDE_RANGES: dict[Measure, ValueRange] = {
    "ride_dist": ValueRange(min=0.001, max=1_000.0),  # km: 1 m to a long day's drive
    "ride_time": ValueRange(min=0.01, max=1_440.0),  # minutes: 0.6 s to a day
}


class TaxiDetectionConfig(StrictModel):
    run_date: str = Field(description="YYYY-MM-DD; seeds the synthetic rides and keys the rows")
    data_path: str | None = Field(
        None, description="CSV or Parquet with ride_id, ride_dist, ride_time; null = synthetic"
    )
    reference_path: str | None = Field(
        None,
        description="rides to fit the scaler on; null = the run's rides (data_path), or the "
        "synthetic reference window when the rides are synthetic too",
    )
    db_url: DbUrl = Field(
        None, description="SQLAlchemy URL; --db and $MODEL_FACTORY_DB_URL take precedence"
    )
    ranges: dict[Measure, ValueRange] = Field(
        default_factory=lambda: dict(RIDE_RANGES),
        description="plausible values (min, max) per measure; a measure left out keeps its default",
    )
    seed: int = 42
    simulator: SimulatorConfig = SimulatorConfig()
    detector: DetectorConfig = DetectorConfig()
    promote: bool = Field(
        True, description="offer a newly fitted version for staging (promotion.yaml)"
    )
    retrain: bool = Field(
        False,
        description="fit and register a version even when production exists; production still "
        "labels the day (model-factory retrain-if-drifted sets it)",
    )
    # The native KFP pipeline only: with a ZenML server, it labels with the production detector
    # (or fits and registers one), as the ZenML pipeline does.
    kubeflow: KubeflowRegistration = KubeflowRegistration()

    @field_validator("run_date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        parse_run_date(value)
        return value

    @field_validator("ranges")
    @classmethod
    def _every_measure(cls, ranges: dict) -> dict:
        return {**RIDE_RANGES, **ranges}

    @property
    def day(self) -> date:
        return parse_run_date(self.run_date)
