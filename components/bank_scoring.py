"""Bank marketing batch scoring on Kubeflow Pipelines.

The classifier, its version name and its training config (the batch's contract) come from the
ZenML registry when the scoring run config names a server (the version of `model` in `stage`),
else from the production reference folder at `reference_uri` (`model-factory export-reference`),
the one the monitor reads (components/scoring.py). The predictions are the run's `predictions`
dataset, with the version name in every row.
"""

from kfp.dsl import Artifact, Dataset, Input, Metrics, Output
from kfp.dsl.pipeline_channel import PipelineChannel

from components.inputs import Inputs
from components.platform import component, reads_external_data, resources
from components.scoring import COMPILED, scoring_pipeline
from model_factory.continuous import BankScoringWithReference
from model_factory.use_cases import BANK

# Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml (bank_monitor's; not read
# with a ZenML server) and `scoring_*` from zenml_config/bank_scoring.yaml, flattened. Not
# inputs: the model, its stage and the server are compiled in (components/scoring.py), and the
# predictions are the run's dataset (`out_path`).
INPUTS = Inputs(
    BankScoringWithReference,
    frozenset({"scoring_out_path"}),
    compile_time=COMPILED | {"scoring_model"},
)


@component
def load_batch(config_json: str, reference: Input[Artifact], batch: Output[Dataset]) -> None:
    """The batch, checked against the columns and types the production version trained on."""
    from pathlib import Path

    from model_factory import continuous
    from model_factory.bank import data, predict
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.integrations.kubeflow import artifacts

    config = continuous.BankScoringWithReference.model_validate_json(config_json).scoring
    training = continuous.load_training_config(Path(reference.path), BankTrainingConfig)
    frame = data.load_batch(config)
    artifacts.write_table(predict.validate_batch(frame, training, data.batch_source(config)), batch)


@component
def score(
    reference: Input[Artifact],
    batch: Input[Dataset],
    predictions: Output[Dataset],
    metrics: Output[Metrics],
) -> dict:
    """Probability and prediction per row; returns the summary the ZenML run reports."""
    from datetime import UTC, datetime
    from pathlib import Path

    from model_factory import continuous
    from model_factory.bank import predict
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.bank.use_case import USE_CASE
    from model_factory.integrations.kubeflow import artifacts

    folder = Path(reference.path)
    production = continuous.load_reference(folder, USE_CASE.model_name)
    training = continuous.load_training_config(folder, BankTrainingConfig)
    frame = artifacts.read_table(batch)
    known = predict.known_categories(production.model, training)
    scored = predict.score(production.model, frame, training, production.version, datetime.now(UTC))
    artifacts.write_table(scored, predictions)
    summary = {
        "n_rows": len(scored),
        "n_predicted_positive": int(scored["prediction"].sum()),
        "mean_probability": float(scored["probability"].mean()),
    }
    artifacts.log_metrics(metrics, summary)
    predictions.metadata.update(model_version=production.version, **artifacts.version_id(reference))
    return {
        **summary,
        "unseen_categories": predict.unseen_categories(frame, known),
        "model_version": production.version,
    }


def _tasks(config: PipelineChannel, reference: PipelineChannel) -> None:
    """Read and check the batch against the version's contract, then score it; the summary is
    the `score` task's output."""
    loaded = reads_external_data(load_batch(config_json=config, reference=reference))
    loaded.set_display_name("Read and validate the batch")
    resources(
        score(reference=reference, batch=loaded.outputs["batch"]),
        cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
    ).set_display_name("Score with the classifier")  # fmt: skip


scoring = scoring_pipeline(
    INPUTS,
    BANK,
    "bank classifier",
    _tasks,
    description="Bank marketing: score a batch with the classifier in a stage (ZenML) or of "
    "the exported production reference.",
)
