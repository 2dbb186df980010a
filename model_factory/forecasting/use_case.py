"""Store sales forecasting as a use case (model_factory/use_case.py)."""

from model_factory.use_case import ExportedModel, UseCase

USE_CASE = UseCase(
    name="forecasting",
    old_name="store-forecasting",
    model_name="store_sales_forecaster",
    model_artifact="store_forecaster",
    outputs="forecasting",
    package="model_factory.forecasting",
    training_pipeline="pipelines.forecasting_training",
    training_config="forecasting_training.yaml",
    training_params="model_factory.forecasting.config:ForecastTrainingConfig",
    monitor_pipeline="pipelines.forecasting_monitor",
    monitor_config="forecasting_monitor.yaml",
    monitor_params="model_factory.forecasting.monitor:ForecastMonitorConfig",
    rescorer="model_factory.forecasting.comparison",
    scoring_pipeline="pipelines.forecasting_scoring",
    scoring_config="forecasting_scoring.yaml",
    scoring_params="model_factory.forecasting.config:ForecastScoringConfig",
    exported_model=ExportedModel(
        "store_forecaster",
        save="model_factory.forecasting.forecaster:save",
        load="model_factory.forecasting.forecaster:load",
    ),
    kubeflow_retraining="model_factory.forecasting.retraining",
)
