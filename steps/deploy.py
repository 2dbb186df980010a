"""Deploy the forecast service from a pipeline (e.g. a release), as the CLI does."""

from typing import Annotated

from zenml import step

from model_factory.integrations import k8s_deploy
from model_factory.paths import output_dir


@step(enable_cache=False)
def deploy(config: k8s_deploy.DeployConfig) -> Annotated[dict, "deployment"]:
    """Render the overlay, server-side apply it, wait for the rollout; a failure fails the step.

    Needs `kubectl` (it renders the overlay) and a kubeconfig where the step runs: run this
    pipeline on the local orchestrator, e.g. from CI.
    """
    manifests = output_dir("forecast_service") / f"forecast-service-{config.env}.yaml"
    return k8s_deploy.deploy(config, manifests).model_dump()
