"""A binary table of one's own, from a config file alone: `model: {name: ...}` plus
`parameters.config` naming a CSV with another schema trains with `model-factory train bank`,
registers under its own name, is judged against its own history only, and a run with another
feature/target contract is refused before anything is registered."""

import uuid

import numpy as np
import pandas as pd
import pytest
import yaml
from zenml.client import Client

from model_factory import use_cases
from model_factory.integrations import zenml_stages
from support import assert_refused, run_main

pytestmark = pytest.mark.slow

FEATURES = {"numeric": ["tenure", "monthly_charges"], "categorical": ["contract", "payment"]}


def _churn_table(rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Customers who leave: short tenure, high charges and monthly contracts raise the odds;
    a tenth of the charges and payment methods were never recorded."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, rows).astype(float)
    charges = rng.normal(70, 25, rows).clip(15, 150)
    contract = rng.choice(["monthly", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.2])
    logit = -1.0 - 0.04 * tenure + 0.02 * (charges - 70) + 1.4 * (contract == "monthly")
    churn = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    table = pd.DataFrame(
        {
            "tenure": tenure,
            "monthly_charges": charges,
            "contract": contract,
            "payment": rng.choice(["card", "transfer", "cheque"], rows),
            "churn": churn,
        }
    )
    table.loc[rng.random(rows) < 0.1, "monthly_charges"] = np.nan
    table.loc[rng.random(rows) < 0.1, "payment"] = None
    return table


def _config(tmp_path, model: str, data, numeric: list[str]) -> str:
    path = tmp_path / f"{model}-{len(numeric)}.yaml"
    config = {
        "model": {"name": model},
        "parameters": {
            "config": {
                "data_path": str(data),
                "numeric_features": numeric,
                "categorical_features": FEATURES["categorical"],
                "target": "churn",
                "positive_label": "Yes",
                "search": {"n_candidates": 4, "cv_folds": 2, "min_rows": 200, "n_jobs": 1},
            }
        },
    }
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _versions(model: str) -> int:
    found = Client().list_models(name=model)
    return len(Client().list_model_versions(model=model).items) if found.items else 0


def test_a_config_file_trains_a_model_of_its_own_and_guards_its_contract(tmp_path):
    model = f"churn_classifier_{uuid.uuid4().hex[:8]}"
    data = tmp_path / "churn.csv"
    _churn_table().to_csv(data, index=False)  # comma-separated: the separator is detected
    bank_versions = _versions("bank_marketing_classifier")

    code, out, err = run_main(
        "train", "bank", "--config", _config(tmp_path, model, data, FEATURES["numeric"])
    )
    assert code == 0, err[-3000:]
    assert "promotion: promoted" in out, out[-2000:]
    assert _versions(model) == 1 and _versions("bank_marketing_classifier") == bank_versions
    registered = zenml_stages.get_model(model)
    assert use_cases.tag(use_cases.BANK) in zenml_stages.tag_names(registered)
    version = zenml_stages.holder(registered, "staging")
    metadata = version.run_metadata
    assert metadata["metrics"]["roc_auc"] > 0.7
    assert (
        metadata["missing_values"]["payment"] > 100 and "tenure" not in metadata["missing_values"]
    )

    # Another contract (one feature fewer) under the same name: refused before training.
    other = _config(tmp_path, model, data, ["tenure"])
    code, _, err = run_main("train", "bank", "--config", other)
    assert_refused(code, err, "has another data contract than version")
    assert _versions(model) == 1

    # Batch scoring by model name: missing values imputed as in training.
    scored = tmp_path / "scored.csv"
    code, _, err = run_main(
        "predict", "bank", "--model", model, "--stage", "staging", "--data", str(data),
        "--out", str(scored),
    )  # fmt: skip
    assert code == 0, err[-3000:]
    predictions = pd.read_csv(scored)
    assert len(predictions) == 1500 and set(predictions["model_version"].astype(str)) == {
        version.name
    }

    # The registry commands find the model's use case by its tag (policy, rescorer).
    code, out, err = run_main("promote", model, "--to", "production")
    assert code == 0, err[-2000:]
    assert zenml_stages.holder(zenml_stages.get_model(model), "production").id == version.id
    code, out, err = run_main("history", model)
    assert code == 0 and out.count("promoted") >= 2, (out, err[-2000:])
