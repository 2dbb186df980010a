"""Bank marketing drift: a batch against the production version's reference profile."""

from zenml import pipeline

from model_factory.bank.monitor import BankMonitorConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from pipelines.monitoring import METRICS_STEP, REPORT_STEP, watch


@pipeline(enable_cache=False, on_failure=failure_hook)
def bank_monitor(config: BankMonitorConfig) -> None:
    watch(USE_CASE, config)


MONITOR = bank_monitor
__all__ = ["METRICS_STEP", "MONITOR", "REPORT_STEP"]
