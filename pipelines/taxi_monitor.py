"""Taxi drift: a run date's labelled rides against the production detector's reference."""

from zenml import pipeline

from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.taxi.monitor import TaxiMonitorConfig
from model_factory.taxi.use_case import USE_CASE
from pipelines.monitoring import METRICS_STEP, REPORT_STEP, watch


@pipeline(enable_cache=False, on_failure=failure_hook)
def taxi_monitor(config: TaxiMonitorConfig) -> None:
    watch(USE_CASE, config)


MONITOR = taxi_monitor
__all__ = ["METRICS_STEP", "MONITOR", "REPORT_STEP"]
