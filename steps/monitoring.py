"""ZenML steps of the monitor pipelines, one set for every use case: each step looks the use case
up from its config's type and calls its `model_factory.<use_case>.monitor` module."""

from typing import Annotated, Any

import pandas as pd
from zenml import step
from zenml.types import HTMLString

from model_factory import outputs, use_cases
from model_factory.drift import report
from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.integrations.zenml_drift import record

# Any use case's monitor config; ZenML rebuilds the right type from the fields a run recorded.
MonitorConfig = use_cases.monitor_config_union()


@step
def load_batch(config: MonitorConfig) -> Annotated[pd.DataFrame, "batch"]:
    return use_cases.monitor_of(config).load_batch(config)


@step
def check(
    batch: pd.DataFrame, profile: ReferenceProfile, model: Any, config: MonitorConfig, version: str
) -> tuple[Annotated[DriftReport, "drift_report"], Annotated[HTMLString, "drift_html"]]:
    monitor = use_cases.monitor_of(config)
    drift = monitor.check(batch, profile, model, config, version, monitor.source(config))
    html = report.html(drift)
    html_file = report.html_path(use_cases.by_name(drift.use_case).outputs)
    outputs.write_text(html_file, html)  # also a file, for the CLI
    return drift, HTMLString(html)


@step
def record_drift(drift_report: DriftReport, model_version_id: str) -> Annotated[dict, "metrics"]:
    """Log the summary on the monitored version; the metrics are the run's result."""
    record(drift_report, model_version_id)
    return drift_report.metrics()
