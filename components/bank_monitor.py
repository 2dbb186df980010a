"""Bank marketing continuous training on Kubeflow: check a batch against the production
reference (profile, classifier, version name) and, only on drift, run
`components.bank_marketing.bank_training` itself on the reference data plus the batch
(components/monitoring.py), which registers its model as a training run does when configured."""

from kfp import dsl
from kfp.dsl.base_component import BaseComponent

from components.bank_marketing import training_pipeline
from components.monitoring import check_then_retrain
from components.platform import alert_on_failure, component
from model_factory.bank.monitor import MODEL_NAME
from model_factory.continuous import BankMonitorAndRetrain


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
    retraining_value_ranges: dict,
    retraining_min_class_rows: int,
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


def monitor_pipeline(compiled: BankMonitorAndRetrain) -> BaseComponent:
    """The pipeline; its nested retraining registers the new model with ZenML when the training
    run config names a server (`kubeflow.zenml_url`, fixed when compiling)."""
    # Built outside (KFP nests no definitions); this pipeline alerts its failures.
    training = training_pipeline(compiled.retraining, nested=True)

    @dsl.pipeline(
        name="bank-monitor",
        description="Bank marketing: drift of a batch against the production reference; on drift, "
        "the training pipeline on the reference data plus the batch.",
    )
    @alert_on_failure(MODEL_NAME)
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
        retraining_value_ranges: dict,
        retraining_min_class_rows: int,
        retraining_search_n_candidates: int,
        retraining_search_cv_folds: int,
        retraining_search_factor: int,
        retraining_search_min_rows: int,
        retraining_search_n_jobs: int,
    ) -> None:
        """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from
        bank_monitor.yaml and `retraining_*` from bank_training.yaml, flattened."""
        # First statement: locals() holds the pipeline inputs and the closure's `training`.
        inputs = {k: v for k, v in locals().items() if k != "training"}
        config = resolve_config(**inputs).set_display_name("Check the run config").output
        check_then_retrain(MODEL_NAME, config, inputs, training)

    return bank_monitor
