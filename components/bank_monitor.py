"""Bank marketing continuous training on Kubeflow: check a batch against the production
reference and, only on drift, run the training pipeline on the reference data plus the batch.

The production reference (profile, classifier, version name) is the folder at `reference_uri`,
imported as an artifact (a KFP run has no ZenML store; model_factory/continuous.py). The
training is `components.bank_marketing.bank_training` itself, nested under `dsl.If`; its inputs
are the `retraining_*` inputs, except `data_path`: the window the `retraining-window` task wrote.
"""

from kfp import dsl

from components.bank_marketing import bank_training
from components.platform import component, nested_inputs, reads_external_data, resources


@component
def resolve_config(
    reference_uri: str,
    monitor_data_path: str,
    monitor_csv_separator: str,
    monitor_drift_psi: float,
    monitor_drift_p_value: float,
    monitor_drift_bins: int,
    monitor_drift_reference_sample: int,
    monitor_max_roc_auc_drop: float,
    retraining_data_path: str,
    retraining_bundled_file: str,
    retraining_csv_separator: str,
    retraining_numeric_features: list,
    retraining_categorical_features: list,
    retraining_target: str,
    retraining_positive_label: str,
    retraining_test_fraction: float,
    retraining_split_salt: int,
    retraining_seed: int,
    retraining_sampler: str,
    retraining_search_n_candidates: int,
    retraining_search_cv_folds: int,
    retraining_search_factor: int,
    retraining_search_min_rows: int,
    retraining_search_n_jobs: int,
) -> str:
    """Validate the run's inputs once; every later task reads the config from this JSON."""
    inputs = dict(locals())  # first statement: exactly the inputs above
    from model_factory.continuous import BankMonitorAndRetrain
    from model_factory.flat_config import unflatten

    return unflatten(BankMonitorAndRetrain, inputs).model_dump_json()


@component
def check(
    config_json: str,
    reference: dsl.Input[dsl.Artifact],
    metrics: dsl.Output[dsl.Metrics],
    metrics_json: dsl.Output[dsl.Artifact],
    drift_report: dsl.Output[dsl.HTML],
) -> bool:
    """Drifted or not: the batch's features, probabilities and (with outcomes) ROC-AUC against
    the reference (the verdict is the `Output` parameter: see components/platform.py)."""
    from pathlib import Path

    from model_factory import continuous
    from model_factory.bank import monitor

    config = continuous.BankMonitorAndRetrain.model_validate_json(config_json)
    drift = continuous.check(config, Path(reference.path), monitor)
    continuous.write_outcome(drift, metrics_json.path, drift_report.path)
    metrics.log_metric("drifted_checks", len(drift.drifted_checks))
    return drift.drifted


@component
def retraining_window(config_json: str, window: dsl.Output[dsl.Dataset]) -> str:
    """The retraining data plus the batch; returns its URI, the nested training's `data_path`."""
    from model_factory import continuous

    config = continuous.BankMonitorAndRetrain.model_validate_json(config_json)
    frame = continuous.bank_window(config)
    frame.to_csv(window.path, sep=config.retraining.csv_separator, index=False)
    window.metadata["rows"] = len(frame)
    return window.uri


@dsl.pipeline(
    name="bank-monitor",
    description="Bank marketing: drift of a batch against the production reference; on drift, "
    "the training pipeline on the reference data plus the batch.",
)
def bank_monitor(
    reference_uri: str,
    monitor_data_path: str,
    monitor_csv_separator: str,
    monitor_drift_psi: float,
    monitor_drift_p_value: float,
    monitor_drift_bins: int,
    monitor_drift_reference_sample: int,
    monitor_max_roc_auc_drop: float,
    retraining_data_path: str,
    retraining_bundled_file: str,
    retraining_csv_separator: str,
    retraining_numeric_features: list,
    retraining_categorical_features: list,
    retraining_target: str,
    retraining_positive_label: str,
    retraining_test_fraction: float,
    retraining_split_salt: int,
    retraining_seed: int,
    retraining_sampler: str,
    retraining_search_n_candidates: int,
    retraining_search_cv_folds: int,
    retraining_search_factor: int,
    retraining_search_min_rows: int,
    retraining_search_n_jobs: int,
) -> None:
    """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from
    bank_monitor.yaml and `retraining_*` from bank_training.yaml, flattened."""
    inputs = dict(locals())  # first statement: exactly the pipeline inputs
    config = resolve_config(**inputs).output
    reference = dsl.importer(artifact_uri=reference_uri, artifact_class=dsl.Artifact)
    checked = resources(
        reads_external_data(check(config_json=config, reference=reference.output)),
        cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
    )  # fmt: skip
    with dsl.If(checked.outputs["Output"] == True, name="drifted"):  # noqa: E712 (a KFP condition)
        window = reads_external_data(retraining_window(config_json=config))
        bank_training(**nested_inputs(inputs, "retraining_", data_path=window.outputs["Output"]))
