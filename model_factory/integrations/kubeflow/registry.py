"""A native Kubeflow training run joins the Model Control Plane: the last task of the pipeline
registers its model as a new version of the use case's ZenML Model, with what a ZenML training
run records (metrics, config, data fingerprint, git commit, holdout, contract) plus where it
came from (image, KFP run id and link), and artifacts ZenML can load (the fitted model and the
split's rows, which fair comparisons rescore or refit on). Then the version goes through the
same staging gate as a ZenML run's (`zenml_stages.offer_for_staging`).

The server comes from the compiled pipeline (`kubeflow.zenml_url` of the run config): the task
gets it as $ZENML_STORE_URL, and the API key as $ZENML_STORE_API_KEY from the Kubernetes Secret
`ZENML_SECRET` (key `api-key`). Under `submit --local` no Secret exists: the task inherits the
key from the environment `submit` runs in, if set (a SQL store URL needs none).

Native batch scoring reads from the same server, with the same Secret: `staged_reference`
writes the version in a stage as `model-factory export-reference` writes the production one.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

ZENML_SECRET = "model-factory-zenml"
SECRET_KEY = "api-key"
API_KEY_ENV = "ZENML_STORE_API_KEY"
URL_ENV = "ZENML_STORE_URL"
# The image the task runs, set when compiling (compiler._with_image). This module imports
# neither kfp nor zenml at the top: the compiler reads these names, the task runs the functions.
IMAGE_ENV = "MODEL_FACTORY_IMAGE"


@dataclass(frozen=True)
class KfpRun:
    """The run that trained the model, as KFP names it to its tasks."""

    run_id: str  # dsl.PIPELINE_JOB_ID_PLACEHOLDER
    run_name: str  # dsl.PIPELINE_JOB_NAME_PLACEHOLDER
    ui_url: str | None  # the KFP UI's base URL, if configured

    def metadata(self, image: str | None) -> dict[str, Any]:
        """What the version records about the run; the link and image only when known (ZenML
        metadata has no null)."""
        url = f"{self.ui_url.rstrip('/')}/#/runs/details/{self.run_id}" if self.ui_url else None
        known = {"kfp_run_id": self.run_id, "kfp_run_name": self.run_name, "kfp_run_url": url,
                 "image": image, "trained_by": "kubeflow"}  # fmt: skip
        return {key: value for key, value in known.items() if value is not None}


def register(
    use_case: str,
    run: KfpRun,
    metadata: dict[str, Any],
    artifacts: dict[str, tuple[Any, type]] | Callable[[str], dict[str, tuple[Any, type]]],
    *,
    promote: bool,
    stack: str | None = None,
) -> dict[str, Any]:
    """A new version of `use_case`'s model with `metadata` (must hold `metrics`) and `artifacts`
    (name -> (value, ZenML materializer), named: outside a step ZenML's own registry falls back
    to pickles; or a function of the version's name, for a model that records its own version);
    returns its name and id, and the gate's decision."""
    import os

    from zenml import Model, link_artifact_to_model, log_metadata, save_artifact
    from zenml.client import Client

    from model_factory import use_cases
    from model_factory.integrations import zenml_stages
    from model_factory.integrations.zenml_lookup import find_model

    client = Client()
    if stack is not None:
        client.activate_stack(stack)  # its artifact store: where every reader can load from
    name = use_cases.by_name(use_case).model_name
    model = find_model(name) or client.create_model(name=name)
    version = client.create_model_version(model.id, description=f"Kubeflow run {run.run_id}")
    target = Model(name=name, version=version.name)
    if callable(artifacts):
        artifacts = artifacts(version.name)
    for artifact, (value, materializer) in artifacts.items():
        saved = save_artifact(value, name=artifact, materializer=materializer)
        link_artifact_to_model(saved, model=target)
    # Metadata once the artifacts are linked: until a version has `metrics`, the gate and the
    # listings skip it as unfinished (zenml_stages.failed).
    log_metadata(
        metadata={**metadata, **run.metadata(os.environ.get(IMAGE_ENV))},
        model_version_id=version.id,
    )
    decision = zenml_stages.offer_for_staging(name, use_case, version.name, promote)
    return {"model_version": version.name, "model_version_id": str(version.id),
            "promotion": decision}  # fmt: skip


# What `components.bank_training.evaluate` records on its metrics JSON and a ZenML run records
# on its version too (KFP stores numbers as floats: `n_train` is made an int again).
BANK_RECORDED = ("data_fingerprint", "git_commit", "search", "missing_values", "contract")


def register_bank(
    run: KfpRun,
    config_json: str,
    metrics_path: str,
    recorded: dict[str, Any],
    paths: dict[str, str],
    *,
    promote: bool,
    stack: str | None = None,
) -> dict[str, Any]:
    """The bank training run's classifier (`paths`: model, train_set, test_set and the
    validated dataset as the pipeline wrote them) as a version of bank_marketing_classifier,
    with the reference profile the monitors and `export-reference` read."""
    import json
    from pathlib import Path

    import joblib
    import pandas as pd
    from zenml.integrations.sklearn.materializers.sklearn_materializer import (
        SklearnMaterializer,
    )
    from zenml.materializers.pandas_materializer import PandasMaterializer
    from zenml.materializers.pydantic_materializer import PydanticMaterializer

    from model_factory.bank import comparison, monitor
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.bank.use_case import USE_CASE

    config = BankTrainingConfig.model_validate_json(config_json)
    metadata = {
        "metrics": json.loads(Path(metrics_path).read_text()),
        "config": config.model_dump(mode="json"),
        "holdout": comparison.holdout(config),
        "n_train": int(recorded["n_train"]),
        **{key: recorded[key] for key in BANK_RECORDED},
    }
    classifier, test_set = joblib.load(paths["model"]), pd.read_parquet(paths["test_set"])
    dataset = pd.read_parquet(paths["dataset"])
    profile = monitor.build_profile(dataset, test_set, classifier, config, metadata["metrics"])
    artifacts = {
        USE_CASE.model_artifact: (classifier, SklearnMaterializer),
        "train_set": (pd.read_parquet(paths["train_set"]), PandasMaterializer),
        "test_set": (test_set, PandasMaterializer),
        "reference_profile": (profile, PydanticMaterializer),
    }
    return register(USE_CASE.name, run, metadata, artifacts, promote=promote, stack=stack)


# What `components.forecasting_training.evaluate` records on its metrics JSON besides the window's
# dates, as a ZenML run records them on its version.
FORECAST_RECORDED = ("data_fingerprint", "git_commit", "candidates")


def register_forecasting(
    run: KfpRun,
    metrics_path: str,
    recorded: dict[str, Any],
    paths: dict[str, Any],
    *,
    promote: bool,
    stack: str | None = None,
) -> dict[str, Any]:
    """The forecasting run's merged forecaster (`paths`: run_config, model, the
    groups' holdout_forecasts and sales, as the pipeline wrote them) as a version of
    store_sales_forecaster, with the reference profile the monitors and `export-reference`
    read."""
    import json
    from pathlib import Path

    import pandas as pd
    from zenml.materializers.pandas_materializer import PandasMaterializer
    from zenml.materializers.pydantic_materializer import PydanticMaterializer

    from model_factory.forecasting import comparison, data, forecaster, monitor, train
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.forecasting.use_case import USE_CASE
    from model_factory.integrations.forecast_materializer import StoreForecasterMaterializer

    config = ForecastTrainingConfig.model_validate_json(Path(paths["run_config"]).read_text())
    sales = pd.read_parquet(paths["sales"])
    window = data.windows(sales, config)
    cutoffs = train.cutoffs(window, config)
    metadata = {
        "metrics": json.loads(Path(metrics_path).read_text()),
        "config": config.model_dump(mode="json"),
        "holdout": comparison.holdout(window, cutoffs["training_cutoff"]),
        **window.as_metadata(),
        **cutoffs,
        **{key: recorded[key] for key in FORECAST_RECORDED},
    }
    holdout = pd.concat([pd.read_parquet(p) for p in paths["holdout_forecasts"]], ignore_index=True)
    model = forecaster.load(Path(paths["model"]))
    artifacts = {
        USE_CASE.model_artifact: (model, StoreForecasterMaterializer),
        "holdout_forecasts": (holdout, PandasMaterializer),
        "sales": (sales, PandasMaterializer),
        "reference_profile": (
            monitor.build_profile(holdout, metadata["metrics"]),
            PydanticMaterializer,
        ),
    }
    return register(USE_CASE.name, run, metadata, artifacts, promote=promote, stack=stack)


def taxi_detector(
    run: KfpRun, config_json: str, *, promote: bool, stack: str | None = None
) -> tuple[Any, dict[str, Any]]:
    """The taxi detector a KFP run labels with, as the ZenML pipeline chooses it: the version
    in production on the server, else one fitted on the reference window and registered as a
    new version (offered for staging, as a ZenML fit is). Returns the detector (its `version`
    the ZenML version's name) and what the run records about it (version, id, source, and for a
    fit its evaluation scores)."""
    from zenml.client import Client
    from zenml.materializers.pandas_materializer import PandasMaterializer
    from zenml.materializers.pydantic_materializer import PydanticMaterializer

    from model_factory import provenance
    from model_factory.integrations.zenml_lookup import stage_version, version_artifact
    from model_factory.taxi import comparison, data, fitting, model, monitor
    from model_factory.taxi.config import TaxiDetectionConfig
    from model_factory.taxi.use_case import USE_CASE

    if stack is not None:
        Client().activate_stack(stack)
    production = stage_version(USE_CASE.model_name, "production")
    if production is not None:
        detector = version_artifact(production, USE_CASE.model_artifact).load()
        logger.info("labelling with %s version %s, in production on %s", USE_CASE.model_name,
                    production.name, Client().zen_store.url)  # fmt: skip
        return detector, {"source": "production", "version": production.name,
                          "model_version_id": str(production.id),
                          "reference": f"production:{production.name}"}  # fmt: skip
    logger.info("no %s version in production on %s: fitting one on the reference window and "
                "registering it", USE_CASE.model_name, Client().zen_store.url)  # fmt: skip
    config = TaxiDetectionConfig.model_validate_json(config_json)
    fitted = fitting.fit(config)
    evaluation_fingerprint = provenance.data_fingerprint(fitted.evaluation)
    metadata = {
        "metrics": fitted.scores,
        "config": config.model_dump(mode="json"),
        "data_fingerprint": provenance.data_fingerprint(fitted.reference),
        "git_commit": provenance.git_commit(),
        "n_reference": len(fitted.reference),
        "evaluation_fingerprint": evaluation_fingerprint,
        "holdout": comparison.holdout(evaluation_fingerprint),
    }
    named: dict[str, Any] = {}

    def artifacts(version: str) -> dict[str, tuple[Any, type]]:
        named["detector"] = fitted.detector.model_copy(update={"version": version})
        labelled = model.label(fitted.reference, named["detector"])
        return {
            USE_CASE.model_artifact: (named["detector"], PydanticMaterializer),
            "evaluation_rides": (fitted.evaluation, PandasMaterializer),
            "reference_profile": (
                monitor.build_profile(fitted.reference, labelled),
                PydanticMaterializer,
            ),
        }

    registered = register(USE_CASE.name, run, metadata, artifacts, promote=promote, stack=None)
    return named["detector"], {
        "source": "fitted",
        "version": registered["model_version"],
        "model_version_id": registered["model_version_id"],
        "reference": data.reference_source(config),
        "scores": fitted.scores,
        "promotion": registered["promotion"],
    }


def staged_reference(use_case: str, model_name: str, stage: str, folder: str) -> dict[str, Any]:
    """The version of `model_name` (`use_case`'s model, or one named in its scoring run config)
    in `stage` on the ZenML server, written to `folder` as `export-reference` writes the
    production version, so the scoring tasks read it as they read an exported folder. Returns
    what the run records about it (model, stage, version name and id). Reading only: the
    artifacts load from the store they were saved to, whatever the active stack."""
    from pathlib import Path

    from zenml.client import Client

    from model_factory import use_cases
    from model_factory.integrations.zenml_drift import monitored_version, write_reference

    version = monitored_version(model_name, stage)
    write_reference(use_cases.by_name(use_case), version, Path(folder))
    logger.info("scoring with %s version %s, in %s on %s", model_name, version.name, stage,
                Client().zen_store.url)  # fmt: skip
    return {"model": model_name, "stage": stage, "version": version.name,
            "model_version_id": str(version.id)}  # fmt: skip
