"""How every KFP component runs, and the cluster policies pipelines apply to their tasks.

Components run in the project image (the root Dockerfile) with everything installed:
`install_kfp_package=False` and no extra packages listed, so nothing is installed at run time and
air-gapped clusters work. `model-factory compile --image REF` points every task at a built image.
"""

from collections.abc import Callable
from functools import partial, wraps
from importlib.metadata import version
from typing import Any

from kfp import dsl, kubernetes
from kfp.dsl.base_component import BaseComponent

PROJECT_IMAGE = f"model-factory:{version('model-factory')}"

# The one way to declare a component: `@component` over a function whose body imports the core.
component = partial(dsl.component, base_image=PROJECT_IMAGE, install_kfp_package=False)

# The staging database URL lives in this Secret (key `url`), never in the pipeline YAML; the
# core reads it from $MODEL_FACTORY_DB_URL (model_factory.paths.resolve_db_url).
STAGING_DB_SECRET = "model-factory-staging-db"
STAGING_DB_ENV = "MODEL_FACTORY_DB_URL"


# Tasks that reach systems outside the pipeline (object storage, the staging database) retry
# transient failures (a storage timeout, a database restart), boundedly: after 30 s, 60 s and
# 120 s, then the run fails. Their writes replace rows, so a retried write is safe.
RETRY = {
    "num_retries": 3,
    "backoff_duration": "30s",
    "backoff_factor": 2.0,
    "backoff_max_duration": "120s",
}


# The object store's credentials for s3:// data read through fsspec (s3fs), as the standard
# variables, from this Secret (each key its variable's name): the keys, and AWS_ENDPOINT_URL for
# MinIO or another S3-compatible server. Optional: gs:// (Workload Identity) and local paths need
# none, and a missing key is simply unset. infra/'s local-kind environment creates it from MinIO's.
OBJECT_STORE_SECRET = "model-factory-object-store"
OBJECT_STORE_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL")


def object_store(task: dsl.PipelineTask) -> dsl.PipelineTask:
    """Give the task the object store's credentials from their Secret, if it exists."""
    return kubernetes.use_secret_as_env(
        task,
        secret_name=OBJECT_STORE_SECRET,
        secret_key_to_env={key: key for key in OBJECT_STORE_KEYS},
        optional=True,
    )


def reads_external_data(task: dsl.PipelineTask) -> dsl.PipelineTask:
    """No caching: the same inputs (a path, a run date) can name data that has changed.
    Retried: the data lives outside the cluster. Given the object store's credentials."""
    return object_store(task.set_caching_options(False).set_retry(**RETRY))


def resources(
    task: dsl.PipelineTask, *, cpu: str, memory: str, cpu_limit: int, memory_limit: str
) -> dsl.PipelineTask:
    """Requests the scheduler reserves and limits the kubelet enforces.

    OpenMP (scikit-learn's gradient boosting) starts one thread per CPU of the *node*, not of
    the limit, and its idle threads spin: under a CPU limit they burn the quota. Threads are
    capped at the limit and wait passively (a small search on a busy 2-core machine: 13 s
    instead of over 100 s).
    """
    return (
        task.set_cpu_request(cpu)
        .set_cpu_limit(str(cpu_limit))
        .set_memory_request(memory)
        .set_memory_limit(memory_limit)
        .set_env_variable("OMP_NUM_THREADS", str(cpu_limit))
        .set_env_variable("OMP_WAIT_POLICY", "PASSIVE")
    )


def staging_db(task: dsl.PipelineTask) -> dsl.PipelineTask:
    """Give the task the staging database URL from its Kubernetes Secret.

    Never cached: a cache hit would skip the write, and the table may have changed since.
    Retried: the database is outside the cluster.
    """
    task.set_caching_options(False).set_retry(**RETRY)
    return kubernetes.use_secret_as_env(
        task, secret_name=STAGING_DB_SECRET, secret_key_to_env={"url": STAGING_DB_ENV}
    )


# The alert webhook URL (key `webhook_url`) and the KFP UI's address for links to the run (key
# `kfp_ui_url`) live in this Secret, never in the YAML. Optional: without it (or a key) the task
# runs and sends nothing (or names the run by its id).
ALERTS_SECRET = "model-factory-alerts"


def alert_webhook(task: dsl.PipelineTask) -> dsl.PipelineTask:
    """Give the task the alert webhook URL and KFP UI address from their Secret, if it exists."""
    from model_factory.alerts import KFP_UI_ENV, WEBHOOK_ENV

    return kubernetes.use_secret_as_env(
        task,
        secret_name=ALERTS_SECRET,
        secret_key_to_env={"webhook_url": WEBHOOK_ENV, "kfp_ui_url": KFP_UI_ENV},
        optional=True,
    )


@component
def alert_run_failed(model: str, run_id: str, status: dsl.PipelineTaskFinalStatus) -> bool:
    """The exit task: a `run_failed` alert when the run's body failed (nothing when it
    succeeded); whether one was delivered. A failing receiver is a warning, never a failure."""
    from model_factory import alerts

    reason = status.error_message or f"{status.pipeline_task_name} did not succeed"
    alert = alerts.failure_alert(model, status.state, reason, run_id, alerts.kfp_run_url(run_id))
    return alert is not None and alerts.send(alert)


def alert_on_failure(model: str) -> Callable:
    """Decorate a pipeline function (under `@dsl.pipeline`) to run its body in a `dsl.ExitHandler`
    whose exit task alerts a failure of the run about `model` through the optional alerts Secret.

    KFP takes no pipeline outputs from inside an exit handler, so the body returns nothing; its
    artifacts stay on its tasks.
    """

    def decorate(body: Callable) -> Callable:
        @wraps(body)  # KFP reads the inputs from the signature, which follows __wrapped__
        def pipeline(*args, **kwargs) -> None:
            notify = alert_run_failed(model=model, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER)
            alert_webhook(notify).set_display_name("Alert if the run failed")
            with dsl.ExitHandler(notify, name="Run"):
                if body(*args, **kwargs) is not None:
                    raise TypeError(f"{body.__name__}: under an exit handler, return None")

        return pipeline

    return decorate


def registration_inputs(promote: bool) -> dict:
    """The registration task's inputs besides the config (which says where it registers): whether
    to offer for staging, compiled in, and the run's id and name, which KFP fills in per run."""
    return {
        "promote": promote,
        "run_id": dsl.PIPELINE_JOB_ID_PLACEHOLDER,
        "run_name": dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
    }


def register_model(register: BaseComponent, compiled, **artifacts: Any) -> None:
    """A training pipeline's last task when its compiled run config names a ZenML server
    (`kubeflow.zenml_url`; without one, none): `register` over the run's `artifacts`, which makes
    them a new version of the model and offers it for staging."""
    if compiled.kubeflow.zenml_url:
        task = register(**artifacts, **registration_inputs(compiled.promote))
        zenml_registry(task, compiled.kubeflow.zenml_url).set_display_name(
            "Register the model with ZenML, offer it for staging"
        )


def zenml_registry(task: dsl.PipelineTask, url: str) -> dsl.PipelineTask:
    """Let the task register with the ZenML server at `url`: the URL and the image it runs in its
    environment, the API key from the Kubernetes Secret (never in the YAML).

    Not cached (each run is a new version) and not retried (a retry would register another).
    """
    from model_factory.integrations.kubeflow import registry

    task.set_caching_options(False)
    task.set_env_variable(registry.URL_ENV, url)
    task.set_env_variable(registry.IMAGE_ENV, PROJECT_IMAGE)  # `compile --image` replaces it
    return kubernetes.use_secret_as_env(
        task,
        secret_name=registry.ZENML_SECRET,
        secret_key_to_env={registry.SECRET_KEY: registry.API_KEY_ENV},
    )
