"""Bank marketing batch scoring with the classifier in a stage (production by default)."""

from zenml import pipeline

from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
from steps import bank_scoring as s


@pipeline(enable_cache=False, on_failure=failure_hook)
def bank_scoring(config: BankScoringConfig) -> None:
    """Score a CSV with the version in `config.stage`: its `classifier` is this run's input and
    its recorded training config the batch's contract. No version holder: bad input, no run."""
    version = require_stage_version(config.model, config.stage)
    training = BankTrainingConfig.model_validate(version.run_metadata["config"])
    batch = s.load_batch(config, training)
    classifier = version_artifact(version, USE_CASE.model_artifact)
    predictions, summary = s.score_batch(batch, classifier, training, version.name)
    s.write_predictions(predictions, summary, config)


SCORING = bank_scoring
METRICS_STEP = "write_predictions"
