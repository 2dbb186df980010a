"""Concurrent `model-factory promote` processes on one ZenML store end as some sequential order.

Each round registers a holder H in staging and three candidates A > B > C > H, every one more
than the margin above the next (recorded metrics, no training). Three CLI processes promote A,
B and C to staging at the same moment; whatever the interleaving, the recorded decisions (with
the incumbent each was compared with), the exit codes and the final holder must be those of
one of the six sequential orders.
"""

import os
import subprocess
import sys
import time
import uuid
from itertools import permutations

import yaml
from zenml import log_metadata
from zenml.client import Client

from model_factory.integrations import zenml_stages
from model_factory.promotion import POLICY_FILE, load_policies
from support import PROJECT_ROOT

POLICY = load_policies(PROJECT_ROOT / "zenml_config" / POLICY_FILE)["taxi_anomaly_detector"]
SCORES = {"H": 0.55, "A": 0.80, "B": 0.70, "C": 0.62}
ROUNDS = 3

# The real CLI entry point, once per round, started by every worker when the test says go:
# imports and the store connection happen before the start line so the promotions overlap.
WORKER = """
import sys, time
from pathlib import Path
from zenml.client import Client
from model_factory.cli import main
from model_factory.integrations import zenml_stages

folder, version, models = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
Client().zen_store
for number, model in enumerate(models):
    (folder / f"ready-{number}-{version}").touch()
    while not (folder / f"go-{number}").exists():
        time.sleep(0.001)
    sys.argv = ["model-factory", "promote", model, "--to", "staging", "--version", version]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    (folder / f"exit-{number}-{version}").write_text(str(code))
"""


def _register(model: str) -> dict[str, str]:
    """H, A, B, C as versions of a new model (names "1".."4"), H holding staging."""
    Client().create_model(model)
    names = {}
    for label, score in SCORES.items():
        version = Client().create_model_version(model)
        log_metadata(
            metadata={
                "metrics": {POLICY.metric: score},
                "holdout": {"kind": "fixed", "fingerprint": "e0e1e2e3e4e5e6e7"},
                "data_fingerprint": "0123456789abcdef",
            },
            model_version_id=version.id,
        )
        names[label] = version.name
    Client().get_model_version(model, names["H"]).set_stage("staging", force=True)
    return names


def _sequential_outcomes() -> list[tuple[dict, str]]:
    """(decision and incumbent per candidate, final holder) of every order, by the policy."""
    outcomes = []
    for order in permutations("ABC"):
        holder, result = "H", {}
        for candidate in order:
            if SCORES[candidate] - SCORES[holder] > POLICY.margin:
                result[candidate], holder = ("promoted", holder), candidate
            else:
                result[candidate] = ("rejected", holder)
        outcomes.append((result, holder))
    return outcomes


def _wait_for(paths, workers) -> None:
    while not all(p.exists() for p in paths):
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"worker exited early: {worker.communicate()[1][-3000:]}")
        time.sleep(0.01)


def test_concurrent_promotions_end_as_some_sequential_order(tmp_path):
    models = [f"taxi_anomaly_detector-{uuid.uuid4().hex[:8]}" for _ in range(ROUNDS)]
    versions = {model: _register(model) for model in models}
    config = tmp_path / "config"
    config.mkdir()
    # One dump per model: shared objects would be written as YAML aliases, which are refused.
    policies = {m: POLICY.model_dump(mode="json") for m in models}
    (config / POLICY_FILE).write_text(yaml.safe_dump(policies))
    env = {**os.environ, "MODEL_FACTORY_CONFIG_DIR": str(config)}
    labels = versions[models[0]]  # every model numbers its versions alike
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), labels[c], *models],
            cwd=PROJECT_ROOT,
            env=env,
            **pipes,
        )
        for c in "ABC"
    ]
    try:
        for number in range(ROUNDS):
            _wait_for([tmp_path / f"ready-{number}-{labels[c]}" for c in "ABC"], workers)
            (tmp_path / f"go-{number}").touch()
        for worker in workers:
            assert worker.wait(timeout=600) == 0, worker.communicate()[1][-3000:]
        stderr = "".join(worker.communicate()[1] for worker in workers)
    finally:
        for worker in workers:
            worker.kill()

    allowed = _sequential_outcomes()
    by_name = {name: label for label, name in labels.items()}
    for number, model in enumerate(models):
        found, observed = zenml_stages.get_model(model), {}
        for candidate in "ABC":
            name = labels[candidate]
            # A promotion that failed (exit 1 or 2) records nothing: say why, before the records.
            code = (tmp_path / f"exit-{number}-{name}").read_text()
            assert code in ("0", "3"), (model, candidate, code, stderr[-3000:])
            [record] = zenml_stages.decisions(zenml_stages.get_version(found, name))
            observed[candidate] = (record["decision"], by_name[record["incumbent_version"]])
            assert code == {"promoted": "0", "rejected": "3"}[record["decision"]], (model, code)
        final = by_name[zenml_stages.holder(found, "staging").name]
        assert (observed, final) in allowed, (model, observed, final)
