"""Taxi ride anomaly detection for one run date: ingest, validate, load or fit, label, write."""

from zenml import Model, pipeline

from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_lookup import stage_version, version_artifact
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.taxi.data import reference_source
from model_factory.taxi.use_case import USE_CASE
from steps import taxi_detection as s
from steps.data import ingest, validate
from steps.promotion import promote

MODEL = Model(
    name=USE_CASE.model_name,
    description="Taxi ride anomalies: a scaler fitted on a reference window + DBSCAN parameters",
    tags=["taxi", "anomaly_detection"],
)


@pipeline(enable_cache=False, on_failure=failure_hook)
def taxi_detection(config: TaxiDetectionConfig) -> None:
    """Score a day's rides with the production detector, or fit and register one if none.

    The choice is made when the run is submitted (this body runs then), so only fitting runs
    create a model version; runs that use the production version read its `taxi_detector`
    artifact, which shows as the run's input. Do not set `model:` in the run config: it would
    make every run create an empty version. With `retrain` a run does both: production labels
    the day, and a version fitted on the configured reference is offered for staging. A fitted
    detector is standardised on the configured reference, else on the run's own rides file,
    else (synthetic rides) on the synthetic window; the metrics' `reference` says which.
    """
    rides = validate(ingest(config), config)
    production = stage_version(MODEL.name, "production")
    fits = production is None or config.retrain
    if fits:
        fitted, _, _, fit_metrics = s.fit_detector.with_options(model=MODEL)(config)
    detector = fitted if production is None else version_artifact(production, s.DETECTOR_ARTIFACT)
    reference = reference_source(config) if production is None else f"production:{production.name}"
    labels, _ = s.label(rides, detector, config)
    s.write_labels(labels, config, reference)
    if fits:  # a fitted version is offered for staging like any trained model
        promote(fit_metrics, use_case=USE_CASE.name, enabled=config.promote, model=MODEL.name)


DETECTION = taxi_detection
METRICS_STEP = "write_labels"
