"""CI's view of the registry: every command against ZenML's own server, through REST.

The server (tests/helpers/zenml_server.py) runs with its own store; each command runs in a new
interpreter whose environment names only the server's URL and a service account's API key
(ZENML_STORE_URL, ZENML_STORE_API_KEY), as the workflows give them, and an empty client config
folder. The training data is read from S3 (the `s3` fixture: a local S3 server and the standard
AWS_* environment, as for MinIO), as the scheduled job reads the configured data URI. What the
commands did is checked on the server itself (its REST API as the admin), so a command that fell
back to a local store would fail the test.
"""

import base64
import json

import pytest
import yaml

from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from support import TINY_BANK, run_cli

MODEL = "bank_marketing_classifier"


def _versions(server) -> dict[str, dict]:
    """The model's versions on the server, by name."""
    [model] = server.get("models", name=MODEL)["items"]
    items = server.get("model_versions", model=model["id"], size=100)["items"]
    return {item["name"]: item for item in items}


def _with_other_secret(api_key: str) -> str:
    """`ZENKEY_` + base64 of {"id": ..., "key": ...}, the secret replaced."""
    payload = json.loads(base64.b64decode(api_key.removeprefix("ZENKEY_")))
    payload["key"] = "0" * len(payload["key"])
    return "ZENKEY_" + base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.slow
def test_train_promote_and_list_against_the_server(zenml_server, s3, tmp_path):
    # The server checks keys, as a deployed one does: the same key id with another secret fails.
    assert zenml_server.accepts_api_key(zenml_server.api_key)
    assert not zenml_server.accepts_api_key(_with_other_secret(zenml_server.api_key))
    with s3.open("data/bank.csv", "w") as out:
        data.load(BankTrainingConfig()).to_csv(out, sep=";", index=False)
    config = tmp_path / "bank.yaml"
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_BANK | {"promote": False}}}))
    client_config = tmp_path / "client"
    env = zenml_server.client_env(client_config)
    metrics = tmp_path / "metrics.json"

    trained = run_cli("train", "bank", "--data", "s3://data/bank.csv", "--config", str(config),
                      "--metrics-out", str(metrics), env=env)  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    version = json.loads(metrics.read_text())["model_version"]
    stored = _versions(zenml_server)[version]
    assert stored["body"]["stage"] is None
    recorded = zenml_server.get(f"model_versions/{stored['id']}", hydrate=True)
    assert recorded["metadata"]["run_metadata"]["config"]["data_path"] == "s3://data/bank.csv"

    promoted = run_cli("promote", MODEL, "--to", "staging", env=env)
    assert promoted.returncode == 0, promoted.stderr[-3000:]
    assert f"{MODEL} version {version} -> staging" in promoted.stdout
    assert _versions(zenml_server)[version]["body"]["stage"] == "staging"

    listed = run_cli("models", MODEL, "--json", env=env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    rows = {row["version"]: row for row in json.loads(listed.stdout)}
    assert rows[version]["stage"] == "staging"
    assert rows[version]["last_decision"]["decision"] == "promoted"
    # Nothing went to a store of the client's own.
    assert not list(client_config.rglob("*.db"))
