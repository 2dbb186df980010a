"""Alerts: run failures, drift verdicts and promotion decisions posted to a JSON webhook.

The payload is Slack-compatible (`text`, plus `blocks` with one field per fact) and carries the
facts as top-level keys too (`event`, `model`, `version`, `reason`, `run`, `run_url`), so any
receiver can route on them. The webhook URL is a secret: it comes from
$MODEL_FACTORY_ALERT_WEBHOOK_URL (or, through the ZenML integration, a ZenML secret), never from
a config file. Sending never raises into the caller: a receiver that fails or hangs costs at
most ATTEMPTS bounded requests, then a warning, and the run goes on.
"""

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal

from model_factory.errors import InputError

logger = logging.getLogger(__name__)

WEBHOOK_ENV = "MODEL_FACTORY_ALERT_WEBHOOK_URL"
KFP_UI_ENV = "MODEL_FACTORY_KFP_UI_URL"  # the KFP UI's address, for links to native KFP runs
Event = Literal["run_failed", "drift", "promoted", "rejected", "rolled_back"]
ATTEMPTS = 3
TIMEOUT_S = 5.0
BACKOFF_S = 1.0  # doubled after each failed attempt
# Worth another attempt: the receiver is overloaded or restarting. Other 4xx will not change.
RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504})
TITLES = {
    "run_failed": "Run failed",
    "drift": "Drift detected",
    "promoted": "Promoted",
    "rejected": "Promotion rejected",
    "rolled_back": "Rolled back",
}


@dataclass(frozen=True)
class Alert:
    event: Event
    model: str
    version: str | None
    reason: str
    run: str | None = None  # run name (ZenML) or id (Kubeflow)
    run_url: str | None = None


def payload(alert: Alert) -> dict:
    """The JSON body: Slack's `text` and `blocks`, and the facts as top-level keys."""
    who = alert.model + (f" version {alert.version}" if alert.version else "")
    text = f"{TITLES[alert.event]}: {who}: {alert.reason}"
    if alert.run_url or alert.run:
        text += f" (run: {alert.run_url or alert.run})"
    facts = {
        "Event": alert.event,
        "Model": alert.model,
        "Version": alert.version or "-",
        "Run": alert.run_url or alert.run or "-",
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{TITLES[alert.event]}*: {who}"}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in facts.items()],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.reason[:2900]}},
    ]
    return {"text": text, "blocks": blocks, **asdict(alert)}


def decision_alert(record, run: str | None = None, run_url: str | None = None) -> Alert | None:
    """The alert for a recorded decision (`promotion.DecisionRecord`); a no-op has none."""
    if record.decision == "no-op":
        return None
    event = "rolled_back" if record.action == "rollback" else record.decision
    reason = f"{record.stage}: {record.reason}"
    return Alert(event, record.model, record.candidate_version, reason, run, run_url)


def drift_alert(report, run: str | None = None, run_url: str | None = None) -> Alert | None:
    """The alert for a drift verdict (`drift.report.DriftReport`); no drift has none."""
    if not report.drifted:
        return None
    reason = f"{len(report.drifted_checks)} check(s) drifted: " + ", ".join(report.drifted_checks)
    return Alert("drift", report.model, report.model_version, reason, run, run_url)


def failure_alert(
    model: str, state: str, reason: str | None, run: str | None = None, run_url: str | None = None
) -> Alert | None:
    """The alert for a run's final `state` (KFP's `SUCCEEDED`, `FAILED`, `CANCELLED`): only a
    failed run has one (a cancelled run was stopped by someone who knows)."""
    if state.upper() != "FAILED":
        return None
    reason = (reason or "").strip() or "a task of the run failed"
    return Alert("run_failed", model, None, reason[:1000], run, run_url)


def webhook_url() -> str | None:
    return os.environ.get(WEBHOOK_ENV, "").strip() or None


def kfp_run_url(run_id: str) -> str | None:
    """The run's page in the KFP UI at $MODEL_FACTORY_KFP_UI_URL; None when that is unset."""
    base = os.environ.get(KFP_UI_ENV, "").strip().rstrip("/")
    return f"{base}/#/runs/details/{run_id}" if base else None


def post(url: str, alert: Alert) -> bool:
    """POST the payload to `url`, with up to ATTEMPTS tries; False (and a warning) on failure."""
    body = json.dumps(payload(alert)).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    problem = "not sent"
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                response.read()
            return True
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code not in RETRIED_STATUS:
                break
        except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, timed out, bad URL
            problem = str(getattr(exc, "reason", exc))
        if attempt < ATTEMPTS:
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))
    logger.warning("alert %s for %s not delivered: %s", alert.event, alert.model, problem)
    return False


def send(alert: Alert, url: str | None = None) -> bool:
    """Post to `url`, else to $MODEL_FACTORY_ALERT_WEBHOOK_URL; nothing configured: no-op."""
    url = url or webhook_url()
    return post(url, alert) if url else False


def send_drift(report, run: str | None = None, run_url: str | None = None) -> bool:
    """Send the drift alert of `report` (see `drift_alert`) as `send` does; no drift: nothing."""
    alert = drift_alert(report, run, run_url)
    return send(alert) if alert is not None else False


def refuse_in_config(raw: object, source: str) -> None:
    """A webhook URL in a config file would end up in git and in run records: refuse it."""
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if "webhook" in str(key).lower():
                raise InputError(
                    f"{source}: {key}: an alert webhook URL is a secret, not configuration: "
                    f"set ${WEBHOOK_ENV} (or the ZenML secret model-factory-alerts)"
                )
            refuse_in_config(value, source)
    elif isinstance(raw, list):
        for item in raw:
            refuse_in_config(item, source)
