"""Drift of the taxi detector: ride distance, time and speed of a run date's labelled rides
against the reference window the scaler was fitted on, and the day's anomaly rate against the
reference's (no labels exist for real rides, so the rate stands in for performance)."""

from datetime import date

import pandas as pd
from pydantic import Field

from model_factory import sql
from model_factory.config import DbUrl, StrictModel
from model_factory.drift import compare
from model_factory.drift.config import DriftThresholds
from model_factory.drift.profile import ReferenceProfile, feature_profiles, require_batch
from model_factory.drift.report import DriftReport, new_report
from model_factory.errors import InputError
from model_factory.paths import resolve_db_url
from model_factory.taxi import sink
from model_factory.taxi.config import parse_run_date
from model_factory.taxi.use_case import USE_CASE

FEATURES = ["ride_dist", "ride_time", "ride_speed"]


class TaxiMonitorConfig(StrictModel):
    run_date: str = Field(description="YYYY-MM-DD: the day of taxi_ride_labels to check")
    db_url: DbUrl = Field(
        None, description="SQLAlchemy URL; --db and $MODEL_FACTORY_DB_URL take precedence"
    )
    drift: DriftThresholds = DriftThresholds()
    max_anomaly_rate_increase: float = Field(
        0.01, gt=0, description="the day's anomaly rate above the reference's by more: drift"
    )

    @property
    def day(self) -> date:
        return parse_run_date(self.run_date)


def build_profile(
    reference: pd.DataFrame, labels: pd.DataFrame, thresholds: DriftThresholds = DriftThresholds()
) -> ReferenceProfile:
    """`reference`: validated reference rides; `labels`: the detector's labels of them."""
    return ReferenceProfile(
        use_case=USE_CASE.name,
        n_rows=len(reference),
        **feature_profiles(reference, FEATURES, [], thresholds),
        anomaly_rate=float(labels["is_anomaly"].mean()),
    )


def load_batch(config: TaxiMonitorConfig) -> pd.DataFrame:
    """The run date's labelled rides; the DB URL is resolved here, at run time, so a password
    stays out of ZenML's records."""
    return read_day(resolve_db_url(None, config.db_url), config.day)


def source(config: TaxiMonitorConfig) -> str:
    """How a drift report names the batch."""
    return f"{sink.LABELS.name} {config.run_date}"


def read_day(url: str, day: date) -> pd.DataFrame:
    """The day's rows of taxi_ride_labels; none is an InputError (run `detect` first)."""
    engine = sql.engine_for(url)
    try:
        rows = sink.read_day(engine, day)
    finally:
        engine.dispose()
    if rows.empty:
        raise InputError(
            f"{sink.LABELS.name} has no rows for {day.isoformat()} in {sql.safe_url(url)} "
            "(label them first: `model-factory detect taxi --run-date ...`)"
        )
    return rows


def check(
    batch: pd.DataFrame,
    profile: ReferenceProfile,
    detector,
    config: TaxiMonitorConfig,
    version: str,
    source: str,
) -> DriftReport:
    """`detector` is not needed: the batch holds the labels the production detector wrote (the
    argument keeps every use case's monitor callable the same way)."""
    require_batch(batch, profile, source)
    checks = compare.features(profile, batch, config.drift)
    rate = float(batch["is_anomaly"].astype(bool).mean())
    checks.append(
        compare.performance(
            "anomaly_rate",
            profile.anomaly_rate,
            rate,
            config.max_anomaly_rate_increase,
            higher_is_better=False,
        )
    )
    return new_report(USE_CASE, profile, checks, version, source, len(batch))
