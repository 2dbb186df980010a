"""`serve` and `deploy`: the forecast service, locally and on Kubernetes."""

from enum import StrEnum
from pathlib import Path

import typer

from model_factory.cli.base import StageName, app, deploy_app, fail


@app.command()
def serve(
    host: str | None = typer.Option(None, "--host", help="Interface (default 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="Port (default 8000)"),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Port of GET /metrics, without the key (default 9090)"
    ),
    stage: StageName | None = typer.Option(None, "--stage", help="Stage served (production)"),
    reload_interval: float | None = typer.Option(
        None, "--reload-interval", help="Seconds between looks at the stage holder (30)"
    ),
    insecure: bool = typer.Option(
        False, "--insecure", help="Start without $MODEL_FACTORY_API_KEY: no authentication"
    ),
) -> None:
    """Serve store forecasts over HTTP (POST /forecast) from the model version in a stage.

    Settings: options, else $MODEL_FACTORY_SERVE_<SETTING> (see model_factory/serving/settings.py).
    Clients send the key of $MODEL_FACTORY_API_KEY in the X-API-Key header. Prometheus metrics
    are on --metrics-port, without the key.
    """
    import logging

    from model_factory.serving.settings import load_settings

    settings = load_settings(
        host=host, port=port, metrics_port=metrics_port, stage=stage.value if stage else None,
        reload_interval_seconds=reload_interval, insecure=insecure or None,
    )  # fmt: skip
    key = settings.api_key()  # refuse before the slow imports below

    import uvicorn

    from model_factory.serving.app import create_app

    app = create_app(settings)
    app.state.metrics.serve(settings.host, settings.metrics_port)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("model_factory.serving").setLevel(logging.INFO)
    if key is None:
        logging.getLogger("model_factory.serving").warning("no API key: anyone may call the API")
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False)


class DeployEnv(StrEnum):
    dev = "dev"
    prod = "prod"


@deploy_app.command("forecast-service")
def deploy_forecast_service(
    env: DeployEnv = typer.Option(..., "--env", help="Overlay in infra/k8s/overlays/"),
    image: str | None = typer.Option(
        None, "--image", help="Image of the service (prod: pinned by digest; default: overlay's)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only render and write the manifests"),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the rollout"),
    out: Path | None = typer.Option(
        None, "--out", help="Rendered manifests (default: build/k8s/forecast-service-<env>.yaml)"
    ),
    context: str | None = typer.Option(None, "--context", help="kubeconfig context (current)"),
    create_namespace: bool = typer.Option(
        False,
        "--create-namespace",
        help="Also apply the overlay's Namespace (cluster-scoped: needs an admin's rights)",
    ),
) -> None:
    """Render the overlay, server-side apply every object, wait for the Deployment's rollout.

    The manifests name the model stage, never a version: the service loads the stage's holder.
    The namespace must exist unless --create-namespace; the deploy's own rights are the Role of
    infra/k8s/deployer.
    """
    from model_factory.config import parse
    from model_factory.integrations import k8s_deploy
    from model_factory.reporting import console

    settings = parse(
        k8s_deploy.DeployConfig,
        {
            "env": env.value,
            "image": image,
            "timeout_seconds": timeout,
            "context": context,
            "create_namespace": create_namespace,
        },
        "options",
    )
    manifests = out or Path("build/k8s") / f"forecast-service-{env.value}.yaml"
    try:
        report = k8s_deploy.deploy(settings, manifests, dry_run=dry_run, echo=console.print)
    except k8s_deploy.DeployFailed as exc:
        fail(f"error: {exc}", 1)
    console.print(
        f"forecast-service ({report.env}, namespace {report.namespace}): serves the "
        f"[bold]{report.stage}[/] version of {report.model}"
    )
    for line in (f"image: {report.image}", f"manifests: {report.manifests}", report.rollout):
        console.print(line, soft_wrap=True)
