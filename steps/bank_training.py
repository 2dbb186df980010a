"""ZenML steps of the bank marketing pipelines: adapters over `model_factory.bank`."""

from typing import Annotated

import pandas as pd
from PIL import Image
from sklearn.base import BaseEstimator
from zenml import step
from zenml.integrations.sklearn.materializers.sklearn_materializer import SklearnMaterializer

from model_factory import plots, provenance, splits
from model_factory.bank import comparison, data, evaluate, model, monitor
from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.drift.profile import ReferenceProfile
from model_factory.integrations.zenml_models import record_training
from model_factory.paths import output_dir
from steps.caching import pure


@step(**pure("model_factory.splits"))
def split(
    dataset: pd.DataFrame, config: BankTrainingConfig
) -> tuple[Annotated[pd.DataFrame, "train_set"], Annotated[pd.DataFrame, "test_set"]]:
    # ZenML counts outputs from the literal tuple in the return statement.
    train_set, test_set = splits.hash_split(
        dataset, config.features, config.test_fraction, config.split_salt
    )
    return train_set, test_set


@step(output_materializers={USE_CASE.model_artifact: SklearnMaterializer})
def train(
    train_set: pd.DataFrame, config: BankTrainingConfig
) -> tuple[Annotated[BaseEstimator, USE_CASE.model_artifact], Annotated[dict, "search_summary"]]:
    trained = model.train(train_set, config)
    return trained.model, trained.search_summary()


@step
def evaluate_model(
    classifier: BaseEstimator,
    test_set: pd.DataFrame,
    dataset: pd.DataFrame,
    search_summary: dict,
    config: BankTrainingConfig,
) -> tuple[
    Annotated[dict, "metrics"],
    Annotated[Image.Image, "evaluation_plot"],
    Annotated[ReferenceProfile, "reference_profile"],
]:
    missing = data.missing_values(dataset, config)
    metrics = {
        **evaluate.evaluate(classifier, test_set, config),
        "missing_values": sum(missing.values()),
    }
    figure = evaluate.evaluation_figure(classifier, test_set, config)
    image = plots.save(figure, output_dir(USE_CASE.outputs) / "evaluation.png")
    version = record_training(
        metrics,
        config,
        provenance.data_fingerprint(dataset),
        search=search_summary,
        n_train=len(dataset) - len(test_set),
        holdout=comparison.holdout(config),
        missing_values=missing,
        contract=data.contract(config),
    )
    profile = monitor.build_profile(dataset, test_set, classifier, config, metrics)
    return {**metrics, "model_version": version}, image, profile
