"""Store forecasting drift: a batch of actual sales against the production version."""

from zenml import pipeline

from model_factory.forecasting.monitor import ForecastMonitorConfig
from model_factory.forecasting.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from pipelines.monitoring import METRICS_STEP, REPORT_STEP, watch


@pipeline(enable_cache=False, on_failure=failure_hook)
def forecasting_monitor(config: ForecastMonitorConfig) -> None:
    watch(USE_CASE, config)


MONITOR = forecasting_monitor
__all__ = ["METRICS_STEP", "MONITOR", "REPORT_STEP"]
