"""Bank marketing as a use case (model_factory/use_case.py)."""

from model_factory.use_case import ExportedModel, UseCase

USE_CASE = UseCase(
    name="bank",
    old_name="bank-marketing",
    model_name="bank_marketing_classifier",
    model_artifact="classifier",
    outputs="bank",
    package="model_factory.bank",
    training_pipeline="pipelines.bank_training",
    training_config="bank_training.yaml",
    training_params="model_factory.bank.config:BankTrainingConfig",
    monitor_pipeline="pipelines.bank_monitor",
    monitor_config="bank_monitor.yaml",
    monitor_params="model_factory.bank.monitor:BankMonitorConfig",
    rescorer="model_factory.bank.comparison",
    scoring_pipeline="pipelines.bank_scoring",
    scoring_config="bank_scoring.yaml",
    scoring_params="model_factory.bank.config:BankScoringConfig",
    exported_model=ExportedModel("classifier.joblib", save="joblib:dump", load="joblib:load"),
    kubeflow_retraining="model_factory.bank.retraining",
)
