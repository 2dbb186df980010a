"""Taxi ride anomaly detection as a use case (model_factory/use_case.py). Its training
pipeline is the daily detection run (which fits a version when none is in production); it
has no separate scoring pipeline and no Kubeflow continuous training."""

from model_factory.use_case import UseCase

USE_CASE = UseCase(
    name="taxi",
    old_name="taxi-anomalies",
    model_name="taxi_anomaly_detector",
    model_artifact="taxi_detector",
    outputs="taxi",
    package="model_factory.taxi",
    training_pipeline="pipelines.taxi_detection",
    training_config="taxi_detection.yaml",
    training_params="model_factory.taxi.config:TaxiDetectionConfig",
    monitor_pipeline="pipelines.taxi_monitor",
    monitor_config="taxi_monitor.yaml",
    monitor_params="model_factory.taxi.monitor:TaxiMonitorConfig",
    rescorer="model_factory.taxi.comparison",
)
