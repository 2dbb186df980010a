"""Bad input to `model-factory detect taxi`: exit 2, one line, nothing written.

The commands run through the CLI's entry point in this process (`cli_in_process`), not in a new
interpreter each (seconds of imports per case); the last test runs a refusal in a new
interpreter, as a user types it.
"""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from model_factory import sql
from model_factory.taxi import sink
from model_factory.taxi.evaluate import plot_path
from support import run_cli

DAY = "1999-01-02"  # no other test writes this date
HEADER = "ride_id,ride_dist,ride_time\n"
GOOD = HEADER + "a,1.0,3.0\nb,2.0,5.0\n"


@pytest.fixture
def cli(cli_in_process):
    return cli_in_process


@pytest.fixture
def staging(tmp_path) -> str:
    """A staging DB that already holds rows for DAY, which bad runs must leave alone."""
    url = f"sqlite:///{tmp_path / 'staging.db'}"
    previous = pd.DataFrame({
        "ride_id": ["old-1", "old-2"], "ride_dist": [1.0, 2.0], "ride_time": [3.0, 4.0],
        "ride_speed": [20.0, 30.0], "cluster": [0, -1], "is_anomaly": [False, True],
        "model_version": "1",
    })  # fmt: skip
    engine = sql.engine_for(url)
    sink.replace_day(engine, previous, date.fromisoformat(DAY), datetime(1999, 1, 3, tzinfo=UTC))
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        pytest.param(HEADER.replace(",ride_time", "") + "a,1.0\n", [],
                     "missing column(s) ride_time", id="missing-column"),
        pytest.param(HEADER + "a,0,3\nb,2,5\n", [], "column ride_dist must be > 0",
                     id="zero-distance"),
        pytest.param(HEADER + "a,1,3\na,2,5\n", [], "duplicate ride_id", id="duplicate-id"),
        pytest.param("", [], "file is empty", id="empty-file"),
        pytest.param(GOOD, ["--run-date", "1999-02-30"], "not a calendar date", id="bad-date"),
        pytest.param(GOOD, ["--db", "not a url"], "database URL", id="bad-db-url"),
        pytest.param(GOOD, ["--config", "{tmp}/bad.yaml"], "parameters.config.detector.eps",
                     id="bad-config"),
        pytest.param(GOOD, ["--config", "{tmp}/model.yaml"], "model: is not allowed",
                     id="model-in-config"),
        pytest.param(GOOD, ["--rides", "50"], "simulator.n_rides", id="too-few-rides"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_and_writes_nothing(cli, tmp_path, staging, content, options, message):
    rides = tmp_path / "rides.csv"
    if content is not None:
        rides.write_text(content)
    (tmp_path / "bad.yaml").write_text(
        "parameters:\n  config:\n    run_date: '2024-06-01'\n    detector: {eps: -1}\n"
    )
    (tmp_path / "model.yaml").write_text(
        "model: {name: taxi_anomaly_detector}\nparameters:\n  config:\n    run_date: '2024-06-01'\n"
    )
    options = [o.format(tmp=tmp_path) for o in options]
    if "--run-date" not in options:
        options += ["--run-date", DAY]
    if "--db" not in options:
        options += ["--db", staging]
    metrics = tmp_path / "metrics.json"
    done = cli("detect", "taxi", "--data", str(rides), "--metrics-out", str(metrics), *options)

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    engine = sql.engine_for(staging)
    assert sink.read_day(engine, date.fromisoformat(DAY))["ride_id"].tolist() == ["old-1", "old-2"]
    engine.dispose()
    assert not metrics.exists() and not plot_path(DAY).exists()


def test_missing_run_date_is_a_usage_error(cli):
    done = cli("detect", "taxi")
    assert done.returncode == 2
    assert "error: give --run-date D, or --from D1 --to D2 for a range" in done.stderr


def test_unreachable_database_fails_before_any_work(cli, tmp_path):
    done = cli(
        "detect", "taxi", "--run-date", DAY, "--db", f"sqlite:///{tmp_path}/no/such/dir/staging.db"
    )
    assert done.returncode == 1
    assert "cannot connect to sqlite:///" in done.stderr
    assert not plot_path(DAY).exists()


def test_a_refusal_from_a_new_interpreter_is_one_line_and_writes_nothing(tmp_path, staging):
    rides = tmp_path / "rides.csv"
    rides.write_text(HEADER + "a,1,3\na,2,5\n")
    done = run_cli("detect", "taxi", "--data", str(rides), "--run-date", DAY, "--db", staging)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "duplicate ride_id" in done.stderr
    engine = sql.engine_for(staging)
    assert sink.read_day(engine, date.fromisoformat(DAY))["ride_id"].tolist() == ["old-1", "old-2"]
    engine.dispose()
