"""Promotion, stages and rollback on a real ZenML local store, for the three models' policies.

Versions are registered directly with the ZenML client and carry the metadata a training run
records (metrics, holdout, data fingerprint); every version of a test shares holdout and data,
so the incumbent's recorded metrics are reused. Each test gets a fresh model named after one
of the three real ones and is judged by that model's policy from zenml_config/promotion.yaml.
"""

import uuid
from dataclasses import dataclass

import pytest
from zenml import log_metadata
from zenml.client import Client
from zenml.enums import ModelStages

from model_factory.errors import InputError
from model_factory.integrations import zenml_stages
from model_factory.promotion import POLICY_FILE, PromotionPolicy, load_policies
from support import PROJECT_ROOT

POLICIES = load_policies(PROJECT_ROOT / "zenml_config" / POLICY_FILE)
MODELS = ["bank_marketing_classifier", "taxi_anomaly_detector", "store_sales_forecaster"]
HOLDOUTS = {
    "bank_marketing_classifier": {
        "kind": "hash", "key_columns": ["age", "job"], "salt": 0, "test_fraction": 0.2,
    },
    "taxi_anomaly_detector": {"kind": "fixed", "fingerprint": "e0e1e2e3e4e5e6e7"},
    "store_sales_forecaster": {
        "kind": "time", "train_end": "2015-06-19", "test_start": "2015-06-20",
        "test_end": "2015-07-31",
    },
}  # fmt: skip


@dataclass
class Registry:
    """A fresh model on the store, judged by one real model's policy."""

    kind: str
    name: str
    policy: PromotionPolicy

    def add(self, lead: float | None, **extra_metrics: float) -> str:
        """Register a version whose metric is `lead` better than the floor (None: no metric)."""
        version = Client().create_model_version(self.name)
        metrics = dict(extra_metrics)
        if lead is not None:
            metrics[self.policy.metric] = self.better(self.policy.floor, lead)
            for baseline in self.policy.must_beat:
                metrics.setdefault(baseline, self.better(metrics[self.policy.metric], -0.1))
        log_metadata(
            metadata={
                "metrics": metrics,
                "holdout": HOLDOUTS[self.kind],
                "data_fingerprint": "0123456789abcdef",
                "config": {"seed": 42},
            },
            model_version_id=version.id,
        )
        return version.name

    def better(self, value: float, by: float) -> float:
        return value + by if self.policy.direction == "maximize" else value - by

    def promote(self, stage: str, version: str | None = None):
        return zenml_stages.promote(self.name, stage, self.policy, version)

    def stage(self, version: str) -> str | None:
        found = Client().get_model_version(self.name, version).stage
        return str(found) if found else None

    def holder(self, stage: str) -> str | None:
        found = zenml_stages.holder(zenml_stages.get_model(self.name), stage)
        return found.name if found else None

    def production_version(self) -> str | None:
        """What serving and batch scoring load: ZenML's 'the version in production'."""
        try:
            return Client().get_model_version(self.name, ModelStages.PRODUCTION).name
        except KeyError:
            return None

    def decisions(self, version: str) -> list[dict]:
        return zenml_stages.decisions(Client().get_model_version(self.name, version))


@pytest.fixture(params=MODELS)
def registry(request) -> Registry:
    name = f"{request.param}-{uuid.uuid4().hex[:8]}"
    Client().create_model(name)
    return Registry(request.param, name, POLICIES[request.param])


def test_first_version_needs_only_the_floor(registry):
    low = registry.add(lead=-0.01)
    record = registry.promote("staging")
    assert (record.decision, record.candidate_version, record.incumbent_version) == (
        "rejected",
        low,
        None,
    )
    assert "floor" in record.reason
    assert registry.stage(low) is None and registry.holder("staging") is None
    first = registry.add(lead=0.01)
    record = registry.promote("staging")
    assert (record.decision, record.candidate_version) == ("promoted", first)
    assert registry.holder("staging") == first


@pytest.mark.parametrize(
    ("case", "outcome"),
    [("better", "promoted"), ("worse", "rejected"), ("equal", "rejected"),
     ("within margin", "rejected")],
)  # fmt: skip
def test_staging_needs_a_lead_larger_than_the_margin(registry, case, outcome):
    margin = registry.policy.margin
    lead = {"better": margin + 0.01, "worse": -0.02, "equal": 0.0, "within margin": margin / 2}
    incumbent = registry.add(lead=0.05)
    assert registry.promote("staging").decision == "promoted"
    candidate = registry.add(lead=0.05 + lead[case])
    record = registry.promote("staging")
    assert (record.decision, record.incumbent_version, record.comparison) == (
        outcome,
        incumbent,
        "reuse",
    )
    metric = registry.policy.metric
    assert (
        record.incumbent_score
        == Client().get_model_version(registry.name, incumbent).run_metadata["metrics"][metric]
    )
    expected = (candidate, incumbent) if outcome == "promoted" else (incumbent, candidate)
    assert registry.holder("staging") == expected[0]
    assert registry.stage(expected[1]) == ("archived" if outcome == "promoted" else None)
    assert registry.decisions(candidate)[-1] == record.model_dump(mode="json")


def test_the_recorded_decision_says_what_a_history_needs(registry):
    registry.add(lead=0.05)
    registry.promote("staging")
    candidate = registry.add(lead=0.05 + registry.policy.margin + 0.01)
    registry.promote("staging")
    [decision] = registry.decisions(candidate)
    assert decision["action"] == "promote" and decision["stage"] == "staging"
    assert decision["decision"] == "promoted" and decision["candidate_version"] == candidate
    assert decision["incumbent_version"] == "1" and decision["margin"] == registry.policy.margin
    lead = registry.policy.better(decision["candidate_score"], decision["incumbent_score"])
    assert lead == pytest.approx(registry.policy.margin + 0.01)
    assert decision["timestamp"] and decision["reason"] and decision["archived"] == ["1"]


def test_staging_is_compared_with_production_when_staging_is_empty(registry):
    holder = registry.add(lead=0.05)
    registry.promote("staging")
    registry.promote("production")
    assert registry.holder("staging") is None
    registry.add(lead=0.05)  # equal to production: rejected
    record = registry.promote("staging")
    assert (record.decision, record.incumbent_version) == ("rejected", holder)


def test_missing_metric_is_bad_input(registry):
    bare = registry.add(lead=None, other=0.5)
    with pytest.raises(InputError, match=f"version {bare} has no finite metric"):
        registry.promote("staging")
    assert registry.stage(bare) is None and registry.decisions(bare) == []


def test_forecaster_without_its_naive_baseline_is_bad_input():
    registry = Registry(
        "store_sales_forecaster",
        f"forecaster-{uuid.uuid4().hex[:8]}",
        POLICIES["store_sales_forecaster"],
    )
    Client().create_model(registry.name)
    version = Client().create_model_version(registry.name)
    log_metadata(metadata={"metrics": {"rmspe": 0.2}}, model_version_id=version.id)
    with pytest.raises(InputError, match="no finite metric 'naive_rmspe'"):
        registry.promote("staging")
    worse_than_naive = registry.add(lead=0.1, naive_rmspe=0.1)  # rmspe 0.25 > naive 0.1
    record = registry.promote("staging", worse_than_naive)
    assert record.decision == "rejected" and "naive_rmspe" in record.reason


def test_production_is_refused_without_a_staging_holder(registry):
    version = registry.add(lead=0.05)
    with pytest.raises(InputError, match="no staging holder"):
        registry.promote("production")
    with pytest.raises(InputError, match="only the staging holder may go to production"):
        registry.promote("production", version)
    assert registry.production_version() is None


def test_production_archives_the_old_holder_and_empties_staging(registry):
    old = registry.add(lead=0.05)
    registry.promote("staging")
    registry.promote("production")
    new = registry.add(lead=0.05 + registry.policy.margin + 0.01)
    registry.promote("staging")
    record = registry.promote("production")
    assert (record.decision, record.candidate_version, record.incumbent_version) == (
        "promoted",
        new,
        old,
    )
    assert record.archived == [old]
    assert registry.stage(old) == "archived" and registry.production_version() == new
    assert registry.holder("staging") is None


def test_production_is_judged_against_the_current_holder(registry):
    """Staging beat production at the time; production changed meanwhile (e.g. by hand)."""
    first = registry.add(lead=0.05)
    registry.promote("staging")
    registry.promote("production")
    staged = registry.add(lead=0.05 + registry.policy.margin + 0.01)
    assert registry.promote("staging").incumbent_version == first
    strong = registry.add(lead=0.2)
    Client().get_model_version(registry.name, strong).set_stage("production", force=True)
    record = registry.promote("production")
    assert (record.decision, record.candidate_version, record.incumbent_version) == (
        "rejected",
        staged,
        strong,
    )
    assert registry.production_version() == strong and registry.holder("staging") == staged


def test_repromoting_the_holder_is_a_no_op(registry):
    version = registry.add(lead=0.05)
    registry.promote("staging")
    for stage in ("staging", "production"):
        if stage == "production":
            registry.promote("production")
        record = registry.promote(stage, version)
        assert (record.decision, record.candidate_version) == ("no-op", version)
        assert registry.holder(stage) == version
        assert registry.decisions(version)[-1]["decision"] == "no-op"
    assert [d["decision"] for d in registry.decisions(version)] == ["promoted", "no-op"] * 2
    with pytest.raises(InputError, match="holds production already"):
        registry.promote("staging", version)


def test_rollback_restores_the_previous_production_version(registry):
    first = registry.add(lead=0.05)
    registry.promote("staging")
    with pytest.raises(InputError, match="no version holds production"):
        zenml_stages.rollback(registry.name, registry.policy)
    registry.promote("production")
    with pytest.raises(InputError, match="no previous production version"):
        zenml_stages.rollback(registry.name, registry.policy)
    second = registry.add(lead=0.05 + registry.policy.margin + 0.01)
    registry.promote("staging")
    registry.promote("production")
    waiting = registry.add(lead=0.05 + 2 * registry.policy.margin + 0.02)
    registry.promote("staging")

    record = zenml_stages.rollback(registry.name, registry.policy)
    assert (record.action, record.decision, record.stage) == ("rollback", "promoted", "production")
    assert (record.candidate_version, record.incumbent_version) == (first, second)
    assert record.archived == [second, waiting]  # a new production holder empties staging
    assert registry.production_version() == first and registry.stage(second) == "archived"
    assert registry.holder("staging") is None
    assert registry.decisions(first)[-1]["action"] == "rollback"

    again = zenml_stages.rollback(registry.name, registry.policy)  # undoes the rollback
    assert (again.candidate_version, again.incumbent_version) == (second, first)
    assert registry.production_version() == second


def test_a_rejected_candidate_never_becomes_the_production_version(registry):
    holder = registry.add(lead=0.05)
    registry.promote("staging")
    registry.promote("production")
    rejected = registry.add(lead=0.04)
    assert registry.promote("staging").decision == "rejected"
    assert registry.production_version() == holder
    with pytest.raises(InputError, match="only the staging holder"):
        registry.promote("production", rejected)
    with pytest.raises(InputError, match="no staging holder"):
        registry.promote("production")
    assert registry.production_version() == holder and registry.stage(rejected) is None
    staged = registry.add(lead=0.05 + registry.policy.margin + 0.01)
    registry.promote("staging")
    registry.promote("production")
    assert registry.production_version() == staged != rejected


def test_unknown_model_and_version_are_bad_input(registry):
    with pytest.raises(InputError, match="unknown model"):
        zenml_stages.promote(registry.name + "-nope", "staging", registry.policy)
    with pytest.raises(InputError, match="no version to promote"):
        registry.promote("staging")
    registry.add(lead=0.05)
    for missing in ("7", "staging", "latest"):
        with pytest.raises(InputError, match=f"has no version '{missing}'"):
            registry.promote("staging", missing)
