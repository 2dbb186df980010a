"""ZenML's own server on 127.0.0.1 for the tests, set up as a deployed one is for CI.

The server is ZenML's FastAPI app under uvicorn in a new process, with its own SQLite store and
config folder, OAuth2 logins (not the local daemon's no-auth scheme, so an API key is checked
on every request as on a real deployment) and an admin created at start. A service account and
its API key are made through the REST API as `zenml service-account create` makes them; clients
then need only ZENML_STORE_URL and ZENML_STORE_API_KEY, as in CI.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN, ADMIN_PASSWORD = "admin", "local-test-admin"


@dataclass(frozen=True)
class ZenMLServer:
    url: str
    api_key: str
    admin_token: str

    def get(self, path: str, **params) -> dict:
        """GET /api/v1/PATH as the admin: what the server itself holds."""
        response = httpx.get(
            f"{self.url}/api/v1/{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def accepts_api_key(self, api_key: str) -> bool:
        """Whether the server logs a client in with `api_key` (how the REST client starts)."""
        response = httpx.post(
            f"{self.url}/api/v1/login",
            data={"grant_type": "zenml-api-key", "password": api_key},
            timeout=30,
        )
        return response.status_code == 200

    def client_env(self, config_path: Path) -> dict[str, str]:
        """This process's environment as CI's: the server's URL and API key, and a fresh client
        config folder (a fallback to a local store would land there, not on the server)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_STORE_")}
        return env | {
            "ZENML_STORE_URL": self.url,
            "ZENML_STORE_API_KEY": self.api_key,
            "ZENML_CONFIG_PATH": str(config_path),
        }


def start(folder: Path, port: int) -> tuple[subprocess.Popen, ZenMLServer]:
    """The server process and how to reach it, once it answers /health and holds the key."""
    env = os.environ | {
        "ZENML_CONFIG_PATH": str(folder / "config"),
        "ZENML_STORE_URL": f"sqlite:///{folder / 'zenml.db'}",
        "ZENML_SERVER_AUTH_SCHEME": "OAUTH2_PASSWORD_BEARER",
        "ZENML_SERVER_JWT_SECRET_KEY": os.urandom(16).hex(),
        "ZENML_SERVER_AUTO_ACTIVATE": "true",
        "ZENML_DEFAULT_USER_NAME": ADMIN,
        "ZENML_DEFAULT_USER_PASSWORD": ADMIN_PASSWORD,
        "ZENML_SERVER": "true",
    }
    env.pop("ZENML_STORE_API_KEY", None)
    url = f"http://127.0.0.1:{port}"
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "zenml.zen_server.zen_server_api:app",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    try:
        _wait_healthy(server, url, folder / "server.log")
        token = _login(url, ADMIN, ADMIN_PASSWORD)
        return server, ZenMLServer(url, _service_account_key(url, token), token)
    except BaseException:
        stop(server)
        raise


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(30)


def _wait_healthy(server: subprocess.Popen, url: str, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the ZenML server exited {server.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the ZenML server did not answer in {timeout} s: {log.read_text()[-3000:]}")


def _login(url: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/login", data={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["access_token"]


def _service_account_key(url: str, token: str) -> str:
    """A service account `ci` and its API key (`ZENKEY_...`)."""
    headers = {"Authorization": f"Bearer {token}"}
    account = httpx.post(
        f"{url}/api/v1/service_accounts",
        json={"name": "ci", "active": True},
        headers=headers,
        timeout=30,
    )
    account.raise_for_status()
    key = httpx.post(
        f"{url}/api/v1/service_accounts/{account.json()['id']}/api_keys",
        json={"name": "ci-key"},
        headers=headers,
        timeout=30,
    )
    key.raise_for_status()
    return key.json()["body"]["key"]
