"""Taxi anomaly detection on Kubeflow Pipelines: the ZenML pipeline's steps as KFP components.

With a ZenML server in the run config (`kubeflow.zenml_url`, compiled in), the detector comes
from its registry as in the ZenML pipeline: the version in production labels the day, and with
none there one is fitted on the reference window and registered (offered for staging); labels
carry the version's name. Without one, KFP has no registry: the detector (the scaler fitted on
the reference window, plus DBSCAN's parameters) is fitted on every run, from the same reference,
and labels carry `kfp-<run id>`, so rows lead back to the run holding the detector. Either way a
fit's evaluation F1 is logged as the run's model metrics. The staging database URL comes from a
Kubernetes Secret, never from an input or the YAML.
"""

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Metrics, Model, Output
from kfp.dsl.base_component import BaseComponent

from components.data import ingest, validate
from components.inputs import REGISTRATION, Inputs, registration, run_config
from components.platform import (
    component,
    object_store,
    reads_external_data,
    registration_inputs,
    resources,
    staging_db,
    zenml_registry,
)
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.use_cases import TAXI

# Not inputs: the URL comes from a Kubernetes Secret; promotion and drift-triggered retraining
# (`model-factory retrain-if-drifted`) are ZenML operations (docs/continuous-training.md); with a
# ZenML server (fixed when compiling) the detector comes from its registry.
INPUTS = Inputs(
    TaxiDetectionConfig, frozenset({"db_url", "promote", "retrain"}), compile_time=REGISTRATION
)
resolve_config = INPUTS.resolver(constants=REGISTRATION)


@component
def fit_detector(
    config_json: str,
    run_id: str,
    detector: Output[Model],
    evaluation: Output[Metrics],
) -> None:
    """Fit the scaler on the reference window; score F1 on the seeded evaluation rides."""
    import logging
    from pathlib import Path

    from model_factory import provenance
    from model_factory.integrations.kubeflow.artifacts import log_metrics
    from model_factory.taxi import fitting
    from model_factory.taxi.config import TaxiDetectionConfig

    config = TaxiDetectionConfig.model_validate_json(config_json)
    logging.getLogger(__name__).warning(
        "no ZenML server in the run config (kubeflow.zenml_url): fitting the detector on the "
        "reference window, labels carry kfp-%s",
        run_id,
    )
    fitted = fitting.fit(config)
    log_metrics(evaluation, fitted.scores)
    stored = fitted.detector.model_copy(update={"version": f"kfp-{run_id}"})
    Path(detector.path).write_text(stored.model_dump_json(indent=2))
    detector.metadata.update(
        version=stored.version,
        data_fingerprint=provenance.data_fingerprint(fitted.reference),
        evaluation_fingerprint=provenance.data_fingerprint(fitted.evaluation),
        git_commit=provenance.git_commit(),
    )


@component
def registered_detector(
    config_json: str,
    promote: bool,
    run_id: str,
    run_name: str,
    detector: Output[Model],
    evaluation: Output[Metrics],
) -> None:
    """The detector in production on the ZenML server; with none there, one fitted on the
    reference window and registered (its F1 logged), as the ZenML pipeline does."""
    from model_factory.integrations.kubeflow.artifacts import log_metrics
    from model_factory.integrations.kubeflow.registry import KfpRun, taxi_detector
    from model_factory.taxi.config import TaxiDetectionConfig

    where = TaxiDetectionConfig.model_validate_json(config_json).kubeflow
    run = KfpRun(run_id, run_name, where.ui_url)
    chosen, recorded = taxi_detector(run, config_json, promote=promote, stack=where.zenml_stack)
    log_metrics(evaluation, recorded.pop("scores", {}))
    with open(detector.path, "w") as file:
        file.write(chosen.model_dump_json(indent=2))
    detector.metadata.update(recorded)


@component
def label(
    config_json: str,
    rides: Input[Dataset],
    detector: Input[Model],
    labels: Output[Dataset],
    anomaly_plot: Output[HTML],
) -> None:
    from model_factory.integrations.kubeflow import artifacts
    from model_factory.taxi import evaluate, model
    from model_factory.taxi.config import TaxiDetectionConfig
    from model_factory.taxi.model import TaxiDetector

    config = TaxiDetectionConfig.model_validate_json(config_json)
    fitted = artifacts.read_json(detector, TaxiDetector)
    frame = model.label(artifacts.read_table(rides), fitted)
    artifacts.write_table(frame, labels)
    if "reference" in detector.metadata:  # a registered detector: production or a new fit
        labels.metadata["reference"] = detector.metadata["reference"]
    figure = evaluate.anomaly_figure(frame, config.run_date)
    artifacts.write_html(anomaly_plot, figure, f"Taxi rides {config.run_date}")


@component
def write_labels(
    config_json: str,
    labels: Input[Dataset],
    metrics: Output[Metrics],
    metrics_json: Output[Artifact],
) -> None:
    """Replace the run date's rows in `taxi_ride_labels` at $MODEL_FACTORY_DB_URL."""
    from datetime import UTC, datetime

    from model_factory import sql
    from model_factory.integrations.kubeflow import artifacts
    from model_factory.paths import resolve_db_url
    from model_factory.taxi import data, evaluate, sink
    from model_factory.taxi.config import TaxiDetectionConfig

    config = TaxiDetectionConfig.model_validate_json(config_json)
    frame = artifacts.read_table(labels)
    url = resolve_db_url(None, None)
    engine = sql.engine_for(url)
    try:
        written = sink.replace_day(engine, frame, config.day, datetime.now(UTC))
    finally:
        engine.dispose()
    summary = evaluate.summarise(frame)
    artifacts.log_metrics(metrics, summary)
    report = {
        **summary,
        "model_version": str(frame["model_version"].iloc[0]),
        "run_date": config.run_date,
        "reference": labels.metadata.get("reference") or data.reference_source(config),
        "rows_written": written,
        "table": sink.LABELS.name,
        "db_url": sql.safe_url(url),
    }
    artifacts.write_json(metrics_json, report)


def detection_pipeline(compiled: TaxiDetectionConfig) -> BaseComponent:
    """The pipeline; with `kubeflow.zenml_url` set in the run config, the detector comes from
    that ZenML server's registry (fixed when compiling; without it, it is fitted every run)."""

    @INPUTS.pipeline(
        name="taxi-detection",
        description="Taxi rides of one run date: ingest, validate, fit the detector, label, write.",
        alert=TAXI.model_name,
    )
    def taxi_detection(inputs: dict) -> None:
        """Inputs are `parameters.config` of zenml_config/taxi_detection.yaml, flattened, except
        `db_url` (the staging database comes from the Secret in components/platform.py) and
        `kubeflow`, `promote` (compiled in)."""
        config = run_config(resolve_config, inputs, **registration(compiled))
        raw = reads_external_data(ingest(config_json=config).set_display_name("Read the rides"))
        checked = validate(config_json=config, raw_data=raw.outputs["raw_data"])
        rides = checked.set_display_name("Validate the rides").outputs["dataset"]
        if compiled.kubeflow.zenml_url:  # not retried: a retry would register another
            fit = zenml_registry(
                object_store(  # a fit reads the reference window
                    registered_detector(config_json=config, **registration_inputs(compiled.promote))
                ),
                compiled.kubeflow.zenml_url,
            ).set_display_name("Load the production detector from ZenML, or fit and register one")
        else:
            fit = reads_external_data(
                fit_detector(config_json=config, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER)
            ).set_display_name("Fit the detector on the reference window")
        resources(fit, cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi")
        labelled = resources(
            label(config_json=config, rides=rides, detector=fit.outputs["detector"]),
            cpu="1", memory="2Gi", cpu_limit=1, memory_limit="4Gi",
        ).set_display_name("Label the rides")  # fmt: skip
        written = staging_db(write_labels(config_json=config, labels=labelled.outputs["labels"]))
        written.set_display_name("Write the labels to the staging database")

    return taxi_detection
