"""ZenML steps of the taxi detection pipeline: adapters over `model_factory.taxi`."""

import logging
from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
from PIL import Image
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from model_factory import plots, provenance, sql
from model_factory.drift.profile import ReferenceProfile
from model_factory.integrations.zenml_models import record_training
from model_factory.paths import resolve_db_url
from model_factory.taxi import comparison, evaluate, fitting, model, monitor, sink
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.taxi.model import TaxiDetector
from model_factory.taxi.use_case import USE_CASE

logger = logging.getLogger(__name__)

DETECTOR_ARTIFACT = USE_CASE.model_artifact
# Typed as a model artifact, so the model version lists it among its models, not its data.
DetectorArtifact = Annotated[
    TaxiDetector, ArtifactConfig(name=DETECTOR_ARTIFACT, artifact_type=ArtifactType.MODEL)
]


@step
def fit_detector(
    config: TaxiDetectionConfig,
) -> tuple[
    DetectorArtifact,
    Annotated[pd.DataFrame, "evaluation_rides"],
    Annotated[ReferenceProfile, "reference_profile"],
    Annotated[dict, "fit_metrics"],
]:
    """Fit the scaler on the reference window, score F1 on the evaluation set, register.

    Runs when the model has no production version, or when the run retrains (the pipeline
    decides when the run is submitted). The new version goes at most to staging: until one is
    promoted to production, every run fits and registers one, so each day is scored by a
    detector fitted on the same reference. The evaluation rides are an output so a later
    version can re-score this one; `fit_metrics` (F1 and the version) feeds the promote step.
    """
    fitted = fitting.fit(config)
    evaluation_fingerprint = provenance.data_fingerprint(fitted.evaluation)
    version = record_training(
        fitted.scores,
        config,
        provenance.data_fingerprint(fitted.reference),
        n_reference=len(fitted.reference),
        evaluation_fingerprint=evaluation_fingerprint,
        holdout=comparison.holdout(evaluation_fingerprint),
    )
    detector = fitted.detector.model_copy(update={"version": version})
    profile = monitor.build_profile(fitted.reference, model.label(fitted.reference, detector))
    return detector, fitted.evaluation, profile, {**fitted.scores, "model_version": version}


@step
def label(
    rides: pd.DataFrame, detector: TaxiDetector, config: TaxiDetectionConfig
) -> tuple[Annotated[pd.DataFrame, "labels"], Annotated[Image.Image, "anomaly_plot"]]:
    if detector.params() != config.detector:
        logger.warning(
            "Using model version %s as registered (%s); the run config's detector section "
            "(%s) applies only when a version is fitted.",
            detector.version,
            detector.params(),
            config.detector,
        )
    labels = model.label(rides, detector)
    figure = evaluate.anomaly_figure(labels, config.run_date)
    image = plots.save(figure, evaluate.plot_path(config.run_date))
    return labels, image


@step
def write_labels(
    labels: pd.DataFrame, config: TaxiDetectionConfig, reference: str
) -> Annotated[dict, "metrics"]:
    """Replace the run date's rows in `taxi_ride_labels`; the DB URL is resolved here, at run
    time, so a password from $MODEL_FACTORY_DB_URL never lands in ZenML's run config.
    `reference`: which rides the labelling detector was standardised on."""
    url = resolve_db_url(None, config.db_url)
    engine = sql.engine_for(url)
    try:
        written = sink.replace_day(engine, labels, config.day, datetime.now(UTC))
    finally:
        engine.dispose()
    return {
        **evaluate.summarise(labels),
        "model_version": str(labels["model_version"].iloc[0]),
        "run_date": config.run_date,
        "reference": reference,
        "rows_written": written,
        "table": sink.LABELS.name,
        "db_url": sql.safe_url(url),
    }
