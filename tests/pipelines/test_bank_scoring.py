"""`model-factory predict bank`: batch scoring with the version in a stage.

One tiny real training run; its version is put in production directly (promotion has tests of
its own). The predictions must be the registered classifier's own, whatever the batch's extra
columns, with unseen categories reported; bad batches exit 2 and write nothing.
"""

import json
import zipfile

import pandas as pd
import pytest
import yaml
from zenml.client import Client

from model_factory.bank.config import BankTrainingConfig
from model_factory.bank.data import ARCHIVE
from model_factory.paths import config_dir
from support import clear_stages, run_main, train_into_production

MODEL = "bank_marketing_classifier"


@pytest.fixture(scope="module")
def bank_rows() -> pd.DataFrame:
    with zipfile.ZipFile(ARCHIVE) as archive, archive.open("bank.csv") as handle:
        return pd.read_csv(handle, sep=";")


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> str:
    """A freshly trained version (tiny search) in production, once for this module."""
    folder = tmp_path_factory.mktemp("bank-train")
    raw = yaml.safe_load((config_dir() / "bank_training.yaml").read_text())
    raw["parameters"]["config"]["search"].update(n_candidates=2, cv_folds=2)
    raw["parameters"]["config"]["promote"] = False
    (folder / "train.yaml").write_text(yaml.safe_dump(raw))
    return train_into_production(MODEL, folder, "bank", "--config", str(folder / "train.yaml"))


def test_no_production_version_exits_2_and_says_how_to_promote(tmp_path, bank_rows):
    clear_stages(MODEL)
    batch = tmp_path / "batch.csv"
    bank_rows.head(20).to_csv(batch, sep=";", index=False)
    code, _, err = run_main(
        "predict", "bank", "--data", str(batch), "--out", str(tmp_path / "p.csv")
    )
    assert code == 2
    assert f"no version of {MODEL} is in production" in err
    assert f"model-factory promote {MODEL} --to staging" in err
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.slow
def test_predictions_are_the_production_classifiers_own(cli, tmp_path, bank_rows, production):
    batch = bank_rows.sample(300, random_state=1).drop(columns="y").reset_index(drop=True)
    batch["customer_id"] = [f"c{i}" for i in range(len(batch))]  # extra columns pass through
    batch.loc[:4, "job"] = "astronaut"
    data, out, metrics_path = tmp_path / "batch.csv", tmp_path / "pred.csv", tmp_path / "m.json"
    batch.to_csv(data, sep=";", index=False)
    done = cli("predict", "bank", "--data", str(data), "--out", str(out),
               "--metrics-out", str(metrics_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    predictions = pd.read_csv(out)
    assert list(predictions.columns) == [
        *batch.columns, "probability", "prediction", "model_version", "scored_at",
    ]  # fmt: skip
    assert predictions["customer_id"].tolist() == batch["customer_id"].tolist()
    assert (predictions["model_version"].astype(str) == production).all()
    version = Client().get_model_version(MODEL, production)
    classifier = version.get_artifact("classifier").load()
    features = BankTrainingConfig.model_validate(version.run_metadata["config"]).features
    expected = classifier.predict_proba(batch[features])[:, 1]
    assert predictions["probability"].to_numpy() == pytest.approx(expected, abs=1e-12)
    assert predictions["prediction"].tolist() == classifier.predict(batch[features]).tolist()

    metrics = json.loads(metrics_path.read_text())
    assert metrics["unseen_categories"] == {"job": {"astronaut": 5}}
    assert metrics["n_rows"] == 300 and metrics["model_version"] == production
    assert "categories the model never saw" in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("missing column", "missing column(s) balance"),
        ("wrong type", "column age"),
        ("empty", "file is empty"),
        ("implausible", "column age must be <= 130"),
    ],
)
@pytest.mark.slow
def test_bad_batches_exit_2_and_write_nothing(tmp_path, bank_rows, production, how, message):
    batch = bank_rows.head(50).copy()
    if how == "missing column":
        batch = batch.drop(columns="balance")
    elif how == "wrong type":
        batch["age"] = batch["age"].astype(str)
        batch.loc[3, "age"] = "forty"
    elif how == "implausible":  # a missing value is imputed by the model, a wrong one is refused
        batch.loc[3, "age"] = 500
    data, out = tmp_path / "batch.csv", tmp_path / "pred.csv"
    data.write_text("") if how == "empty" else batch.to_csv(data, sep=";", index=False)
    code, _, err = run_main("predict", "bank", "--data", str(data), "--out", str(out))
    assert code == 2, err
    assert message in err and err.strip().count("\n") == 0
    assert not out.exists()
