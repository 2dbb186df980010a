"""The promotion rule and the fair-comparison choice, for every model's metric direction."""

import math
from dataclasses import dataclass, field

import pytest

from model_factory import use_cases
from model_factory.errors import InputError
from model_factory.fair_comparison import (
    MissingRescorer,
    NotComparable,
    comparison_mode,
    incumbent_metrics,
)
from model_factory.promotion import (
    POLICY_FILE,
    PromotionPolicy,
    decide,
    load_policies,
    metric_value,
    policy_for,
)
from support import PROJECT_ROOT

POLICIES = load_policies(PROJECT_ROOT / "zenml_config" / POLICY_FILE)
MODELS = [use_case.model_name for use_case in use_cases.all()]


def better(policy: PromotionPolicy, value: float, by: float) -> float:
    """`value` improved by `by` metric units in the policy's direction."""
    return value + by if policy.direction == "maximize" else value - by


def baselines(policy: PromotionPolicy, score: float) -> dict[str, float]:
    """Baselines the candidate beats comfortably."""
    return {name: better(policy, score, -0.2) for name in policy.must_beat}


def test_the_shipped_policies_cover_every_use_case():
    assert set(POLICIES) == set(MODELS)
    assert POLICIES["bank_marketing_classifier"].direction == "maximize"
    assert POLICIES["taxi_anomaly_detector"].metric == "f1"
    forecaster = POLICIES["store_sales_forecaster"]
    assert (forecaster.metric, forecaster.direction) == ("rmspe", "minimize")
    assert forecaster.must_beat == ["naive_rmspe"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("m: {metric: f1, direction: maximize, margin: 0.01, floor: 0.5, extra: 1}", "m.extra"),
        ("m: {metric: f1, direction: up, margin: 0.01, floor: 0.5}", "m.direction"),
        ("m: {metric: f1, direction: maximize, margin: -1, floor: 0.5}", "m.margin"),
        ("m: {metric: f1, direction: maximize, margin: 0.01}", "m.floor"),
        ("m: [", "not valid YAML"),
    ],
)
def test_policy_files_are_validated_strictly(tmp_path, text, message):
    path = tmp_path / POLICY_FILE
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        load_policies(path)
    assert "\n" not in str(caught.value)


def test_missing_policy_file_and_unknown_model_are_bad_input(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_policies(tmp_path / POLICY_FILE)
    with pytest.raises(InputError, match="no promotion policy for model 'nope'"):
        policy_for("nope", PROJECT_ROOT / "zenml_config" / POLICY_FILE)


@pytest.mark.parametrize("model", MODELS)
def test_first_version_is_judged_by_the_floor_alone(model):
    policy = POLICIES[model]
    above, below = better(policy, policy.floor, 0.01), better(policy, policy.floor, -0.01)
    promoted = decide(above, None, policy, baselines(policy, above))
    assert promoted.outcome == "promoted" and "no incumbent" in promoted.reason
    assert decide(policy.floor, None, policy, baselines(policy, policy.floor)).outcome == "promoted"
    rejected = decide(below, None, policy, baselines(policy, below))
    assert rejected.outcome == "rejected" and "floor" in rejected.reason
    assert rejected.candidate_score == below


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(
    ("case", "outcome"),
    [("better", "promoted"), ("worse", "rejected"), ("equal", "rejected"),
     ("within margin", "rejected"), ("exactly the margin", "rejected")],
)  # fmt: skip
def test_candidate_must_beat_the_incumbent_by_more_than_the_margin(model, case, outcome):
    policy = POLICIES[model]
    lead = {
        "better": policy.margin + 0.01,
        "worse": -0.02,
        "equal": 0.0,
        "within margin": policy.margin / 2,
        "exactly the margin": policy.margin,
    }[case]
    incumbent = better(policy, policy.floor, 0.05)
    candidate = better(policy, incumbent, lead)
    decision = decide(candidate, incumbent, policy, baselines(policy, candidate))
    assert decision.outcome == outcome, decision.reason
    assert (decision.candidate_score, decision.incumbent_score) == (candidate, incumbent)
    assert f"{policy.margin:g}" in decision.reason


def test_a_forecaster_must_beat_its_seasonal_naive_baseline():
    policy = POLICIES["store_sales_forecaster"]
    candidate, incumbent = 0.20, 0.30  # far better than the incumbent and under the floor
    decision = decide(candidate, incumbent, policy, {"naive_rmspe": 0.19})
    assert decision.outcome == "rejected"
    assert "does not beat naive_rmspe 0.1900" in decision.reason
    tie = decide(candidate, None, policy, {"naive_rmspe": candidate})
    assert tie.outcome == "rejected"
    assert decide(candidate, incumbent, policy, {"naive_rmspe": 0.25}).outcome == "promoted"


@pytest.mark.parametrize("value", [None, "0.8", True, math.nan, math.inf])
def test_a_missing_or_non_numeric_metric_is_bad_input(value):
    metrics = {"roc_auc": value} if value is not None else {}
    with pytest.raises(InputError, match="version 3 has no finite metric 'roc_auc'"):
        metric_value(metrics, "roc_auc", "version 3")
    assert metric_value({"roc_auc": 1}, "roc_auc", "version 3") == 1.0


def hashed(salt=0, fraction=0.2, keys=("age", "job")) -> dict:
    return {"kind": "hash", "key_columns": list(keys), "salt": salt, "test_fraction": fraction}


def fixed(fingerprint: str) -> dict:
    return {"kind": "fixed", "fingerprint": fingerprint}


def timed(train_end: str, test_start: str, test_end: str) -> dict:
    return {"kind": "time", "train_end": train_end, "test_start": test_start, "test_end": test_end}


@pytest.mark.parametrize(
    ("candidate", "incumbent", "mode"),
    [
        # identical holdout and data: the recorded metrics are on the very same rows
        ((hashed(), "a"), (hashed(), "a"), "reuse"),
        ((timed("2015-06-19", "2015-06-20", "2015-07-31"), "a"),
         (timed("2015-06-19", "2015-06-20", "2015-07-31"), "a"), "reuse"),
        # same key and salt: the candidate's test rows were test rows for the incumbent too
        ((hashed(), "b"), (hashed(), "a"), "rescore"),
        ((hashed(fraction=0.1), "a"), (hashed(fraction=0.2), "a"), "rescore"),
        # the incumbent trained on some of the candidate's test rows
        ((hashed(fraction=0.3), "a"), (hashed(fraction=0.2), "a"), "refit"),
        ((hashed(salt=1), "a"), (hashed(salt=0), "a"), "refit"),
        ((hashed(keys=("age",)), "a"), (hashed(), "a"), "refit"),
        # time: rescore only when the incumbent's training ended before the candidate's test
        ((timed("2015-07-31", "2015-08-01", "2015-09-11"), "b"),
         (timed("2015-06-19", "2015-06-20", "2015-07-31"), "a"), "rescore"),
        ((timed("2015-06-19", "2015-06-20", "2015-07-31"), "a"),
         (timed("2015-07-31", "2015-08-01", "2015-09-11"), "b"), "refit"),
        # a fixed evaluation set (taxi's seeded rides): nobody trains on it, whatever the data
        ((fixed("e1"), "b"), (fixed("e1"), "a"), "reuse"),
        ((fixed("e2"), "a"), (fixed("e1"), "a"), "rescore"),
        # unknown or mixed holdouts: refit is always fair
        ((None, "a"), (hashed(), "a"), "refit"),
        (({"kind": "planted"}, "a"), ({"kind": "planted"}, "a"), "refit"),
        ((fixed("e1"), "a"), (hashed(), "a"), "refit"),
        ((hashed(), "a"), (timed("2015-01-01", "2015-01-02", "2015-02-01"), "a"), "refit"),
    ],
)  # fmt: skip
def test_comparison_mode_follows_the_recorded_holdouts(candidate, incumbent, mode):
    ours = {"holdout": candidate[0], "data_fingerprint": candidate[1]}
    theirs = {"holdout": incumbent[0], "data_fingerprint": incumbent[1]}
    assert comparison_mode(ours, theirs) == mode


def test_no_fingerprint_means_no_reuse():
    assert comparison_mode({"holdout": hashed()}, {"holdout": hashed()}) == "rescore"


@dataclass
class Recorded:
    """A version known only by its recorded metadata."""

    name: str
    metadata: dict = field(default_factory=dict)

    def load(self, artifact: str):
        raise AssertionError(f"reuse must not load {artifact}")


def test_reuse_needs_no_use_case_code_and_other_modes_say_what_is_missing():
    incumbent = Recorded("1", {"metrics": {"f1": 0.8}, "config": {}})
    candidate = Recorded("2")
    assert incumbent_metrics("fraud_detector", "reuse", candidate, incumbent) == {"f1": 0.8}
    with pytest.raises(MissingRescorer, match=r"fraud_detector: .* rescore the incumbent"):
        incumbent_metrics("fraud_detector", "rescore", candidate, incumbent)


def test_every_shipped_model_has_a_rescorer_and_taxi_detectors_are_never_refitted():
    assert {use_case.model_name for use_case in use_cases.all()} == set(POLICIES)
    incumbent = Recorded("1", {"metrics": {"f1": 0.8}, "config": {"seed": 1}})
    candidate = Recorded("2", {"holdout": fixed("e2")})
    with pytest.raises(NotComparable, match="cannot be refitted"):
        incumbent_metrics("taxi_anomaly_detector", "refit", candidate, incumbent)
