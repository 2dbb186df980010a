"""Store sales continuous training on Kubeflow: check a batch of actual sales against the
production reference (profile, forecaster, version name) and, only on drift, run
`components.store_forecasting.training_pipeline` itself on the sales plus the batch
(components/monitoring.py)."""

from kfp import dsl
from kfp.dsl.base_component import BaseComponent

from components.monitoring import check_then_retrain
from components.platform import alert_on_failure, component
from components.store_forecasting import training_pipeline
from model_factory.continuous import ForecastMonitorAndRetrain
from model_factory.forecasting.monitor import MODEL_NAME


@component
def resolve_config(
    reference_uri: str,
    monitor_data_path: str,
    monitor_drift_psi: float,
    monitor_drift_p_value: float,
    monitor_drift_bins: int,
    monitor_drift_reference_sample: int,
    monitor_store_level: float,
    monitor_promo_effect: float,
    monitor_weekly_profile: float,
    monitor_max_rmspe_increase: float,
    retraining_data_path: str,
    retraining_store_path: str,
    retraining_synthetic_n_stores: int,
    retraining_synthetic_n_days: int,
    retraining_synthetic_start_date: str,
    retraining_synthetic_seed: int,
    retraining_store_ids: list,
    retraining_ranges: dict,
    retraining_holdout_days: int,
    retraining_validation_days: int,
    retraining_selection_windows: int,
    retraining_holiday_country: str,
    retraining_min_train_days: int,
    retraining_candidates: list,
    retraining_interval_width: float,
    retraining_prophet_yearly_fourier_order: int,
    retraining_prophet_changepoint_prior_scale: float,
    retraining_prophet_seasonality_prior_scale: float,
    retraining_prophet_holidays_prior_scale: float,
    retraining_prophet_regressor_prior_scale: float,
    retraining_prophet_uncertainty_samples: int,
    retraining_prophet_holiday_windows: dict,
    retraining_refit_on_all_data: bool,
    retraining_kubeflow_store_groups: int,
    retraining_kubeflow_parallelism: int,
    retraining_seed: int,
    retraining_n_jobs: int,
    retraining_plot_stores: int,
) -> str:
    """Validate the run's inputs once; every later task reads the config from this JSON."""
    inputs = dict(locals())  # first statement: exactly the inputs above
    from model_factory.continuous import ForecastMonitorAndRetrain
    from model_factory.flat_config import unflatten

    return unflatten(ForecastMonitorAndRetrain, inputs).model_dump_json()


CLOSURE = ("training", "kubeflow_parallelism")  # what `monitor_pipeline` sees besides its inputs


def monitor_pipeline(
    kubeflow_parallelism: int, compiled: ForecastMonitorAndRetrain | None = None
) -> BaseComponent:
    """The pipeline; the nested training runs at most `kubeflow_parallelism` group tasks at
    once (a compile-time constant, from forecast_training.yaml's `kubeflow.parallelism`), and
    registers its model when that file names a ZenML server (`kubeflow.zenml_url`)."""
    # Nested: this pipeline alerts its failures.
    training = training_pipeline(
        kubeflow_parallelism, compiled.retraining if compiled else None, nested=True
    )

    @dsl.pipeline(
        name="store-forecasting-monitor",
        description="Store sales: drift of actual sales against the production reference; on "
        "drift, the training pipeline on the sales plus the batch.",
    )
    @alert_on_failure(MODEL_NAME)
    def store_forecasting_monitor(
        reference_uri: str,
        monitor_data_path: str,
        monitor_drift_psi: float,
        monitor_drift_p_value: float,
        monitor_drift_bins: int,
        monitor_drift_reference_sample: int,
        monitor_store_level: float,
        monitor_promo_effect: float,
        monitor_weekly_profile: float,
        monitor_max_rmspe_increase: float,
        retraining_data_path: str,
        retraining_store_path: str,
        retraining_synthetic_n_stores: int,
        retraining_synthetic_n_days: int,
        retraining_synthetic_start_date: str,
        retraining_synthetic_seed: int,
        retraining_store_ids: list,
        retraining_ranges: dict,
        retraining_holdout_days: int,
        retraining_validation_days: int,
        retraining_selection_windows: int,
        retraining_holiday_country: str,
        retraining_min_train_days: int,
        retraining_candidates: list,
        retraining_interval_width: float,
        retraining_prophet_yearly_fourier_order: int,
        retraining_prophet_changepoint_prior_scale: float,
        retraining_prophet_seasonality_prior_scale: float,
        retraining_prophet_holidays_prior_scale: float,
        retraining_prophet_regressor_prior_scale: float,
        retraining_prophet_uncertainty_samples: int,
        retraining_prophet_holiday_windows: dict,
        retraining_refit_on_all_data: bool,
        retraining_kubeflow_store_groups: int,
        retraining_seed: int,
        retraining_n_jobs: int,
        retraining_plot_stores: int,
    ) -> None:
        """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from
        forecast_monitor.yaml and `retraining_*` from forecast_training.yaml, flattened, except
        `kubeflow.parallelism` (compiled in)."""
        # First statement: the pipeline inputs, and the closure variables read below, which
        # Python counts as locals (`training`, the compile-time `kubeflow_parallelism`).
        inputs = {k: v for k, v in locals().items() if k not in CLOSURE}
        config = (
            resolve_config(**inputs, retraining_kubeflow_parallelism=kubeflow_parallelism)
            .set_display_name("Check the run config")
            .output
        )
        check_then_retrain(MODEL_NAME, config, inputs, training)

    return store_forecasting_monitor
