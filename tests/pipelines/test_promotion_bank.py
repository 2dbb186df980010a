"""The bank pipeline ends in promotion, and fair comparison re-scores or refits real models.

Two real training runs with a tiny search on the bundled bank.csv (a second recipe without
SMOTE keeps the refit cheap): the first is promoted to
staging by its promote step (floor only), the second (a smaller test fraction, promotion off)
is then promoted from the command line, which re-scores the first version's classifier on the
second's held-out rows. The reverse comparison must refit. Other tests of this process may have
trained the same model before: version names come from the runs, and stages start empty.
"""

import json

import pytest
import yaml
from sklearn.metrics import roc_auc_score
from zenml.client import Client

from model_factory.bank import evaluate, model
from model_factory.bank.config import BankTrainingConfig
from model_factory.fair_comparison import comparison_mode, incumbent_metrics
from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from support import clear_stages, run_main

MODEL = "bank_marketing_classifier"


def tiny_config(tmp_path, name: str, **overrides) -> str:
    raw = yaml.safe_load((config_dir() / "bank_training.yaml").read_text())
    settings = raw["parameters"]["config"]
    settings["search"].update(n_candidates=2, cv_folds=2)
    settings.update(overrides)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.slow
def test_training_promotes_and_fair_comparison_uses_the_candidates_holdout(tmp_path):
    clear_stages(MODEL)
    metrics_path = tmp_path / "first.json"
    code, out, err = run_main("train", "bank", "--config",
                              tiny_config(tmp_path, "first.yaml"), "--metrics-out",
                              str(metrics_path))  # fmt: skip
    assert code == 0, err[-3000:]
    first = json.loads(metrics_path.read_text())
    assert first["promotion"] == "promoted"
    assert "promotion: promoted: no incumbent; roc_auc" in out

    metrics_path = tmp_path / "second.json"
    second_config = tiny_config(
        tmp_path, "second.yaml", test_fraction=0.15, promote=False, sampler="none",
        search={"n_candidates": 1, "cv_folds": 2},
    )  # fmt: skip
    code, _, err = run_main(
        "train", "bank", "--config", second_config, "--metrics-out", str(metrics_path)
    )
    assert code == 0, err[-3000:]
    second = json.loads(metrics_path.read_text())
    assert second["promotion"] == "skipped"

    client = Client()
    v1, v2 = (client.get_model_version(MODEL, m["model_version"]) for m in (first, second))
    assert str(v1.stage) == "staging" and v2.stage is None

    # Same salt and key, smaller test fraction: v2's test rows were test rows for v1 too.
    code, _, err = run_main("promote", MODEL, "--to", "staging")
    assert code in (0, 3), err[-3000:]
    [decision] = zenml_stages.decisions(client.get_model_version(MODEL, v2.name))
    assert (decision["comparison"], decision["incumbent_version"]) == ("rescore", v1.name)
    assert code == (0 if decision["decision"] == "promoted" else 3)
    assert decision["candidate_score"] == second["roc_auc"]
    holdout = v2.get_artifact("test_set").load()
    config = BankTrainingConfig.model_validate(v1.run_metadata["config"])
    x, y = model.split_xy(holdout, config)
    classifier = v1.get_artifact("classifier").load()
    assert decision["incumbent_score"] == pytest.approx(
        roc_auc_score(y, classifier.predict_proba(x)[:, 1])
    )
    assert decision["incumbent_score"] != first["roc_auc"]  # not v1's own, different rows

    # The reverse: v1's test rows include rows v2 trained on, so v2's recipe is refitted.
    assert comparison_mode(v1.run_metadata, v2.run_metadata) == "refit"
    view = zenml_stages.ZenmlVersion
    refitted = incumbent_metrics(MODEL, "refit", view(v1), view(v2))
    recipe = BankTrainingConfig.model_validate(v2.run_metadata["config"])
    expected = evaluate.evaluate(
        model.train(v1.get_artifact("train_set").load(), recipe).model,
        v1.get_artifact("test_set").load(),
        recipe,
    )
    assert refitted["roc_auc"] == pytest.approx(expected["roc_auc"])
    assert refitted["n_test"] == first["n_test"]
