"""A model's decision history: training runs, monitor checks and stage decisions, in order.

Everything comes from model-version metadata the pipelines already record: each version's
creation (with its headline metric and, for a retrain, the drift that triggered it), each
monitor run's summary (`drift_checks`) and each promotion or rollback decision (`decisions`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class VersionRecord:
    """What the history needs of one model version."""

    name: str
    created: datetime
    metadata: dict[str, Any]


def events(versions: Iterable[VersionRecord], metric: str | None = None) -> list[dict]:
    """One row per event, oldest first: time, version, event, stage, scores, reason."""
    rows = []
    for version in versions:
        meta = version.metadata
        trigger = meta.get("retrained_because")
        rows.append(
            {
                "time": version.created.isoformat(timespec="seconds"),
                "version": version.name,
                "event": "retrained" if trigger else "trained",
                "stage": None,
                "score": (meta.get("metrics") or {}).get(metric) if metric else None,
                "incumbent_score": None,
                "reason": trigger or "",
            }
        )
        for check in (meta.get("drift_checks") or {}).values():
            drifted = check.get("drifted_checks") or []
            rows.append(
                {
                    "time": check["created"],
                    "version": version.name,
                    "event": "drifted" if check.get("drifted") else "monitored",
                    "stage": None,
                    "score": check.get("performance_drop"),
                    "incumbent_score": None,
                    "reason": f"{check.get('n_rows')} rows of {check.get('source')}"
                    + (f"; drift in {', '.join(drifted)}" if drifted else "; no drift"),
                }
            )
        for decision in (meta.get("decisions") or {}).values():
            event = "rolled back" if decision["action"] == "rollback" else decision["decision"]
            rows.append(
                {
                    "time": decision["timestamp"],
                    "version": version.name,
                    "event": event,
                    "stage": decision["stage"],
                    "score": decision.get("candidate_score"),
                    "incumbent_score": decision.get("incumbent_score"),
                    "reason": decision["reason"],
                }
            )
    return sorted(rows, key=lambda row: _instant(row["time"]))


def _instant(text: str) -> datetime:
    """Timestamps from different writers, comparable (naive ones are UTC, as ZenML's are)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
