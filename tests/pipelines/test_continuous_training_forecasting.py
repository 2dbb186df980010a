"""Drift-triggered retraining of the store forecaster, on real runs of the training pipeline.

A tiny forecaster (4 synthetic stores, 4-week windows) goes into production. The next four weeks
of the same stores must not retrain anything; the same weeks with a level change and a lost
promotion effect must train a version on the production version's history plus the batch and
offer it for staging. Its holdout is the second half of the shifted weeks (the first half is
in its training data); the gate may take or reject it: the test checks the recorded decision
follows from the recorded scores either way. A batch too short to split exits 2 first.
"""

import pytest
import yaml
from zenml.client import Client

from model_factory.forecasting import shift, synthetic
from model_factory.forecasting.config import SyntheticConfig
from model_factory.integrations import zenml_stages
from support import (
    TINY_FORECAST,
    gate_decision,
    retrained,
    run_main,
    train_into_production,
    version_names,
)

MODEL = "store_sales_forecaster"
WORLD = SyntheticConfig(n_stores=4, n_days=420, seed=11)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("forecast-ct")


@pytest.fixture(scope="module")
def retrain_config(folder) -> str:
    """The tiny training config, with the staging gate on (as in production use)."""
    path = folder / "train.yaml"
    path.write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST | {"promote": True}}}))
    return str(path)


@pytest.fixture(scope="module")
def production(folder) -> str:
    history, config = folder / "history.csv", folder / "first.yaml"
    synthetic.generate(WORLD)[0].to_csv(history, index=False)
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST}}))
    return train_into_production(
        MODEL, folder, "forecasting", "--data", str(history), "--config", str(config)
    )


def retrain(folder, retrain_config, shifted: bool) -> tuple[str, object]:
    batch = shift.next_days(WORLD, 28)
    if shifted:
        level, promo, _ = shift.pick_stores(batch["Store"], seed=0, n=1)
        batch = shift.shift(batch, level, promo)
    path = folder / ("shifted.csv" if shifted else "fresh.csv")
    batch.to_csv(path, index=False)
    out = folder / f"metrics_{path.stem}.json"
    code, printed, err = run_main(
        "retrain-if-drifted", "forecasting", "--data", str(path), "--config", retrain_config,
        "--metrics-out", str(out),
    )  # fmt: skip
    assert code == 0, err[-3000:]
    return printed, out


def test_fresh_weeks_train_nothing(folder, retrain_config, production):
    before = version_names(MODEL)
    printed, out = retrain(folder, retrain_config, shifted=False)
    assert "no drift: nothing retrained" in printed
    assert version_names(MODEL) == before and not out.exists()


def test_shifted_weeks_retrain_and_the_gate_follows_its_scores(folder, retrain_config, production):
    before = version_names(MODEL)
    printed, out = retrain(folder, retrain_config, shifted=True)
    assert "retraining" in printed
    metrics, version = retrained(
        MODEL, before, out, f"drift against production version {production} on shifted.csv: "
    )
    assert (
        version.run_metadata["training_cutoff"]
        > Client().get_model_version(MODEL, production).run_metadata["training_cutoff"]
    )  # the batch's weeks are in the new version's data
    assert version.run_metadata["config"]["holdout_days"] == 14  # half the 28-day batch
    [decision] = zenml_stages.decisions(version)
    assert (decision["stage"], decision["incumbent_version"]) == ("staging", production)
    recorded = version.run_metadata["metrics"]
    assert decision["candidate_score"] == pytest.approx(recorded["rmspe"])
    expected = gate_decision(decision, {"naive_rmspe": recorded["naive_rmspe"]})
    assert decision["decision"] == expected == metrics["promotion"]
    assert str(Client().get_model_version(MODEL, production).stage) == "production"
    print(f"forecasting retrain: {decision['decision']} ({decision['reason']})")


def test_a_batch_too_short_to_learn_and_judge_the_change_exits_2_first(folder, production):
    path = folder / "short.csv"
    shift.shift(shift.next_days(WORLD, 13), level_stores=[1]).to_csv(path, index=False)
    before = version_names(MODEL)
    code, printed, err = run_main("retrain-if-drifted", "forecasting", "--data", str(path))
    assert code == 2, err[-2000:]
    assert "recent batch: 13 days; retraining needs at least 14" in err
    assert "drift" not in printed  # refused before monitoring
    assert version_names(MODEL) == before
