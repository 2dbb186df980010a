"""`model-factory serve` as an operator starts it: no key, bad settings, and --insecure."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from support import PROJECT_ROOT, assert_refused, run_main


def _serve(*args: str) -> list[str]:
    return [sys.executable, "-m", "model_factory", "serve", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MODEL_FACTORY_API_KEY"}
    return env | extra


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "error: $MODEL_FACTORY_API_KEY is not set: set the API key clients must send in "
                 "X-API-Key, or pass --insecure"),
        ([], {"MODEL_FACTORY_API_KEY": ""}, "error: $MODEL_FACTORY_API_KEY is not set"),
        ([], {"MODEL_FACTORY_API_KEY": "k", "MODEL_FACTORY_SERVE_API_KEY_ENV": "SHOP_KEY",
              "MODEL_FACTORY_SERVE_API_KEY_HEADER": "X-Shop-Key"},
         "error: $SHOP_KEY is not set: set the API key clients must send in X-Shop-Key"),
        (["--port", "0"], {"MODEL_FACTORY_API_KEY": "k"},
         "error: serve settings: port: Input should be greater than or equal to 1"),
        ([], {"MODEL_FACTORY_API_KEY": "k", "MODEL_FACTORY_SERVE_CACHE_SIZE": "many"},
         "error: serve settings: cache_size: Input should be a valid integer"),
        ([], {"MODEL_FACTORY_API_KEY": "k", "MODEL_FACTORY_SERVE_CACHE_SIZ": "10"},
         "error: unknown serve setting(s) MODEL_FACTORY_SERVE_CACHE_SIZ: see "
         "model_factory.serving.settings"),
        ([], {"MODEL_FACTORY_API_KEY": "k", "MODEL_FACTORY_SERVE_PRECOMPUTE_WORKERS": "0"},
         "error: serve settings: precompute_workers: Input should be greater than or equal to 1"),
        ([], {"MODEL_FACTORY_API_KEY": "k", "MODEL_FACTORY_SERVE_PRECOMPUTE": "sometimes"},
         "error: serve settings: precompute: Input should be a valid boolean"),
        (["--stage", "archived"], {"MODEL_FACTORY_API_KEY": "k"}, "'archived' is not one of"),
    ],
)  # fmt: skip
def test_refuses_to_start_with_one_line_exit_2(args, env, message, monkeypatch):
    """The entry point in this process (a new interpreter per case would cost seconds each):
    the test below checks the same refusal from a new interpreter, with nothing else on stderr."""
    monkeypatch.delenv("MODEL_FACTORY_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, stderr = run_main("serve", *args)
    assert code == 2, stderr
    assert message in stderr, stderr
    if message.startswith("error:"):
        assert stderr.startswith(message) and stderr.strip().count("\n") == 0


def test_a_refusal_from_a_new_interpreter_is_one_line_on_stderr_and_exit_2():
    result = _run(_serve("--port", "0"), _env(MODEL_FACTORY_API_KEY="k"))
    assert result.returncode == 2, result.stderr
    message = "error: serve settings: port: Input should be greater than or equal to 1"
    assert result.stderr.startswith(message) and result.stderr.strip().count("\n") == 0


def test_the_metrics_port_must_differ_from_the_api_port():
    code, _, stderr = run_main("serve", "--port", "8000", "--metrics-port", "8000")
    assert_refused(code, stderr, "serve settings: <root>: Value error, metrics_port and port are "
                   "both 8000: give each its own")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_insecure_serves_without_a_key_and_is_not_ready_until_a_model_exists(tmp_path):
    """No key, --insecure: nothing asks for a key; with no such model it stays alive, not ready."""
    port, metrics_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(MODEL_FACTORY_SERVE_MODEL_NAME="no_such_model")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _serve("--port", str(port), "--metrics-port", str(metrics_port), "--insecure",
                   "--reload-interval", "1"),
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                models = httpx.get(f"{url}/models", timeout=10)
                if models.json()["detail"] != "no model version loaded yet":  # first look done
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert models.status_code == 503
        assert "unknown model 'no_such_model'" in models.json()["detail"]
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert (ready.status_code, ready.json()["status"]) == (503, "loading")
        forecast = httpx.post(f"{url}/forecast", json=[{"store_id": 1}])
        assert forecast.status_code == 503
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").status_code == 200
        time.sleep(2.5)  # two more looks (every second) at the missing model: logged once
        assert log.read_text().count("unknown model 'no_such_model'") == 1, log.read_text()
        assert "no API key: anyone may call the API" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
