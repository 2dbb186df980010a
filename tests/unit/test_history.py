"""The decision history merges training runs, monitor checks and stage decisions in time order."""

from datetime import datetime

from model_factory.history import VersionRecord, events


def decision(time: str, action: str, stage: str, outcome: str, reason: str) -> dict:
    return {
        "timestamp": time, "action": action, "stage": stage, "decision": outcome,
        "candidate_score": 0.8, "incumbent_score": 0.75, "reason": reason,
    }  # fmt: skip


def test_events_of_all_versions_in_time_order_with_their_kinds():
    first = VersionRecord(
        "1",
        datetime(2026, 11, 1, 9, 0),  # ZenML's naive UTC
        {
            "metrics": {"roc_auc": 0.75},
            "decisions": {
                "a": decision("2026-11-01T09:05:00+00:00", "promote", "staging", "promoted", "r1"),
                "b": decision(
                    "2026-11-03T12:00:00+00:00",
                    "rollback",
                    "production",
                    "promoted",
                    "rollback: version 1 held production before 2",
                ),
            },
            "drift_checks": {
                "c": {
                    "created": "2026-11-02T08:00:00+00:00",
                    "drifted": True,
                    "n_rows": 900,
                    "source": "week.csv",
                    "drifted_checks": ["job", "balance"],
                    "performance_drop": 0.02,
                },
                "d": {
                    "created": "2026-11-01T18:00:00+00:00",
                    "drifted": False,
                    "n_rows": 800,
                    "source": "day.csv",
                    "drifted_checks": [],
                    "performance_drop": None,
                },
            },
        },
    )
    second = VersionRecord(
        "2",
        datetime(2026, 11, 2, 8, 30),
        {"metrics": {"roc_auc": 0.8}, "retrained_because": "drift against production version 1",
         "decisions": {"e": decision("2026-11-02T08:40:00+00:00", "promote", "staging",
                                     "rejected", "lead too small")}},
    )  # fmt: skip
    rows = events([second, first], metric="roc_auc")
    assert [(r["version"], r["event"]) for r in rows] == [
        ("1", "trained"),
        ("1", "promoted"),
        ("1", "monitored"),
        ("1", "drifted"),
        ("2", "retrained"),
        ("2", "rejected"),
        ("1", "rolled back"),
    ]
    assert rows[0]["score"] == 0.75 and rows[4]["reason"] == "drift against production version 1"
    assert rows[3]["reason"] == "900 rows of week.csv; drift in job, balance"
    assert rows[5]["stage"] == "staging" and rows[5]["incumbent_score"] == 0.75


def test_a_model_without_metadata_has_just_its_training_runs():
    rows = events([VersionRecord("1", datetime(2026, 1, 1), {})])
    assert [(r["event"], r["score"], r["reason"]) for r in rows] == [("trained", None, "")]
