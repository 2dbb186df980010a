"""`model-factory train forecasting` and `zenml pipeline run` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from model_factory.forecasting import synthetic
from model_factory.forecasting.config import SyntheticConfig
from support import PROJECT_ROOT, TINY_FORECAST

SMALL_PARAMETERS = TINY_FORECAST | {"plot_stores": 2, "promote": True}  # the run ends in promote
REQUIRED_METRICS = {
    "rmspe", "mape", "mae", "coverage", "naive_rmspe", "n_stores", "model_version", "promotion",
}  # fmt: skip


def _write_data(folder: Path, n_stores: int = 3, n_days: int = 420) -> tuple[Path, Path]:
    train, stores = synthetic.generate(SyntheticConfig(n_stores=n_stores, n_days=n_days, seed=5))
    train_path, store_path = folder / "train.csv", folder / "store.csv"
    train.to_csv(train_path, index=False)
    stores.to_csv(store_path, index=False)
    return train_path, store_path


def _write_config(folder: Path, **parameters) -> Path:
    path = folder / "forecast.yaml"
    raw = {"enable_cache": False, "parameters": {"config": SMALL_PARAMETERS | parameters}}
    path.write_text(yaml.safe_dump(raw))
    return path


def _corrupt(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    frame = frame.copy()
    if how == "missing column":
        return frame.drop(columns="SchoolHoliday")
    if how == "unparsable date":
        frame["Date"] = frame["Date"].astype(object)
        frame.loc[3, "Date"] = "31/07/2015"
    elif how == "bad state holiday":
        frame.loc[3, "StateHoliday"] = "d"
    elif how == "duplicate":
        frame = pd.concat([frame, frame.iloc[[3]]])
    return frame


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("missing column", "missing column(s) SchoolHoliday"),
        ("unparsable date", "column Date has 1 unparsable value(s), e.g. '31/07/2015'"),
        ("bad state holiday", "column StateHoliday has unexpected value(s) ['d']"),
        ("duplicate", "duplicate Store/Date"),
        ("short", "too little history"),
    ],
)
def test_bad_data_exits_2_with_one_line(cli, tmp_path, how, message):
    train_path, _ = _write_data(tmp_path, n_days=200 if how == "short" else 420)
    _corrupt(pd.read_csv(train_path, dtype={"StateHoliday": str}), how).to_csv(
        train_path, index=False
    )
    result = cli("train", "forecasting", "--data", str(train_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {train_path}: ")
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def test_bad_config_and_store_file_exit_2(cli, tmp_path):
    train_path, store_path = _write_data(tmp_path)
    config = _write_config(tmp_path, candidats=["prophet_log"])
    result = cli("train", "forecasting", "--config", str(config))
    assert result.returncode == 2 and "candidats: Extra inputs are not permitted" in result.stderr
    pd.read_csv(store_path).iloc[1:].to_csv(store_path, index=False)
    config = _write_config(tmp_path)
    result = cli("train", "forecasting", "--data", str(train_path), "--stores",
                 str(store_path), "--config", str(config))  # fmt: skip
    assert result.returncode == 2 and "store(s) of the sales data are missing" in result.stderr


def _model_version(number: str):
    from zenml.client import Client

    return Client().get_model_version("store_sales_forecaster", number)


@pytest.mark.slow
def test_train_command_then_zenml_pipeline_run(cli, tmp_path, scratch):

    train_path, store_path = _write_data(tmp_path)
    config = _write_config(tmp_path)
    metrics_path = tmp_path / "metrics.json"
    result = cli(
        "train", "forecasting", "--data", str(train_path), "--stores", str(store_path),
        "--config", str(config), "--metrics-out", str(metrics_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "backtest (choose on rolling windows, forecast holdout): 3/3 stores" in result.stderr
    assert "cmdstanpy" not in result.stderr + result.stdout
    metrics = json.loads(metrics_path.read_text())
    assert set(metrics) >= REQUIRED_METRICS
    assert metrics["n_stores"] == 3 and metrics["promotion"] in {"promoted", "rejected"}
    assert 0 < metrics["rmspe"] < 1 and 0 < metrics["coverage"] <= 1
    outputs = scratch / "outputs" / "forecasting"
    assert (outputs / "forecast.png").stat().st_size > 10_000
    per_store = pd.read_csv(outputs / "store_metrics.csv")
    assert per_store["Store"].tolist() == [1, 2, 3] and "StoreType" in per_store

    version = _model_version(metrics["model_version"])
    recorded = version.run_metadata
    assert recorded["evaluation_cutoff"] == "2014-01-27"  # day before the 28-day holdout
    assert recorded["training_cutoff"] == "2014-02-24"  # the data's last day (refit on all)
    assert recorded["forecast_start"] == "2014-02-25"
    assert recorded["metrics"]["rmspe"] == pytest.approx(metrics["rmspe"])
    [decision] = recorded["decisions"].values()  # the promote step ended the run
    assert (decision["stage"], decision["decision"]) == ("staging", metrics["promotion"])
    artifact = version.get_model_artifact("store_forecaster")
    files = [Path(root) / f for root, _, names in os.walk(artifact.uri) for f in names]
    assert files and all(f.suffix == ".json" for f in files)  # no pickles
    forecaster = artifact.load()
    future = forecaster.predict(2, horizon_days=7)
    assert future["Date"].iloc[0] == pd.Timestamp("2014-02-25")

    zenml = Path(sys.executable).parent / "zenml"
    run = subprocess.run(
        [str(zenml), "pipeline", "run", "pipelines.forecasting_training.forecasting_training",
         "-c", str(_write_config(tmp_path, data_path=str(train_path), n_jobs=1))],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=os.environ.copy(), timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(_model_version("latest").number) == int(metrics["model_version"]) + 1
