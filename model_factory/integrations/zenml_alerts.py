"""Alerts from ZenML code: the webhook URL from the environment or a ZenML secret, the active
stack's alerter when it has one, and the failure hook every pipeline carries.

Nothing here raises into the caller: an alert that cannot be sent is a warning, never a failed
promotion, monitor or run.
"""

import logging

from zenml.client import Client

from model_factory import alerts

logger = logging.getLogger(__name__)

# `zenml secret create model-factory-alerts --webhook_url=https://hooks.slack.com/...`
SECRET = "model-factory-alerts"
SECRET_KEY = "webhook_url"


def webhook_url() -> str | None:
    """$MODEL_FACTORY_ALERT_WEBHOOK_URL, else the ZenML secret, else None."""
    if url := alerts.webhook_url():
        return url
    try:
        return Client().get_secret(SECRET).secret_values.get(SECRET_KEY) or None
    except KeyError:
        return None
    except Exception as exc:  # a server that cannot be reached must not stop the caller
        logger.warning("alert webhook: cannot read ZenML secret %s: %s", SECRET, exc)
        return None


def notify(alert: alerts.Alert) -> None:
    """Send `alert` to the webhook and to the active stack's alerter, whichever are configured."""
    if url := webhook_url():
        alerts.post(url, alert)
    try:
        alerter = Client().active_stack.alerter
        if alerter is not None:
            alerter.post(alerts.payload(alert)["text"])
    except Exception as exc:
        logger.warning("alert %s: the stack's alerter failed: %s", alert.event, exc)


def run_link() -> tuple[str | None, str | None]:
    """The current pipeline run's name and dashboard URL, when called inside a step."""
    from zenml import get_step_context
    from zenml.utils.dashboard_utils import get_run_url

    try:
        run = get_step_context().pipeline_run
    except RuntimeError:  # not inside a step: a CLI command
        return None, None
    try:
        return run.name, get_run_url(run)
    except Exception:
        return run.name, None


def failure_hook(exception: BaseException) -> None:
    """`on_failure` of every pipeline: one `run_failed` alert naming the step and the error."""
    from zenml import get_step_context

    context = get_step_context()
    version = context.model_version  # None: the step registers no model version
    model = version.model.name if version is not None else context.pipeline.name
    run, url = run_link()
    reason = f"step {context.step_run.name} failed: {type(exception).__name__}: {exception}"
    notify(
        alerts.Alert(
            "run_failed", model, version.name if version else None, reason[:1000], run, url
        )
    )


def notify_decision(record) -> None:
    """Alert a promotion decision (`promotion.DecisionRecord`); no-ops are not news."""
    run, url = run_link()
    if (alert := alerts.decision_alert(record, run, url)) is not None:
        notify(alert)


def notify_drift(report) -> None:
    """Alert a drift verdict (`drift.report.DriftReport`); no drift is not news."""
    run, url = run_link()
    if (alert := alerts.drift_alert(report, run, url)) is not None:
        notify(alert)
