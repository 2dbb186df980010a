"""Deploy the forecast service to Kubernetes: the stage it serves is in the manifests, so a
promotion changes what it serves without a deploy; deploy for a new image or new settings."""

from zenml import pipeline

from model_factory.integrations.k8s_deploy import DeployConfig
from model_factory.integrations.zenml_alerts import failure_hook
from steps.deploy import deploy


@pipeline(enable_cache=False, on_failure=failure_hook)
def forecasting_deploy(config: DeployConfig) -> None:
    deploy(config)


DEPLOY = forecasting_deploy
