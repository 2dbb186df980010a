"""ZenML steps of the monitor pipelines: adapters over `model_factory.<use_case>.monitor`."""

from typing import Annotated

import pandas as pd
from sklearn.base import BaseEstimator
from zenml import step
from zenml.types import HTMLString

from model_factory import outputs
from model_factory.bank import monitor as bank
from model_factory.drift import report
from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.forecasting import monitor as forecasting
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.integrations.zenml_drift import record
from model_factory.paths import resolve_db_url
from model_factory.taxi import monitor as taxi


@step
def load_bank_batch(config: bank.BankMonitorConfig) -> Annotated[pd.DataFrame, "batch"]:
    return bank.load_batch(config)


@step
def check_bank(
    batch: pd.DataFrame,
    profile: ReferenceProfile,
    classifier: BaseEstimator,
    config: bank.BankMonitorConfig,
    version: str,
) -> tuple[Annotated[DriftReport, "drift_report"], Annotated[HTMLString, "drift_html"]]:
    drift = bank.check(batch, profile, classifier, config, version, config.data_path)
    html = publish(drift)
    return drift, html


@step
def load_forecast_batch(
    config: forecasting.ForecastMonitorConfig,
) -> Annotated[pd.DataFrame, "batch"]:
    return forecasting.load_batch(config)


@step
def check_forecasts(
    batch: pd.DataFrame,
    profile: ReferenceProfile,
    forecaster: StoreForecaster,
    config: forecasting.ForecastMonitorConfig,
    version: str,
) -> tuple[Annotated[DriftReport, "drift_report"], Annotated[HTMLString, "drift_html"]]:
    drift = forecasting.check(batch, profile, forecaster, config, version, config.data_path)
    html = publish(drift)
    return drift, html


@step
def load_taxi_batch(config: taxi.TaxiMonitorConfig) -> Annotated[pd.DataFrame, "batch"]:
    """The DB URL is resolved here, at run time, so a password stays out of ZenML's records."""
    return taxi.load_batch(resolve_db_url(None, config.db_url), config.day)


@step
def check_taxi(
    batch: pd.DataFrame, profile: ReferenceProfile, config: taxi.TaxiMonitorConfig, version: str
) -> tuple[Annotated[DriftReport, "drift_report"], Annotated[HTMLString, "drift_html"]]:
    drift = taxi.check(batch, profile, config, version, f"taxi_ride_labels {config.run_date}")
    html = publish(drift)
    return drift, html


@step
def record_drift(drift_report: DriftReport, model_version_id: str) -> Annotated[dict, "metrics"]:
    """Log the summary on the monitored version; the metrics are the run's result."""
    record(drift_report, model_version_id)
    return drift_report.metrics()


def publish(drift: DriftReport) -> HTMLString:
    """The HTML report, also written to the use case's outputs folder."""
    html = report.html(drift)
    outputs.write_text(report.html_path(drift.use_case), html)
    return HTMLString(html)
