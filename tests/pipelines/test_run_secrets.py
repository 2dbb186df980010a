"""Database passwords never reach ZenML's records: a config file holding one is refused (run
configs are stored with every run), and one given with --db is found nowhere in the store."""

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from zenml.client import Client

from support import World, assert_refused, run_main

PASSWORD = "Pw-4e1f0c9a-never-recorded"


@pytest.mark.parametrize(
    ("command", "config"),
    [
        (["detect", "taxi", "--run-date", "2024-06-01"], "run_date: '2024-06-01'"),
        (["monitor", "taxi", "--run-date", "2024-06-01"], "run_date: '2024-06-01'"),
        (["predict", "forecasting"], "horizon_days: 7"),
    ],
    ids=["detect", "monitor", "predict"],
)
def test_a_password_in_a_config_file_is_refused(tmp_path, command, config):
    path = tmp_path / "run.yaml"
    url = f"postgresql://user:{PASSWORD}@127.0.0.1:1/db"
    path.write_text(f"parameters:\n  config:\n    {config}\n    db_url: '{url}'\n")
    before = World(folders=[tmp_path])
    code, _, err = run_main(*command, "--config", str(path))
    assert_refused(code, err, "parameters.config.db_url: Value error, holds a password")
    assert "--db or $MODEL_FACTORY_DB_URL" in err and PASSWORD not in err
    assert World(folders=[tmp_path]) == before


@pytest.mark.postgres
def test_a_password_given_with_db_is_nowhere_in_the_zenml_store(postgres_url, tmp_path):
    """The server trusts local connections, so any password is accepted and the run completes."""
    url = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    metrics = tmp_path / "metrics.json"
    code, out, err = run_main(
        "detect", "taxi", "--run-date", "2024-06-05", "--rides", "500",
        "--db", url, "--metrics-out", str(metrics),
    )  # fmt: skip
    assert code == 0, err[-3000:]
    assert PASSWORD not in out + err + metrics.read_text()
    client = Client()
    run = client.get_pipeline_run(metrics_run_name(out))
    assert PASSWORD not in run.model_dump_json() + run.config.model_dump_json()
    for step in run.steps.values():
        assert PASSWORD not in step.config.model_dump_json()
    store = Path(make_url(client.zen_store.config.url).database).parent
    artifacts = Path(client.active_stack.artifact_store.path)
    secret = PASSWORD.encode()
    files = [p for folder in (store, artifacts) for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    assert [p for p in files if secret in p.read_bytes()] == []


def metrics_run_name(out: str) -> str:
    """The run name the metrics header prints: `taxi 2024-06-05 (run NAME)`."""
    return out.split("(run ", 1)[1].split(")", 1)[0]
