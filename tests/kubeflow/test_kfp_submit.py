"""`model-factory submit` against a fake KFP API server speaking real HTTP on 127.0.0.1.

The fake (tests/helpers/fake_kfp_server.py) checks every body against the `kfp_server_api` models
and parses uploaded packages into the pipeline protos, so these tests see the requests kfp.Client
really sends: the package the compiler wrote, uploaded as a version of its pipeline, then a run or
a recurring run of exactly that version.
"""

import hashlib
import json
import socket
import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from fake_kfp_server import FakeKfp, Server
from kfp import dsl

from model_factory.errors import InputError
from model_factory.integrations.kubeflow import monitors, submitter
from model_factory.integrations.kubeflow.cron import to_kfp
from model_factory.paths import config_dir
from support import run_main

COMMIT = "0123456789abcdef0123456789abcdef01234567"
UPLOAD = ("POST", "/apis/v2beta1/pipelines/upload_version")
SUBMITTED = ("bank_training", "bank_monitor", "taxi_detection")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    """The real pipelines these tests submit, compiled as `model-factory compile` does (every
    pipeline compiling is test_kfp_compile's)."""
    from components import PIPELINES
    from model_factory.integrations.kubeflow.compiler import compile_all
    from support import PROJECT_ROOT

    out = tmp_path_factory.mktemp("kfp")
    submitted = {name: PIPELINES[name] for name in SUBMITTED}
    compile_all(
        submitted, out, "registry.example/model-factory:test", PROJECT_ROOT / "zenml_config"
    )
    return out


@pytest.fixture
def package(build_dir: Path) -> Path:
    return build_dir / "bank_training.yaml"


@pytest.fixture
def fake():
    with Server(FakeKfp()) as api:
        yield api


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch):
    for name in (submitter.TOKEN_ENV, submitter.TOKEN_FILE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_COMMIT", COMMIT)


def _submit(package: Path, host: str, **options):
    defaults = {
        "version_name": submitter.default_version_name(package, COMMIT),
        "reuse_version": True,
        "experiment": "bank_training",
    }
    return submitter.submit(package, "bank_training", host, **{**defaults, **options})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_first_submit_creates_the_pipeline_uploads_the_package_and_runs_that_version(package, fake):
    done = _submit(package, fake.url)

    expected_name = f"0123456-{hashlib.sha256(package.read_bytes()).hexdigest()[:8]}"
    assert done.version_name == expected_name and done.uploaded
    [pipeline] = fake.pipelines.values()
    assert pipeline["display_name"] == "bank_training"
    [version] = fake.versions.values()
    assert (version["display_name"], version["pipeline_id"]) == (expected_name, done.pipeline_id)
    # What the server stored is the package itself (plus its Kubernetes platform spec, if any).
    docs = list(yaml.safe_load_all(package.read_text()))
    platform = {"platform_spec": docs[1]} if len(docs) > 1 else {}
    assert version["pipeline_spec"] == (
        {"pipeline_spec": docs[0], **platform} if platform else docs[0]
    )
    [upload] = fake.calls(*UPLOAD)
    assert upload.query["name"] == expected_name
    assert upload.query["pipelineid"] == done.pipeline_id
    [experiment] = fake.experiments.values()
    assert experiment["display_name"] == "bank_training"
    [run] = fake.runs.values()
    assert run["pipeline_version_reference"] == {
        "pipeline_id": done.pipeline_id,
        "pipeline_version_id": done.version_id,
    }
    assert run["experiment_id"] == experiment["experiment_id"] == done.experiment_id
    assert run["display_name"] == f"bank_training {expected_name}"
    assert run.get("runtime_config", {}).get("parameters", {}) == {}  # compiled defaults apply
    assert done.run_id == run["run_id"] and done.recurring_run_id is None
    assert done.url == f"{fake.url}/#/runs/details/{run['run_id']}"


def test_the_same_package_again_reuses_its_version_and_starts_another_run(package, fake):
    first = _submit(package, fake.url)
    second = _submit(package, fake.url)

    assert not second.uploaded
    assert (second.pipeline_id, second.version_id) == (first.pipeline_id, first.version_id)
    assert len(fake.calls(*UPLOAD)) == 1 and len(fake.versions) == 1
    assert len(fake.runs) == 2 and len(fake.experiments) == 1


def test_a_changed_package_is_a_new_version_of_the_same_pipeline(package, fake, tmp_path):
    first = _submit(package, fake.url)
    changed = tmp_path / package.name
    spec = list(yaml.safe_load_all(package.read_text()))
    spec[0]["root"]["inputDefinitions"]["parameters"]["seed"]["defaultValue"] = 7.0
    changed.write_text(yaml.safe_dump_all(spec, sort_keys=True))

    second = _submit(
        changed, fake.url, version_name=submitter.default_version_name(changed, COMMIT)
    )

    assert second.uploaded and second.version_name != first.version_name
    assert second.pipeline_id == first.pipeline_id and len(fake.pipelines) == 1
    stored = fake.versions[second.version_id]["pipeline_spec"]
    stored = stored.get("pipeline_spec", stored)
    assert stored["root"]["inputDefinitions"]["parameters"]["seed"]["defaultValue"] == 7.0


def test_an_explicit_version_name_that_exists_is_refused(package, fake):
    _submit(package, fake.url, version_name="release-1", reuse_version=False)
    with pytest.raises(InputError, match="already has a version named 'release-1'"):
        _submit(package, fake.url, version_name="release-1", reuse_version=False)
    assert len(fake.calls(*UPLOAD)) == 1 and len(fake.runs) == 1


def test_a_schedule_creates_a_recurring_run_of_the_version_with_a_six_field_cron(package, fake):
    done = _submit(package, fake.url, experiment="nightly", cron=to_kfp("30 6 * * 1-5"))

    assert fake.runs == {}
    [recurring] = fake.recurring_runs.values()
    assert recurring["trigger"] == {"cron_schedule": {"cron": "0 30 6 * * 1-5"}}
    assert recurring["mode"] == "ENABLE" and recurring["no_catchup"] is True
    assert int(recurring["max_concurrency"]) == 1
    assert recurring["pipeline_version_reference"]["pipeline_version_id"] == done.version_id
    assert fake.experiments[recurring["experiment_id"]]["display_name"] == "nightly"
    assert done.url == f"{fake.url}/#/recurringrun/details/{recurring['recurring_run_id']}"


def test_the_token_from_the_environment_goes_with_every_request(package, fake, monkeypatch):
    fake.token = "s3cret"
    monkeypatch.setenv(submitter.TOKEN_ENV, "s3cret")
    _submit(package, fake.url)
    assert fake.runs and {r.headers.get("authorization") for r in fake.requests} == {
        "Bearer s3cret"
    }


def test_a_service_account_token_file_is_used_when_no_token_is_set(
    package, fake, monkeypatch, tmp_path
):
    fake.token = "projected-token"
    token_file = tmp_path / "token"
    token_file.write_text("projected-token\n")
    monkeypatch.setenv(submitter.TOKEN_FILE_ENV, str(token_file))
    _submit(package, fake.url)
    assert fake.runs

    monkeypatch.setenv(submitter.TOKEN_FILE_ENV, str(tmp_path / "missing"))
    with pytest.raises(InputError, match="no such token file"):
        _submit(package, fake.url)


def test_multi_user_kubeflow_needs_a_namespace_and_gets_it(package, fake):
    fake.multi_user = True
    with pytest.raises(InputError, match="multi-user: pass --namespace"):
        _submit(package, fake.url)
    assert fake.pipelines == {}

    _submit(package, fake.url, namespace="team-a")
    [pipeline] = fake.pipelines.values()
    [experiment] = fake.experiments.values()
    assert pipeline["namespace"] == experiment["namespace"] == "team-a"
    assert len(fake.runs) == 1


def test_a_namespace_on_standalone_kfp_is_refused_before_anything_is_created(package, fake):
    with pytest.raises(InputError, match="single-user"):
        _submit(package, fake.url, namespace="team-a")
    assert fake.pipelines == {}


def test_a_host_that_is_not_the_kfp_api_says_so(package, tmp_path):
    (tmp_path / "apis" / "v2beta1").mkdir(parents=True)
    (tmp_path / "apis" / "v2beta1" / "healthz").write_text("<html>Sign in</html>")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
    try:
        host = f"http://127.0.0.1:{httpd.server_address[1]}"
        with pytest.raises(InputError, match=r"is not the KFP API.*Sign in"):
            _submit(package, host)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_rejected_call_names_the_operation_and_the_server_message(package, fake):
    fake.fail_next[UPLOAD] = (400, "invalid pipeline spec: root is required")
    with pytest.raises(InputError) as error:
        _submit(package, fake.url)
    assert str(error.value) == (
        f"KFP API at {fake.url} rejected uploading bank_training.yaml as version "
        f"{submitter.default_version_name(package, COMMIT)}: HTTP 400: "
        "invalid pipeline spec: root is required"
    )


def _post(url: str, body: object, content_type: str = "application/json") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_fake_server_rejects_malformed_requests(package, fake):
    """The fake is only a good witness if it refuses what the real API would refuse."""
    done = _submit(package, fake.url)
    reference = {"pipeline_id": done.pipeline_id, "pipeline_version_id": done.version_id}
    cron_run = {
        "display_name": "r", "mode": "ENABLE", "pipeline_version_reference": reference,
        "trigger": {"cron_schedule": {"cron": "0 0 6 * * *"}}, "max_concurrency": "1",
    }  # fmt: skip
    bad = [
        ("/apis/v2beta1/runs", {"display_name": "r", "pipeline_version_reference": reference,
                                "colour": "red"}, 400, "unknown field 'colour'"),
        ("/apis/v2beta1/runs", {"display_name": 3, "pipeline_version_reference": reference},
         400, "expected a string"),
        ("/apis/v2beta1/runs", {"display_name": "r", "pipeline_version_reference": {
            "pipeline_version_id": "nope"}}, 404, "not found"),
        ("/apis/v2beta1/runs", {"display_name": "r", "pipeline_version_reference": reference,
                                "runtime_config": {"parameters": {"sede": 1}}}, 400,
         "not inputs of the pipeline"),
        ("/apis/v2beta1/recurringruns", {**cron_run, "mode": "ON"}, 400, "is not one of"),
        ("/apis/v2beta1/recurringruns", {**cron_run, "max_concurrency": "many"}, 400,
         "expected an int64"),
        ("/apis/v2beta1/recurringruns", {**cron_run, "max_concurrency": 11}, 400, "between 1"),
        ("/apis/v2beta1/recurringruns",
         {**cron_run, "trigger": {"cron_schedule": {"cron": "0 6 * * *"}}}, 400, "6 fields"),
        ("/apis/v2beta1/recurringruns", {**cron_run, "trigger": {}}, 400, "exactly one of"),
        ("/apis/v2beta1/experiments", {"display_name": "bank_training"}, 409, "already exists"),
        ("/apis/v2beta1/pipelines", {"display_name": "x", "namespace": "team-a"}, 400,
         "single-user"),
    ]  # fmt: skip
    for path, body, status, message in bad:
        code, error = _post(fake.url + path, body)
        assert (code, set(error)) == (status, {"code", "message"}), (path, body, error)
        assert message in error["message"], (path, body, error)
    assert _post(fake.url + "/apis/v2beta1/recurringruns", cron_run)[0] == 200

    boundary = "b0undary"
    spec = next(yaml.safe_load_all(package.read_text()))  # the pipeline spec, not its platform
    spec["root"]["colour"] = "red"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="uploadfile"; '
        f'filename="p.yaml"\r\nContent-Type: application/octet-stream\r\n\r\n'
        f"{yaml.safe_dump(spec)}\r\n--{boundary}--\r\n"
    ).encode()
    code, error = _post(
        f"{fake.url}/apis/v2beta1/pipelines/upload_version?name=v9&pipelineid={done.pipeline_id}",
        multipart,
        f"multipart/form-data; boundary={boundary}",
    )
    assert (
        code == 400 and "invalid pipeline spec" in error["message"] and "colour" in error["message"]
    )


# --- the command ------------------------------------------------------------------------------


def test_cli_submit_uploads_and_runs_and_prints_where_to_look(cli, build_dir, fake):
    result = cli("submit", "bank_training", "--host", fake.url + "/", "--dir", str(build_dir))
    assert result.returncode == 0, result.stderr
    [version] = fake.versions.values()
    [run] = fake.runs.values()
    assert version["display_name"].startswith("0123456-")
    assert result.stdout.splitlines() == [
        f"pipeline bank_training ({version['pipeline_id']}): version {version['display_name']} "
        f"({version['pipeline_version_id']}) uploaded",
        f"run {run['run_id']} in experiment bank_training: "
        f"{fake.url}/#/runs/details/{run['run_id']}",
    ]
    assert version["description"] == f"bank_training.yaml from commit {COMMIT}"


def test_cli_upload_only_publishes_the_version_and_starts_nothing(build_dir, fake):
    args = ("submit", "bank_training", "--host", fake.url, "--dir", str(build_dir))
    code, out, err = run_main(*args, "--upload-only", "--version-name", "r1")
    assert code == 0, err
    [version] = fake.versions.values()
    assert version["display_name"] == "r1"
    assert fake.runs == {} and fake.recurring_runs == {} and fake.experiments == {}
    assert out.splitlines()[-1] == (
        f"nothing started: {fake.url}/#/pipelines/details/{version['pipeline_id']}"
        f"/version/{version['pipeline_version_id']}"
    )
    code, _, err = run_main(*args, "--upload-only", "--schedule", "0 6 * * *")
    assert code == 2 and "drop --schedule or --upload-only" in err
    assert len(fake.versions) == 1


def test_cli_an_unreachable_host_exits_2_in_one_line(cli_in_process, build_dir):
    host = f"http://127.0.0.1:{_closed_port()}"
    result = cli_in_process("submit", "bank_training", "--host", host, "--dir", str(build_dir))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot reach the KFP API at {host}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_schedule_makes_a_recurring_run(build_dir, fake):
    code, out, err = run_main(
        "submit", "bank_training", "--host", fake.url, "--dir", str(build_dir),
        "--schedule", "0 6 * * *", "--experiment", "daily", "--version-name", "v1",
    )  # fmt: skip
    assert code == 0, err
    [recurring] = fake.recurring_runs.values()
    assert recurring["trigger"]["cron_schedule"]["cron"] == "0 0 6 * * *"
    assert [v["display_name"] for v in fake.versions.values()] == ["v1"]
    assert out.splitlines()[-1] == (
        f"recurring run {recurring['recurring_run_id']} (0 0 6 * * *) in experiment daily: "
        f"{fake.url}/#/recurringrun/details/{recurring['recurring_run_id']}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "localhost:8080"], "give the KFP URL with its scheme"),
        (["--host", "http://x", "--schedule", "0 6 * *"], "expected 5 fields"),
        (["--host", "http://x", "--dir", "/nonexistent"], "run `model-factory compile` first"),
        ([], "--host is required (the KFP URL), or --local to run here"),
        (["--host", "http://x", "--pipeline-root", "/tmp/r"], "--pipeline-root goes with --local"),
        (["--local", "--host", "http://x"], "--local runs the package here: drop --host"),
        (["--local", "--schedule", "0 6 * * *"], "--local runs the package here: drop --schedule"),
        (["--local", "--scheduled"], "--local runs the package here: drop --scheduled"),
        (["--local", "--dir", "/nonexistent"], "run `model-factory compile` first"),
    ],
)
def test_cli_bad_options_exit_2_before_any_request(build_dir, args, message):
    code, _, err = run_main("submit", "bank_training", "--dir", str(build_dir), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_cli_server_errors_and_missing_credentials_exit_2_in_one_line(build_dir, fake):
    fake.fail_next[("POST", "/apis/v2beta1/runs")] = (500, "internal: database is locked")
    code, _, err = run_main("submit", "bank_training", "--host", fake.url, "--dir", str(build_dir))
    assert code == 2
    assert err.strip() == (
        f"error: KFP API at {fake.url} rejected creating the run: HTTP 500: "
        "internal: database is locked"
    )

    fake.token = "s3cret"
    code, _, err = run_main("submit", "bank_training", "--host", fake.url, "--dir", str(build_dir))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "rejected the health check: HTTP 401" in err and "set $KF_PIPELINES_TOKEN" in err


# --- schedules configured in zenml_config/kubeflow_monitors.yaml -------------------------------


def test_cli_scheduled_makes_a_recurring_run_on_the_configured_cron(build_dir, fake):
    configured = monitors.schedule(config_dir(), "bank_monitor")
    code, out, err = run_main(
        "submit", "bank_monitor", "--host", fake.url, "--dir", str(build_dir), "--scheduled"
    )
    assert code == 0, err
    assert fake.runs == {}
    [recurring] = fake.recurring_runs.values()
    assert recurring["trigger"] == {"cron_schedule": {"cron": to_kfp(configured)}}
    [version] = fake.versions.values()
    assert (
        recurring["pipeline_version_reference"]["pipeline_version_id"]
        == (version["pipeline_version_id"])
    )
    assert fake.pipelines[version["pipeline_id"]]["display_name"] == "bank_monitor"
    assert f"({to_kfp(configured)}) in experiment bank_monitor" in out.splitlines()[-1]


def _monitors_file(folder: Path, **bank_monitor) -> Path:
    """A kubeflow_monitors.yaml in `folder` whose bank_monitor section is `bank_monitor`."""
    raw = yaml.safe_load((config_dir() / monitors.FILE).read_text())
    raw["bank_monitor"] = {**raw["bank_monitor"], **bank_monitor}
    (folder / monitors.FILE).write_text(yaml.safe_dump(raw))
    return folder


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"schedule": "0 6 * *"},
            "bank_monitor.schedule: Value error, schedule '0 6 * *': expected 5 fields",
        ),
        ({"schedule": "0 25 * * *"}, "hour '25': 25 is outside 0-23"),
        ({"shedule": "0 6 * * *"}, "bank_monitor.shedule: Extra inputs are not permitted"),
    ],
)
def test_cli_a_bad_configured_schedule_exits_2_in_one_line_before_any_request(
    cli_in_process, build_dir, fake, tmp_path, monkeypatch, section, message
):
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", str(_monitors_file(tmp_path, **section)))
    result = cli_in_process(
        "submit", "bank_monitor", "--host", fake.url, "--dir", str(build_dir), "--scheduled"
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {tmp_path / monitors.FILE}: ")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("pipeline", "args", "message"),
    [
        ("bank_training", ["--scheduled"], "bank_training has no section in kubeflow_monitors"),
        ("bank_monitor", ["--scheduled", "--schedule", "0 6 * * *"], "drop --schedule or"),
        ("bank_monitor", ["--scheduled", "--upload-only"], "drop --scheduled or --upload-only"),
    ],
)
def test_cli_scheduled_needs_a_configured_monitor_and_no_other_schedule(
    build_dir, fake, pipeline, args, message
):
    code, _, err = run_main("submit", pipeline, "--host", fake.url, "--dir", str(build_dir), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert fake.requests == []


@pytest.mark.parametrize(
    ("image", "pullable"),
    [
        ("model-factory:0.1.0", False),  # the compile default: Docker Hub has no such library image
        ("localhost/model-factory:dev", False),  # `make image`'s tag: on this machine only
        ("team/model-factory:1", False),  # a Docker Hub user's image would need the host named
        ("europe-docker.pkg.dev/p/r/model-factory:1", True),
        ("registry.local:5000/model-factory@sha256:" + "0" * 64, True),
    ],
)
def test_images_a_cluster_cannot_pull_are_named(tmp_path, image, pullable):
    from model_factory.integrations.kubeflow.compiler import unpullable_images

    package = tmp_path / "p.yaml"
    executors = {"exec-a": {"container": {"image": image}}, "exec-b": {"importer": {}}}
    package.write_text(yaml.safe_dump({"deploymentSpec": {"executors": executors}}))
    assert unpullable_images(package) == ([] if pullable else [image])


def test_cli_submit_warns_about_an_unpullable_image_and_still_submits(build_dir, fake, tmp_path):
    local = tmp_path / "bank_training.yaml"
    local.write_text(
        (build_dir / "bank_training.yaml")
        .read_text()
        .replace("registry.example/model-factory:test", "model-factory:0.1.0")
    )
    code, _, err = run_main("submit", "bank_training", "--host", fake.url, "--dir", str(tmp_path))
    assert code == 0, err
    assert "warning: bank_training runs image model-factory:0.1.0, which names no registry" in err
    assert len(fake.runs) == 1
    code, _, err = run_main("submit", "bank_training", "--host", fake.url, "--dir", str(build_dir))
    assert code == 0 and "warning" not in err


def test_cli_backfill_makes_one_run_per_past_date_with_its_run_date(build_dir, fake):
    code, out, err = run_main(
        "submit", "taxi_detection", "--host", fake.url, "--dir", str(build_dir),
        "--backfill", "2024-02-28", "2024-03-01", "--version-name", "v1",
    )  # fmt: skip
    assert code == 0, err
    [version] = fake.versions.values()
    runs = list(fake.runs.values())
    assert [r["runtime_config"]["parameters"] for r in runs] == [
        {"run_date": "2024-02-28"},
        {"run_date": "2024-02-29"},
        {"run_date": "2024-03-01"},
    ]
    assert {r["pipeline_version_reference"]["pipeline_version_id"] for r in runs} == {
        version["pipeline_version_id"]
    }
    assert [r["display_name"] for r in runs] == [
        f"taxi_detection v1 {day}" for day in ("2024-02-28", "2024-02-29", "2024-03-01")
    ]
    assert out.splitlines()[1:4] == [
        f"run {r['run_id']} for run_date {r['runtime_config']['parameters']['run_date']}"
        for r in runs
    ]
    assert out.splitlines()[-1].startswith("3 runs in experiment taxi_detection: ")
    assert fake.recurring_runs == {}


@pytest.mark.parametrize(
    ("pipeline", "args", "message"),
    [
        ("bank_training", [], "bank_training has no run_date input"),
        ("taxi_detection", ["--schedule", "0 6 * * *"], "drop the schedule or --upload-only"),
        ("taxi_detection", ["--upload-only"], "drop the schedule or --upload-only"),
    ],
)
def test_cli_backfill_is_refused_before_any_request(build_dir, fake, pipeline, args, message):
    code, _, err = run_main(
        "submit", pipeline, "--host", fake.url, "--dir", str(build_dir),
        "--backfill", "2024-06-01", "2024-06-02", *args,
    )  # fmt: skip
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert fake.requests == []


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (["2024-06-02", "2024-06-01"], "2024-06-01 is before 2024-06-02"),
        (["2024-01-01", "2024-06-01"], "spans 153 days; at most 92"),
    ],
)
def test_cli_a_bad_backfill_range_exits_2(build_dir, fake, dates, message):
    code, _, err = run_main(
        "submit", "taxi_detection", "--host", fake.url, "--dir", str(build_dir),
        "--backfill", *dates,
    )  # fmt: skip
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert fake.requests == []


# --- releases: --update-recurring --------------------------------------------------------------


def _without_input(package: Path, folder: Path, name: str) -> Path:
    """A copy of `package` in `folder` (a new version) whose pipeline lacks the input `name`."""
    docs = list(yaml.safe_load_all(package.read_text()))
    del docs[0]["root"]["inputDefinitions"]["parameters"][name]
    folder.mkdir()
    changed = folder / package.name
    changed.write_text(yaml.safe_dump_all(docs, sort_keys=True))
    return changed


def test_cli_update_recurring_moves_every_recurring_run_of_the_pipeline_to_the_new_version(
    build_dir, fake, tmp_path
):
    import kfp

    daily = _submit(build_dir / "bank_training.yaml", fake.url, cron=to_kfp("0 6 * * *"))
    weekly = _submit(
        build_dir / "bank_training.yaml", fake.url, experiment="weekly", cron=to_kfp("0 7 * * 1")
    )
    client = kfp.Client(host=fake.url)
    with_inputs = client.create_recurring_run(
        weekly.experiment_id, "with inputs", cron_expression=to_kfp("0 8 * * *"),
        params={"seed": 11, "test_fraction": 0.3}, pipeline_id=daily.pipeline_id,
        version_id=daily.version_id, enabled=False, no_catchup=True,
    ).recurring_run_id  # fmt: skip
    monitor = submitter.submit(
        build_dir / "bank_monitor.yaml", "bank_monitor", fake.url, version_name="m1",
        reuse_version=True, experiment="bank_monitor", cron=to_kfp("0 6 * * *"),
    )  # fmt: skip
    before = {key: dict(value) for key, value in fake.recurring_runs.items()}
    release = _without_input(build_dir / "bank_training.yaml", tmp_path / "r2", "test_fraction")

    code, out, err = run_main(
        "submit", "bank_training", "--host", fake.url, "--dir", str(release.parent),
        "--version-name", "r2", "--update-recurring",
    )  # fmt: skip

    assert code == 0, err
    [new_version] = [v for v in fake.versions.values() if v["display_name"] == "r2"]
    assert fake.runs == {}  # a release starts nothing of its own
    # The bank_training ones are gone, the monitor's is untouched.
    old_ids = {daily.recurring_run_id, weekly.recurring_run_id, with_inputs}
    assert not old_ids & set(fake.recurring_runs)
    assert fake.recurring_runs[monitor.recurring_run_id] == before[monitor.recurring_run_id]
    moved = [r for key, r in fake.recurring_runs.items() if key != monitor.recurring_run_id]
    assert {r["pipeline_version_reference"]["pipeline_version_id"] for r in moved} == {
        new_version["pipeline_version_id"]
    }
    kept = ("experiment_id", "trigger", "max_concurrency", "no_catchup", "mode")
    expected = sorted(
        [{k: before[old][k] for k in kept} for old in old_ids],
        key=lambda r: r["trigger"]["cron_schedule"]["cron"],
    )
    assert (
        sorted(
            [{k: r[k] for k in kept} for r in moved],
            key=lambda r: r["trigger"]["cron_schedule"]["cron"],
        )
        == expected
    )
    assert {r["display_name"] for r in moved} == {"bank_training r2"}
    [carried] = [r for r in moved if r["mode"] == "DISABLE"]
    assert carried["runtime_config"]["parameters"] == {
        "seed": 11
    }  # test_fraction: not an input now
    lines = out.splitlines()
    assert f"recurring run 'with inputs' (0 0 8 * * *, disabled, as it was): {with_inputs} " in (
        "\n".join(lines)
    )
    assert lines[-1].startswith("3 recurring runs moved to version r2: ")
    assert "inputs dropped: test_fraction" in out

    # A release run twice (content-addressed name: the version is reused): nothing moves again.
    again = ("submit", "bank_training", "--host", fake.url, "--dir", str(release.parent))
    outs = [run_main(*again, "--update-recurring") for _ in range(2)]
    assert [code for code, _, _ in outs] == [0, 0], outs
    assert outs[0][1].splitlines()[-1].startswith("3 recurring runs moved to version 0123456-")
    assert outs[1][1].splitlines()[-1].startswith("0 recurring runs moved to version 0123456-")
    assert len(fake.recurring_runs) == 4 and fake.runs == {}


def test_update_recurring_follows_every_page_of_the_list(package, fake):
    fake.max_page_size = 2
    first = _submit(package, fake.url, version_name="v1", cron=to_kfp("0 6 * * *"))
    for hour in range(7, 11):
        _submit(package, fake.url, version_name="v1", cron=to_kfp(f"0 {hour} * * *"))
    released = submitter.submit(
        package, "bank_training", fake.url, version_name="v2", reuse_version=False,
        experiment="unused", start=False, update_recurring=True,
    )  # fmt: skip
    assert len(released.moved) == 5
    assert {
        r["pipeline_version_reference"]["pipeline_version_id"] for r in fake.recurring_runs.values()
    } == {released.version_id}
    assert first.recurring_run_id not in fake.recurring_runs
    pages = fake.calls("GET", "/apis/v2beta1/recurringruns")
    assert len(pages) == 3 and [p.query.get("page_token", "") for p in pages] == ["", "2", "4"]


def test_update_recurring_keeps_the_old_run_when_its_replacement_is_refused(package, fake):
    old = _submit(package, fake.url, version_name="v1", cron=to_kfp("0 6 * * *"))
    fake.fail_next[("POST", "/apis/v2beta1/recurringruns")] = (500, "scheduler unavailable")
    with pytest.raises(InputError, match=f"replacing recurring run {old.recurring_run_id}"):
        submitter.submit(
            package, "bank_training", fake.url, version_name="v2", reuse_version=False,
            experiment="unused", start=False, update_recurring=True,
        )  # fmt: skip
    [kept] = fake.recurring_runs.values()
    assert kept["recurring_run_id"] == old.recurring_run_id
    assert kept["pipeline_version_reference"]["pipeline_version_id"] == old.version_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upload-only"], "drop --upload-only"),
        (["--schedule", "0 6 * * *"], "drop --schedule"),
        (["--backfill", "2024-06-01", "2024-06-02"], "drop the schedule or --upload-only"),
    ],
)
def test_cli_update_recurring_with_a_start_option_is_refused_before_any_request(
    build_dir, fake, args, message
):
    code, _, err = run_main(
        "submit", "taxi_detection", "--host", fake.url, "--dir", str(build_dir),
        "--update-recurring", *args,
    )  # fmt: skip
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert fake.requests == []


# --- the pipeline root -------------------------------------------------------------------------


def test_a_compiled_pipeline_root_reaches_the_server_with_the_version(fake, tmp_path):
    from components import PIPELINES
    from model_factory.integrations.kubeflow.compiler import compile_pipeline

    entry = PIPELINES["bank_training"]
    package = compile_pipeline(
        entry, entry.config(config_dir()), "registry.example/model-factory:test",
        tmp_path / "bank_training.yaml", "s3://mlpipeline/v2/artifacts",
    )  # fmt: skip
    done = _submit(package, fake.url)
    stored = fake.versions[done.version_id]["pipeline_spec"]
    assert stored.get("pipeline_spec", stored)["defaultPipelineRoot"] == (
        "s3://mlpipeline/v2/artifacts"
    )


@pytest.mark.parametrize("root", ["/tmp/artifacts", "gs://", "http://minio:9000/bucket"])
def test_cli_compile_refuses_a_pipeline_root_that_is_no_bucket_uri(root, tmp_path):
    code, _, err = run_main("compile", "--out", str(tmp_path), "--pipeline-root", root)
    assert code == 2 and "give a bucket URI such as gs://BUCKET/kfp" in err
    assert list(tmp_path.iterdir()) == []


def test_update_recurring_on_multi_user_kubeflow_moves_only_the_namespace_s_runs(package, fake):
    fake.multi_user = True
    ours = _submit(
        package, fake.url, namespace="team-a", version_name="v1", cron=to_kfp("0 6 * * *")
    )
    theirs = _submit(
        package, fake.url, namespace="team-b", version_name="v1", cron=to_kfp("0 6 * * *")
    )
    released = submitter.submit(
        package, "bank_training", fake.url, version_name="v2", reuse_version=False,
        experiment="unused", namespace="team-a", start=False, update_recurring=True,
    )  # fmt: skip
    assert [m.old_id for m in released.moved] == [ours.recurring_run_id]
    assert theirs.recurring_run_id in fake.recurring_runs
    assert ours.recurring_run_id not in fake.recurring_runs
    [listed] = {r.query.get("namespace") for r in fake.calls("GET", "/apis/v2beta1/recurringruns")}
    assert listed == "team-a"


# --- submit --local: the package under kfp.local -----------------------------------------------


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def _halve(number: int, halved: dsl.Output[dsl.Artifact]) -> None:
    if number % 2:
        raise ValueError(f"{number} is odd")
    with open(halved.path, "w") as out:
        out.write(str(number // 2))


@dsl.pipeline(name="halving")
def _halving(number: int) -> dsl.Artifact:
    return _halve(number=number).outputs["halved"]


def test_cli_local_runs_the_compiled_package_here_and_a_failed_run_exits_1(tmp_path):
    """Two one-task packages (even and odd default): where the artifacts are, the state, and
    the real print() afterwards (kfp.local swaps it while tasks run)."""
    import builtins

    from kfp import compiler

    real_print = builtins.print
    for name, number in (("even", 42), ("odd", 7)):
        compiler.Compiler().compile(
            _halving, str(tmp_path / f"{name}.yaml"), pipeline_parameters={"number": number}
        )
    root = tmp_path / "root"
    code, out, err = run_main(
        "submit", "even", "--local", "--dir", str(tmp_path), "--pipeline-root", str(root)
    )
    assert code == 0, err
    (run_dir,) = root.iterdir()
    assert (run_dir / "halve/halved").read_text() == "21"
    assert out.splitlines()[-3:] == [
        f"output Output: {run_dir / 'halve/halved'}",
        f"artifacts: {run_dir}",
        "even: local run SUCCEEDED",
    ]
    assert builtins.print is real_print

    code, out, err = run_main(
        "submit", "odd", "--local", "--dir", str(tmp_path), "--pipeline-root", str(root)
    )
    (failed,) = set(root.iterdir()) - {run_dir}
    assert code == 1 and out.splitlines()[-1] == f"artifacts: {failed}"
    assert err.splitlines()[-1].startswith("odd: local run FAILED: ")
    assert builtins.print is real_print
