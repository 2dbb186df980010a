"""Forecaster promotion on real training runs: new weeks of data re-score the incumbent.

Two runs of `model-factory train forecasting` on the same synthetic stores: the first
sees 392 days, the second four more weeks. The first version's registered model (refitted up
to its last day) never saw the second run's 28-day holdout, so promoting the second re-scores
the first on exactly those days. The reverse comparison must refit the second's recipe on the
first run's history before its holdout.
"""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from zenml.client import Client

from model_factory.fair_comparison import comparison_mode, incumbent_metrics
from model_factory.forecasting import synthetic, train
from model_factory.forecasting.config import SyntheticConfig
from model_factory.integrations import zenml_stages
from support import TINY_FORECAST, clear_stages

MODEL = "store_sales_forecaster"


@pytest.fixture
def cli(cli_in_process):
    """The commands in this process: train in a new interpreter is test_forecasting_cli's,
    promote's is test_promotion_cli's; here what counts is the versions and decisions."""
    return cli_in_process


def train_on(cli, tmp_path, sales: pd.DataFrame, name: str) -> dict:
    data, config, out = (tmp_path / f"{name}{suffix}" for suffix in (".csv", ".yaml", ".json"))
    sales.to_csv(data, index=False)
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST}}))
    done = cli("train", "forecasting", "--data", str(data), "--config", str(config),
               "--metrics-out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def rmspe_by_hand(forecaster, rows: pd.DataFrame) -> float:
    """RMSPE of `forecaster` over open days with sales, written out from its definition."""
    errors = []
    for store, days in rows.groupby("Store"):
        predicted = forecaster.predict(int(store), days[train.CALENDAR_COLUMNS])
        actual = days["Sales"].to_numpy(float)
        keep = (days["Open"].to_numpy() == 1) & (actual > 0)
        errors.append((actual[keep] - predicted["forecast"].to_numpy()[keep]) / actual[keep])
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


@pytest.mark.slow
def test_new_weeks_rescore_the_incumbent_and_the_reverse_refits(cli, tmp_path):
    sales, _ = synthetic.generate(SyntheticConfig(n_stores=2, n_days=420, seed=11))
    last_day = pd.to_datetime(sales["Date"]).max()
    older = sales[pd.to_datetime(sales["Date"]) <= last_day - pd.Timedelta(days=28)]
    first, second = train_on(cli, tmp_path, older, "first"), train_on(cli, tmp_path, sales, "new")
    assert first["promotion"] == second["promotion"] == "skipped"
    client = Client()
    v1, v2 = (client.get_model_version(MODEL, m["model_version"]) for m in (first, second))

    clear_stages(MODEL)
    v1.set_stage("staging", force=True)
    done = cli("promote", MODEL, "--to", "staging", "--version", v2.name)
    assert done.returncode in (0, 3), done.stderr
    [decision] = zenml_stages.decisions(client.get_model_version(MODEL, v2.name))
    assert (decision["comparison"], decision["incumbent_version"]) == ("rescore", v1.name)
    assert done.returncode == (0 if decision["decision"] == "promoted" else 3)
    # The console wraps long lines: compare with the line breaks undone.
    assert f"reason: {decision['reason']}" in " ".join(done.stdout.split())
    assert decision["candidate_score"] == pytest.approx(second["rmspe"])
    holdout = v2.get_artifact("holdout_forecasts").load()
    assert holdout["Date"].min() == last_day - pd.Timedelta(days=27)
    incumbent = v1.get_artifact("store_forecaster").load()
    assert decision["incumbent_score"] == pytest.approx(rmspe_by_hand(incumbent, holdout))
    assert decision["incumbent_score"] != pytest.approx(first["rmspe"])  # other days

    # The reverse: v1's holdout days are inside v2's training data, so v2's recipe is refitted
    # on v1's history before that holdout. The recipes are the same, so the refitted models
    # must score exactly what v1's own backtest scored.
    assert comparison_mode(v1.run_metadata, v2.run_metadata) == "refit"
    view = zenml_stages.ZenmlVersion
    refitted = incumbent_metrics(MODEL, "refit", view(v1), view(v2))
    assert refitted["rmspe"] == pytest.approx(first["rmspe"])
