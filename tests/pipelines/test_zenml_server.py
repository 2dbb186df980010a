"""The registry CI talks to: ZenML's own server (tests/helpers/zenml_server.py), with its own
store and OAuth2 logins, checks the service account's API key as a deployed server does.

What CI does through it (train on S3 data, promote, list, export, in new interpreters whose
environment names only the server's URL and API key) is tests/infra/test_workflow_runs.py, which
runs the workflows' own steps against this server.
"""

import base64
import json


def _with_other_secret(api_key: str) -> str:
    """`ZENKEY_` + base64 of {"id": ..., "key": ...}, the secret replaced."""
    payload = json.loads(base64.b64decode(api_key.removeprefix("ZENKEY_")))
    payload["key"] = "0" * len(payload["key"])
    return "ZENKEY_" + base64.b64encode(json.dumps(payload).encode()).decode()


def test_the_server_takes_the_service_accounts_key_and_refuses_another_secret(zenml_server):
    assert zenml_server.accepts_api_key(zenml_server.api_key)
    assert not zenml_server.accepts_api_key(_with_other_secret(zenml_server.api_key))
