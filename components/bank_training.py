"""Bank marketing training on Kubeflow Pipelines: the ZenML pipeline's steps as KFP components.

Each component imports the core inside its body (KFP ships the function's source to the pod)
and only moves data: tables as Parquet datasets, the classifier as a joblib model, metrics as
KFP metrics plus a JSON artifact. With a ZenML server in the run config (`kubeflow.zenml_url`),
a last task registers the classifier with it and offers it for staging
(model_factory/integrations/kubeflow/registry.py); without one, promotion is a ZenML operation CI
runs.
"""

from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Input, Metrics, Model, Output
from kfp.dsl.base_component import BaseComponent

from components.data import ingest, validate
from components.inputs import REGISTRATION, Inputs, registration, run_config
from components.platform import (
    component,
    reads_external_data,
    register_model,
    resources,
)
from model_factory.bank.config import BankTrainingConfig
from model_factory.use_cases import BANK

# Not inputs: `promote` is a ZenML operation; whether and where the run registers its model
# (and offers it for staging) is fixed when compiling (no registration task without a server).
INPUTS = Inputs(BankTrainingConfig, frozenset({"promote"}), compile_time=REGISTRATION)
resolve_config = INPUTS.resolver(constants=REGISTRATION)


@component
def split(
    config_json: str,
    dataset: Input[Dataset],
    train_set: Output[Dataset],
    test_set: Output[Dataset],
) -> None:
    from model_factory import splits
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_table, write_table

    config = BankTrainingConfig.model_validate_json(config_json)
    features, fraction, salt = config.features, config.test_fraction, config.split_salt
    train, test = splits.hash_split(read_table(dataset), features, fraction, salt)
    write_table(train, train_set)
    write_table(test, test_set)


@component
def train(config_json: str, train_set: Input[Dataset], classifier: Output[Model]) -> dict:
    """Returns the search summary (CV ROC-AUC, candidates, fits, best parameters)."""
    import joblib

    from model_factory.bank import model
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_table

    config = BankTrainingConfig.model_validate_json(config_json)
    trained = model.train(read_table(train_set), config)
    joblib.dump(trained.model, classifier.path)
    classifier.metadata["framework"] = "scikit-learn"
    return trained.search_summary()


@component
def evaluate(
    config_json: str,
    classifier: Input[Model],
    test_set: Input[Dataset],
    dataset: Input[Dataset],
    search_summary: dict,
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
    metrics_json: Output[Artifact],
    evaluation_plot: Output[HTML],
) -> None:
    """Score the held-out set once; the JSON's metadata says what the model was trained on.
    The KFP UI shows `metrics` side by side across runs and plots `classification`."""
    import joblib

    from model_factory import provenance
    from model_factory.bank import data
    from model_factory.bank import evaluate as bank_evaluate
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.integrations.kubeflow import artifacts

    config = BankTrainingConfig.model_validate_json(config_json)
    model = joblib.load(classifier.path)
    test, full = artifacts.read_table(test_set), artifacts.read_table(dataset)
    missing = data.missing_values(full, config)
    scores = {
        **bank_evaluate.evaluate(model, test, config),
        "missing_values": sum(missing.values()),
    }
    artifacts.log_metrics(metrics, scores)
    held_out = bank_evaluate.curves(model, test, config)
    classification.log_roc_curve(held_out.fpr, held_out.tpr, held_out.thresholds)
    classification.log_confusion_matrix(held_out.labels, held_out.confusion)
    artifacts.write_json(
        metrics_json,
        scores,
        data_fingerprint=provenance.data_fingerprint(full),
        n_train=len(full) - len(test),
        git_commit=provenance.git_commit(),
        search=search_summary,
        missing_values=missing,
        contract=data.contract(config),
    )
    figure = bank_evaluate.evaluation_figure(model, test, config)
    artifacts.write_html(evaluation_plot, figure, "Bank marketing: held-out test")


@component
def register(
    config_json: str,
    metrics_json: Input[Artifact],
    classifier: Input[Model],
    train_set: Input[Dataset],
    test_set: Input[Dataset],
    dataset: Input[Dataset],
    promote: bool,
    run_id: str,
    run_name: str,
) -> dict:
    """The classifier as a new version of bank_marketing_classifier, through the staging gate
    (where: the config's `kubeflow` section); returns the version's name and the decision."""
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.integrations.kubeflow.registry import KfpRun, register_bank

    where = BankTrainingConfig.model_validate_json(config_json).kubeflow
    paths = {
        "model": classifier.path,
        "train_set": train_set.path,
        "test_set": test_set.path,
        "dataset": dataset.path,
    }
    return register_bank(
        KfpRun(run_id, run_name, where.ui_url),
        config_json,
        metrics_json.path,
        metrics_json.metadata,
        paths,
        promote=promote,
        stack=where.zenml_stack,
    )


def training_pipeline(compiled: BankTrainingConfig, nested: bool = False) -> BaseComponent:
    """The pipeline; with `kubeflow.zenml_url` set in the run config, its last task registers
    the model with that ZenML server (the URL is fixed when compiling; without it, no such task).
    A failed run is alerted, unless `nested` in a pipeline that alerts (a monitor's retraining).
    """

    @INPUTS.pipeline(
        description="Bank marketing: ingest, validate, hash split, SMOTE + boosting search, "
        "evaluate.",
        alert=None if nested else BANK.model_name,
    )
    def bank_training(inputs: dict) -> None:
        """Inputs are `parameters.config` of zenml_config/bank_training.yaml, flattened, except
        `kubeflow` and `promote` (compiled in)."""
        config = run_config(resolve_config, inputs, **registration(compiled))
        raw = reads_external_data(ingest(config_json=config).set_display_name("Read the bank data"))
        checked = validate(config_json=config, raw_data=raw.outputs["raw_data"])
        dataset = checked.set_display_name("Validate the rows").outputs["dataset"]
        parts = split(config_json=config, dataset=dataset).set_display_name("Split train / test")
        fit = resources(
            train(config_json=config, train_set=parts.outputs["train_set"]),
            cpu="2", memory="2Gi", cpu_limit=2, memory_limit="4Gi",
        ).set_display_name("Search and train the classifier")  # fmt: skip
        scored = resources(
            evaluate(
                config_json=config,
                classifier=fit.outputs["classifier"],
                test_set=parts.outputs["test_set"],
                dataset=dataset,
                search_summary=fit.outputs["Output"],
            ),
            cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
        ).set_display_name("Evaluate on the held-out test set")  # fmt: skip
        register_model(
            register,
            compiled,
            config_json=config,
            metrics_json=scored.outputs["metrics_json"],
            classifier=fit.outputs["classifier"],
            train_set=parts.outputs["train_set"],
            test_set=parts.outputs["test_set"],
            dataset=dataset,
        )

    return bank_training


# Registers nothing: the pipeline as its defaults build it.
bank_training = training_pipeline(BankTrainingConfig())
