"""Store sales continuous training on Kubeflow: check a batch of actual sales against the
production reference and, only on drift, run the training pipeline on the sales plus the batch.

As in components/bank_monitor.py: the production reference (profile, forecaster, version name)
is the folder at `reference_uri`, imported as an artifact; the training is
`components.store_forecasting.training_pipeline` itself, nested under `dsl.If`, with the
`retraining_*` inputs except `data_path` (the window `retraining-window` wrote).
"""

from kfp import dsl
from kfp.dsl.base_component import BaseComponent

from components.platform import component, nested_inputs, reads_external_data, resources
from components.store_forecasting import training_pipeline


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
    monitor_max_rmspe_increase: float,
    retraining_data_path: str,
    retraining_store_path: str,
    retraining_synthetic_n_stores: int,
    retraining_synthetic_n_days: int,
    retraining_synthetic_start_date: str,
    retraining_synthetic_seed: int,
    retraining_store_ids: list,
    retraining_holdout_days: int,
    retraining_validation_days: int,
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


@component
def check(
    config_json: str,
    reference: dsl.Input[dsl.Artifact],
    metrics: dsl.Output[dsl.Metrics],
    metrics_json: dsl.Output[dsl.Artifact],
    drift_report: dsl.Output[dsl.HTML],
) -> bool:
    """Drifted or not: per-store level and promotion effect, forecast distribution and RMSPE of
    the batch against the reference (the verdict is `Output`: see components/platform.py)."""
    from pathlib import Path

    from model_factory import continuous
    from model_factory.forecasting import monitor

    config = continuous.ForecastMonitorAndRetrain.model_validate_json(config_json)
    drift = continuous.check(config, Path(reference.path), monitor)
    continuous.write_outcome(drift, metrics_json.path, drift_report.path)
    metrics.log_metric("drifted_checks", len(drift.drifted_checks))
    return drift.drifted


@component
def retraining_window(config_json: str, window: dsl.Output[dsl.Dataset]) -> str:
    """The retraining sales extended by the batch; returns its URI, the training's `data_path`."""
    from model_factory import continuous

    config = continuous.ForecastMonitorAndRetrain.model_validate_json(config_json)
    frame = continuous.forecast_window(config)
    frame.to_csv(window.path, index=False)
    window.metadata["rows"] = len(frame)
    return window.uri


CLOSURE = ("training", "kubeflow_parallelism")  # what `monitor_pipeline` sees besides its inputs


def monitor_pipeline(kubeflow_parallelism: int) -> BaseComponent:
    """The pipeline; the nested training runs at most `kubeflow_parallelism` group tasks at
    once (a compile-time constant, from forecast_training.yaml's `kubeflow.parallelism`)."""
    training = training_pipeline(kubeflow_parallelism)

    @dsl.pipeline(
        name="store-forecasting-monitor",
        description="Store sales: drift of actual sales against the production reference; on "
        "drift, the training pipeline on the sales plus the batch.",
    )
    def store_forecasting_monitor(
        reference_uri: str,
        monitor_data_path: str,
        monitor_drift_psi: float,
        monitor_drift_p_value: float,
        monitor_drift_bins: int,
        monitor_drift_reference_sample: int,
        monitor_store_level: float,
        monitor_promo_effect: float,
        monitor_max_rmspe_increase: float,
        retraining_data_path: str,
        retraining_store_path: str,
        retraining_synthetic_n_stores: int,
        retraining_synthetic_n_days: int,
        retraining_synthetic_start_date: str,
        retraining_synthetic_seed: int,
        retraining_store_ids: list,
        retraining_holdout_days: int,
        retraining_validation_days: int,
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
        config = resolve_config(
            **inputs, retraining_kubeflow_parallelism=kubeflow_parallelism
        ).output
        reference = dsl.importer(artifact_uri=reference_uri, artifact_class=dsl.Artifact)
        checked = resources(
            reads_external_data(check(config_json=config, reference=reference.output)),
            cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
        )  # fmt: skip
        with dsl.If(checked.outputs["Output"] == True, name="drifted"):  # noqa: E712 (KFP)
            window = reads_external_data(retraining_window(config_json=config))
            training(**nested_inputs(inputs, "retraining_", data_path=window.outputs["Output"]))

    return store_forecasting_monitor
