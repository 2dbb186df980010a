"""Bank marketing training: ingest, validate, split, train, evaluate, promote to staging."""

from zenml import Model, pipeline

from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from steps import bank_training as s
from steps.data import ingest, validate
from steps.promotion import promote

MODEL = Model(
    name=USE_CASE.model_name,
    description="Term-deposit subscription (UCI bank marketing), SMOTE + gradient boosting",
    tags=["bank", "classification"],
)


@pipeline(model=MODEL, enable_cache=False, on_failure=failure_hook)
def bank_training(config: BankTrainingConfig) -> None:
    dataset = validate(ingest(config), config)
    train_set, test_set = s.split(dataset, config)
    classifier, summary = s.train(train_set, config)
    metrics, _, _ = s.evaluate_model(classifier, test_set, dataset, summary, config)
    promote(metrics, use_case=USE_CASE.name, enabled=config.promote)


TRAINING = bank_training
METRICS_STEP = "evaluate_model"
