"""`model-factory compile`: every KFP pipeline to IR YAML that the KFP backend accepts as is.

The IR is parsed strictly into the KFP protobufs (PipelineSpec, and the Kubernetes platform
config into kfp-kubernetes' KubernetesExecutorConfig), then checked for the cluster policies:
the project image with nothing installed at run time, resources on heavy tasks, no caching of
tasks that read external data, bounded fan-outs, Secrets instead of credentials.
"""

import dataclasses
import os
import re
import subprocess
import sys

import pytest
import yaml
from google.protobuf import json_format
from kfp import compiler, dsl
from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s_pb
from kfp.pipeline_spec import pipeline_spec_pb2 as pb

from components import PIPELINES
from components.platform import (
    ALERTS_SECRET,
    OBJECT_STORE_KEYS,
    OBJECT_STORE_SECRET,
    RETRY,
    STAGING_DB_ENV,
    STAGING_DB_SECRET,
    component,
    staging_db,
)
from model_factory import alerts, use_cases
from model_factory.integrations.kubeflow.compiler import compile_pipeline
from model_factory.integrations.kubeflow.flat_config import flatten
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.use_cases import BANK, FORECASTING, TAXI
from support import PROJECT_ROOT

IMAGE = "registry.example/model-factory@sha256:" + "0" * 64
# Per pipeline: tasks that need requests and limits; tasks that read data from outside or write
# to the staging DB (never cached); tasks given a Secret as environment variables.
HEAVY = {
    "bank_training": {"train", "evaluate"},
    "taxi_detection": {"fit-detector", "label"},
    "forecasting_training": {"backtest-group", "refit-group", "evaluate"},
    "bank_monitor": {"check", "train", "evaluate"},
    "forecasting_monitor": {"check", "backtest-group", "refit-group", "evaluate"},
    "bank_scoring": {"score"},
    "forecasting_scoring": {"forecast-stores"},
}
UNCACHED = {
    "bank_training": {"ingest"},
    "taxi_detection": {"ingest", "fit-detector", "write-labels"},
    "forecasting_training": {"ingest"},
    "bank_monitor": {"check", "retraining-window", "ingest"},
    "forecasting_monitor": {"check", "retraining-window", "ingest"},
    "bank_scoring": {"load-batch"},
    "forecasting_scoring": {"forecast-stores", "write-forecasts"},
}
# {Secret: ({key: env var}, optional)}: the staging DB URL must be there; the alert webhook and
# the object store's credentials (s3:// data, given to every task that reads outside data) may not.
STAGING = {STAGING_DB_SECRET: ({"url": STAGING_DB_ENV}, False)}
ALERTS = {
    ALERTS_SECRET: ({"webhook_url": alerts.WEBHOOK_ENV, "kfp_ui_url": alerts.KFP_UI_ENV}, True)
}
READS = {OBJECT_STORE_SECRET: ({key: key for key in OBJECT_STORE_KEYS}, True)}
SECRETS = {
    "bank_training": {"ingest": READS, "alert-run-failed": ALERTS},
    "taxi_detection": {"ingest": READS, "fit-detector": READS, "write-labels": STAGING,
                       "alert-run-failed": ALERTS},
    "forecasting_training": {"ingest": READS, "alert-run-failed": ALERTS},
    "bank_monitor": {"check": {**ALERTS, **READS}, "retraining-window": READS, "ingest": READS,
                     "alert-run-failed": ALERTS},
    "forecasting_monitor": {"check": {**ALERTS, **READS}, "retraining-window": READS,
                         "ingest": READS, "alert-run-failed": ALERTS},
    "bank_scoring": {"load-batch": READS, "alert-run-failed": ALERTS},
    "forecasting_scoring": {"forecast-stores": READS, "write-forecasts": STAGING,
                         "alert-run-failed": ALERTS},
}  # fmt: skip
# Per pipeline: the tasks whose output definitions include the KFP UI's metrics artifacts.
UI_METRICS = {
    "bank_training": {"evaluate": {"metrics": "system.Metrics",
                                   "classification": "system.ClassificationMetrics"}},
    "taxi_detection": {"fit-detector": {"evaluation": "system.Metrics"},
                       "write-labels": {"metrics": "system.Metrics"}},
    "forecasting_training": {"evaluate": {"metrics": "system.Metrics"}},
    "bank_monitor": {"check": {"metrics": "system.Metrics"}},
    "forecasting_monitor": {"check": {"metrics": "system.Metrics"}},
    "bank_scoring": {"score": {"metrics": "system.Metrics"}},
    "forecasting_scoring": {"write-forecasts": {"metrics": "system.Metrics"}},
}  # fmt: skip
# Training pipelines that register their model when a ZenML server is configured, and the tasks
# whose artifacts the registration reads.
REGISTERS = {
    "bank_training": {"train", "split", "validate", "evaluate"},
    "forecasting_training": {
        "resolve-config",
        "merge-models",
        "for-loop-2",
        "validate",
        "evaluate",
    },
    "bank_monitor": {"train", "split", "validate", "evaluate"},  # inside its nested retraining
    "forecasting_monitor": {"resolve-config", "merge-models", "for-loop-1", "validate", "evaluate"},
}
# Pipelines whose body runs under an exit handler that alerts a failure, and the model it names.
ALERT_FAILURES = {
    "bank_training": BANK.model_name,
    "taxi_detection": TAXI.model_name,
    "forecasting_training": FORECASTING.model_name,
    "bank_monitor": BANK.model_name,
    "forecasting_monitor": FORECASTING.model_name,
    "bank_scoring": BANK.model_name,
    "forecasting_scoring": FORECASTING.model_name,
}
# Monitor pipelines: the training pipeline each runs, nested, when its check finds drift.
RETRAINS = {"bank_monitor": "bank_training", "forecasting_monitor": "forecasting_training"}
# Pipelines that import the production reference folder (`reference_uri`) as an artifact.
READ_REFERENCE = {*RETRAINS, "bank_scoring", "forecasting_scoring"}
CREDENTIALS = re.compile(r"://[^/\s:@]+:[^/\s@]+@|password|postgres(ql)?(\+\w+)?://|sqlite://")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """{pipeline: (YAML of one compile, YAML of another)}, two CLI processes side by side."""
    outs = [tmp_path_factory.mktemp("kfp") for _ in range(2)]
    command = [sys.executable, "-m", "model_factory", "compile", "--image", IMAGE, "--out"]
    runs = [
        subprocess.Popen(
            [*command, str(out)],
            cwd=PROJECT_ROOT,
            env=os.environ.copy(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for out in outs
    ]
    for out, run in zip(outs, runs, strict=True):
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr[-2000:]
        assert stdout.split() == [str(out / f"{name}.yaml") for name in PIPELINES]
    return {n: tuple((out / f"{n}.yaml").read_text() for out in outs) for n in PIPELINES}


def _parse(text: str) -> tuple[pb.PipelineSpec, pb.PipelineDeploymentConfig, dict]:
    """Strict parse (unknown fields fail); returns the spec, its deployment and K8s configs."""
    docs = list(yaml.safe_load_all(text))
    assert 1 <= len(docs) <= 2
    spec = json_format.ParseDict(docs[0], pb.PipelineSpec())
    deployment = json_format.ParseDict(
        json_format.MessageToDict(spec.deployment_spec), pb.PipelineDeploymentConfig()
    )
    kubernetes = {}
    if len(docs) == 2:
        platform = json_format.ParseDict(docs[1], pb.PlatformSpec())
        assert set(platform.platforms) == {"kubernetes"}
        executors = platform.platforms["kubernetes"].deployment_spec.executors
        kubernetes = {
            name: json_format.ParseDict(
                json_format.MessageToDict(config), k8s_pb.KubernetesExecutorConfig()
            )
            for name, config in executors.items()
        }
    return spec, deployment, kubernetes


def _tasks(spec: pb.PipelineSpec):
    """Every task of the root DAG and of nested DAGs (loops, conditions, sub-pipelines)."""
    yield from spec.root.dag.tasks.items()
    for component_spec in spec.components.values():
        yield from component_spec.dag.tasks.items()


def _executor(spec: pb.PipelineSpec, task: pb.PipelineTaskSpec) -> str:
    return spec.components[task.component_ref.name].executor_label


def _producer(value: pb.TaskInputsSpec.InputParameterSpec | pb.TaskInputsSpec.InputArtifactSpec):
    kind = value.WhichOneof("kind")
    return getattr(value, kind).producer_task if kind.startswith("task_output") else None


def _body(spec: pb.PipelineSpec):
    """The tasks of the pipeline's body: those of its exit handler's DAG."""
    root = spec.root.dag.tasks
    assert set(root) == {"exit-handler-1", "alert-run-failed"}
    return spec.components[root["exit-handler-1"].component_ref.name].dag.tasks


def _config(name: str):
    return PIPELINES[name].config(PROJECT_ROOT / "zenml_config")


def test_every_pipeline_compiles_byte_identically(compiled):
    assert set(compiled) == set(PIPELINES) and PIPELINES
    for name, (first, second) in compiled.items():
        assert first == second, f"{name}: two compiles differ"


@pytest.mark.parametrize("name", PIPELINES)
def test_the_ir_parses_strictly(compiled, name):
    spec, deployment, kubernetes = _parse(compiled[name][0])
    assert spec.schema_version == "2.1.0" and spec.sdk_version == "kfp-2.17.0"
    assert deployment.executors and set(kubernetes) <= set(deployment.executors)


@pytest.mark.parametrize("name", PIPELINES)
def test_every_task_runs_the_project_image_and_installs_nothing(compiled, name):
    text = compiled[name][0]
    _, deployment, _ = _parse(text)
    for label, executor in deployment.executors.items():
        if executor.WhichOneof("spec") == "importer":  # imports by URI, runs no container
            assert name in READ_REFERENCE, label
            continue
        container = executor.container
        assert container.image == IMAGE, label
        script = " ".join(container.command)
        assert "_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main" in script, label
    assert not re.search(r"pip3? install|ensurepip|packages_to_install|index-url", text)


@pytest.mark.parametrize("name", PIPELINES)
def test_inputs_are_the_flattened_run_config_with_its_values_as_defaults(compiled, name):
    entry = PIPELINES[name]
    spec, _, _ = _parse(compiled[name][0])
    inputs = spec.root.input_definitions.parameters
    flat = flatten(_config(name), exclude=entry.zenml_only)
    assert entry.compile_time <= set(flat)  # compiled in: real config keys, never inputs
    expected = {k: v for k, v in flat.items() if k not in entry.compile_time}
    assert set(inputs) == set(expected)
    for key, value in expected.items():
        assert inputs[key].is_optional, key
        assert json_format.MessageToDict(inputs[key].default_value) == value, key


@pytest.mark.parametrize("name", PIPELINES)
def test_the_header_comment_shows_dict_defaults_with_sorted_keys(compiled, name):
    """KFP prints them in protobuf map order, which varies between processes."""
    text = compiled[name][0]
    body = next(yaml.safe_load_all(text))["root"]["inputDefinitions"]["parameters"]
    for key, parameter in body.items():
        if parameter["parameterType"] == "STRUCT":
            default = parameter["defaultValue"]
            assert list(default) == sorted(default)
            assert f"#    {key}: dict [Default: {default}]\n" in text, key


@pytest.mark.parametrize("name", PIPELINES)
def test_heavy_tasks_have_requests_and_limits(compiled, name):
    spec, deployment, _ = _parse(compiled[name][0])
    heavy = {task: _executor(spec, body) for task, body in _tasks(spec) if task in HEAVY[name]}
    assert set(heavy) == HEAVY[name]
    for task, label in heavy.items():
        resources = deployment.executors[label].container.resources
        assert resources.resource_cpu_request and resources.resource_memory_request, task
        assert 0 < resources.cpu_request <= resources.cpu_limit, task
        assert 0 < resources.memory_request <= resources.memory_limit, task
        env = {v.name: v.value for v in deployment.executors[label].container.env}
        assert env["OMP_NUM_THREADS"] == f"{resources.cpu_limit:g}", task
        assert env["OMP_WAIT_POLICY"] == "PASSIVE", task


@pytest.mark.parametrize("name", PIPELINES)
def test_only_tasks_that_read_or_write_outside_data_skip_the_cache(compiled, name):
    spec, _, _ = _parse(compiled[name][0])
    uncached = {
        task
        for task, body in _tasks(spec)
        if _executor(spec, body) and not body.caching_options.enable_cache
    }
    assert uncached == UNCACHED[name]


@pytest.mark.parametrize("name", PIPELINES)
def test_only_tasks_that_reach_outside_systems_retry_and_boundedly(compiled, name):
    """The tasks that read outside data or write to the staging DB are the uncached ones."""
    spec, _, _ = _parse(compiled[name][0])
    retried = {
        task: body.retry_policy for task, body in _tasks(spec) if body.retry_policy.max_retry_count
    }
    assert set(retried) == UNCACHED[name]
    for task, policy in retried.items():
        assert 1 <= policy.max_retry_count <= 5, task
        assert policy.backoff_duration.seconds > 0 and policy.backoff_factor >= 1, task
        assert 0 < policy.backoff_max_duration.seconds <= 600, task


@pytest.mark.parametrize("name", PIPELINES)
def test_every_task_has_a_display_name_a_person_reads(compiled, name):
    """The KFP UI labels a task with its `taskInfo.name`: a sentence, not the component name."""
    spec, _, _ = _parse(compiled[name][0])
    for task, body in _tasks(spec):
        if task.startswith(("condition-", "for-loop-", "exit-handler-")):  # groups, not tasks
            continue
        shown = body.task_info.name
        assert shown != task and " " in shown and shown[0].isupper(), f"{task}: {shown!r}"


@pytest.mark.parametrize("name", PIPELINES)
def test_runs_log_metrics_the_kfp_ui_compares_and_plots(compiled, name):
    spec, _, _ = _parse(compiled[name][0])
    tasks = dict(_tasks(spec))
    for task, outputs in UI_METRICS[name].items():
        artifacts = spec.components[tasks[task].component_ref.name].output_definitions.artifacts
        declared = {key: artifacts[key].artifact_type.schema_title for key in outputs}
        assert declared == outputs, task


@pytest.mark.parametrize("name", PIPELINES)
def test_fan_outs_are_bounded(compiled, name):
    spec, _, _ = _parse(compiled[name][0])
    for task, body in _tasks(spec):
        if body.WhichOneof("iterator"):
            assert body.iterator_policy.parallelism_limit > 0, f"{task}: unbounded ParallelFor"


def test_the_forecasting_fan_out_is_bounded_by_the_config_and_collected_into_its_fan_in(
    compiled,
):
    spec, _, _ = _parse(compiled["forecasting_training"][0])
    loops = {task: body for task, body in _tasks(spec) if body.WhichOneof("iterator")}
    ((loop, body),) = loops.items()
    parallelism = _config("forecasting_training").kubeflow.parallelism
    assert body.iterator_policy.parallelism_limit == parallelism
    items = body.parameter_iterator.items.input_parameter
    assert body.inputs.parameters[items].task_output_parameter.producer_task == "store-groups"
    inner = set(spec.components[body.component_ref.name].dag.tasks)
    assert inner == {"backtest-group", "refit-group"}
    tasks = _body(spec)
    collected = {
        (task, key)
        for task in ("evaluate", "merge-models")
        for kind in (tasks[task].inputs.parameters, tasks[task].inputs.artifacts)
        for key, value in kind.items()
        if _producer(value) == loop
    }
    assert collected == {
        ("evaluate", "group_results"),
        ("evaluate", "holdout_forecasts"),
        ("evaluate", "evaluated_forecasters"),
        ("merge-models", "store_forecasters"),
    }
    # The validated run config states the bound the pipeline was compiled with.
    resolved = tasks["resolve-config"].inputs.parameters["kubeflow_parallelism"]
    assert resolved.runtime_value.constant.number_value == parallelism


def test_parallelism_is_fixed_when_compiling_from_the_run_config(tmp_path):
    entry = PIPELINES["forecasting_training"]
    config = _config("forecasting_training")
    wider = config.model_copy(
        update={"kubeflow": config.kubeflow.model_copy(update={"parallelism": 5})}
    )
    spec, _, _ = _parse(compile_pipeline(entry, wider, IMAGE, tmp_path / "f.yaml").read_text())
    (limit,) = {
        b.iterator_policy.parallelism_limit for _, b in _tasks(spec) if b.WhichOneof("iterator")
    }
    assert limit == 5 and "kubeflow_parallelism" not in spec.root.input_definitions.parameters


@pytest.mark.parametrize("name", PIPELINES)
def test_no_credentials_in_the_yaml_only_secret_references(compiled, name):
    text = compiled[name][0]
    # No credentials, and no web address (a webhook, a UI): those come from Secrets.
    assert not CREDENTIALS.search(text.lower()) and not re.search(r"https?://", text)
    spec, _, kubernetes = _parse(text)
    assert not [i for i in spec.root.input_definitions.parameters if "url" in i or "pass" in i]
    with_secrets = {}
    for task, body in _tasks(spec):
        config = kubernetes.get(_executor(spec, body))
        for secret in config.secret_as_env if config is not None else []:
            secret_name = secret.secret_name_parameter.runtime_value.constant.string_value
            assert secret_name not in with_secrets.get(task, {}), task  # each Secret once
            with_secrets.setdefault(task, {})[secret_name] = (
                {m.secret_key: m.env_var for m in secret.key_to_env},
                secret.optional,
            )
            if secret_name == ALERTS_SECRET:  # drift check, exit task: alerts name their run
                run_id = body.inputs.parameters["run_id"].runtime_value.constant.string_value
                assert run_id == dsl.PIPELINE_JOB_ID_PLACEHOLDER, task
    assert with_secrets == SECRETS[name]
    # Every task that reads outside data (the uncached ones but the staging DB writers) gets
    # the object store's credentials, and no other task does.
    reading = {task for task, mounted in with_secrets.items() if OBJECT_STORE_SECRET in mounted}
    assert reading == UNCACHED[name] - {"write-labels", "write-forecasts"}


def test_the_staging_database_comes_from_its_secret(tmp_path):
    """The helper the writing pipelines use: a Secret reference, and no URL, in the YAML."""

    @component
    def write(rows: int) -> int:
        import os

        return rows if os.environ["MODEL_FACTORY_DB_URL"] else 0

    @dsl.pipeline(name="writes-to-staging")
    def writes(rows: int = 3):
        staging_db(write(rows=rows))

    path = tmp_path / "writes.yaml"
    compiler.Compiler().compile(writes, str(path))
    _, _, kubernetes = _parse(path.read_text())
    (secret,) = kubernetes["exec-write"].secret_as_env
    assert secret.secret_name_parameter.runtime_value.constant.string_value == STAGING_DB_SECRET
    assert [(m.secret_key, m.env_var) for m in secret.key_to_env] == [("url", STAGING_DB_ENV)]
    assert not secret.optional and not CREDENTIALS.search(path.read_text().lower())
    spec, _, _ = _parse(path.read_text())
    assert not spec.root.dag.tasks["write"].caching_options.enable_cache  # a hit skips the write


def test_inputs_that_drift_from_the_config_fail_the_compile(tmp_path):
    bank = PIPELINES["bank_training"]
    entry = dataclasses.replace(bank, zenml_only=bank.zenml_only | {"seed"})
    config = _config("bank_training")
    with pytest.raises(ValueError, match=r"differ on \['seed'\]"):
        compile_pipeline(entry, config, IMAGE, tmp_path / "x.yaml")
    assert not (tmp_path / "x.yaml").exists()


def test_a_bad_run_config_exits_2_before_compiling(cli_in_process, tmp_path, monkeypatch):
    """In this process: `compiled` runs the command in new interpreters."""
    (tmp_path / "bank_training.yaml").write_text("parameters:\n  config:\n    sede: 1\n")
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", str(tmp_path))
    result = cli_in_process("compile", "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "parameters.config.sede" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "out").glob("*.yaml"))


@pytest.mark.parametrize("name", ALERT_FAILURES)
def test_the_body_runs_under_an_exit_handler_whose_task_alerts_the_final_status(compiled, name):
    """One exit task per run (none in a monitor's nested retraining), given the body's final
    status, the model and KFP's run id; it runs whether the body failed or not, and decides."""
    spec, deployment, kubernetes = _parse(compiled[name][0])
    root = spec.root.dag.tasks
    assert set(root) == {"exit-handler-1", "alert-run-failed"}
    assert [task for task, _ in _tasks(spec)].count("alert-run-failed") == 1
    exit_task = root["alert-run-failed"]
    strategy = pb.PipelineTaskSpec.TriggerPolicy.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED
    assert exit_task.trigger_policy.strategy == strategy
    assert list(exit_task.dependent_tasks) == ["exit-handler-1"]
    parameters = exit_task.inputs.parameters
    assert parameters["status"].task_final_status.producer_task == "exit-handler-1"
    assert parameters["model"].runtime_value.constant.string_value == ALERT_FAILURES[name]
    assert parameters["run_id"].runtime_value.constant.string_value == (
        dsl.PIPELINE_JOB_ID_PLACEHOLDER
    )
    assert not exit_task.HasField("retry_policy")  # alerts.post bounds its own attempts
    (secret,) = kubernetes[_executor(spec, exit_task)].secret_as_env
    assert secret.optional  # without the alerts Secret the task runs and sends nothing
    assert not spec.root.output_definitions.artifacts  # KFP takes no outputs from the handler
    assert _executor(spec, exit_task) in deployment.executors


@pytest.mark.parametrize("name", RETRAINS)
def test_a_monitor_runs_its_training_pipeline_nested_only_when_its_check_finds_drift(
    compiled, name
):
    spec, _, _ = _parse(compiled[name][0])
    root = _body(spec)
    assert set(root) == {"resolve-config", "importer", "check", "condition-2"}
    # The check reads the production reference the importer brings in from `reference_uri`.
    uri = root["importer"].inputs.parameters["uri"].component_input_parameter
    assert uri == "pipelinechannel--reference_uri"  # the exit handler passes it in
    assert _producer(root["check"].inputs.artifacts["reference"]) == "importer"
    condition = root["condition-2"]  # group 1: the exit handler
    assert condition.trigger_policy.condition == (
        "inputs.parameter_values['pipelinechannel--check-Output'] == true"
    )
    assert "check" in condition.dependent_tasks
    inner = spec.components[condition.component_ref.name].dag.tasks
    training_task = next(task for task in inner if task != "retraining-window")
    assert set(inner) == {"retraining-window", training_task}
    # The nested DAG is the training pipeline's own, as compiled on its own, without its exit
    # handler: the monitor alerts a failure of its retraining once.
    training, _, _ = _parse(compiled[RETRAINS[name]][0])
    nested = spec.components[inner[training_task].component_ref.name]
    groups = re.compile(r"^(for-loop|condition)-\d+$")  # numbered per pipeline: the loop's number
    assert {groups.sub(r"\1", t) for t in nested.dag.tasks} == {
        groups.sub(r"\1", t) for t in _body(training)
    }
    assert set(nested.input_definitions.parameters) == set(
        training.root.input_definitions.parameters
    )
    # It trains on the window (forecasting: with the window's holdout, at most half the batch);
    # every other input is the monitor's `retraining_<input>`.
    arguments = inner[training_task].inputs.parameters
    from_window = {"data_path"} | ({"holdout_days"} & set(arguments))
    assert from_window == ({"data_path", "holdout_days"} if "forecast" in name else {"data_path"})
    for key, value in arguments.items():
        if key in from_window:
            assert value.task_output_parameter.producer_task == "retraining-window", key
            assert value.task_output_parameter.output_parameter_key == key
        else:
            assert value.component_input_parameter == f"pipelinechannel--retraining_{key}", key


@pytest.mark.parametrize("name", REGISTERS)
def test_a_configured_zenml_server_adds_the_registration_task_with_the_key_from_a_secret(
    compiled, tmp_path, monkeypatch, name
):
    """Only with `kubeflow.zenml_url` in the run config: a last task that registers the model,
    given the URL and the image in its environment and the API key from the Kubernetes Secret
    (nothing secret in the YAML); the run id and name are KFP's placeholders, filled per run."""
    from model_factory.integrations.kubeflow import registry

    monkeypatch.setenv(registry.API_KEY_ENV, "zenkey-of-the-compiling-shell")
    plain, _, _ = _parse(compiled[name][0])
    assert "register" not in dict(_tasks(plain))
    url = "https://zenml.example.com"
    config = _config(name)
    training = config.retraining if name in RETRAINS else config  # monitors: the nested one's
    registered = training.model_copy(
        update={"kubeflow": training.kubeflow.model_copy(update={"zenml_url": url})}
    )
    registering = (
        config.model_copy(update={"retraining": registered}) if name in RETRAINS else (registered)
    )
    entry = PIPELINES[name]
    text = compile_pipeline(entry, registering, IMAGE, tmp_path / "b.yaml").read_text()
    spec, deployment, kubernetes = _parse(text)
    task = dict(_tasks(spec))["register"]
    assert set(dict(_tasks(spec))) == set(dict(_tasks(plain))) | {"register"}
    assert set(spec.root.input_definitions.parameters) == set(
        plain.root.input_definitions.parameters
    )  # where to register is compiled in, never an input
    assert {_producer(v) for v in task.inputs.artifacts.values()} == REGISTERS[name]
    parameters = task.inputs.parameters
    assert (
        parameters["run_id"].runtime_value.constant.string_value == dsl.PIPELINE_JOB_ID_PLACEHOLDER
    )
    assert parameters["promote"].runtime_value.constant.bool_value is registered.promote
    assert not task.caching_options.enable_cache and not task.HasField("retry_policy")
    container = deployment.executors[_executor(spec, task)].container
    assert {e.name: e.value for e in container.env} == {
        registry.URL_ENV: url,
        registry.IMAGE_ENV: IMAGE,
    }
    (secret,) = kubernetes[_executor(spec, task)].secret_as_env
    assert secret.secret_name_parameter.runtime_value.constant.string_value == (
        registry.ZENML_SECRET
    )
    assert [(m.secret_key, m.env_var) for m in secret.key_to_env] == [
        (registry.SECRET_KEY, registry.API_KEY_ENV)
    ]
    assert not CREDENTIALS.search(text.lower()) and "zenkey" not in text
    seeing = {executor for executor, config in kubernetes.items()
              if any(s.secret_name_parameter.runtime_value.constant.string_value
                     == registry.ZENML_SECRET for s in config.secret_as_env)}  # fmt: skip
    assert seeing == {_executor(spec, task)}  # no other task sees the key


class Extended(TaxiDetectionConfig):
    """A config with one key more than taxi's (top level: resolve-config imports it by name)."""

    new_threshold: float = 0.25


def test_a_new_config_key_is_an_input_and_resolved_with_nothing_else_to_edit(tmp_path):
    """The signature and resolve-config come from the config type (components/inputs.py)."""
    from components.inputs import Inputs

    inputs = Inputs(Extended, frozenset({"db_url", "promote", "retrain"}))
    resolve = inputs.resolver()

    @inputs.pipeline(name="extended")
    def extended(channels: dict) -> str:
        return resolve(**channels).output

    assert extended.component_spec.inputs["new_threshold"].type == "Float"
    assert set(resolve.component_spec.inputs) == set(extended.component_spec.inputs)
    assert "db_url" not in extended.component_spec.inputs
    source = resolve.component_spec.implementation.container.command[-1]
    assert "    new_threshold: float,\n" in source and "unflatten(Extended, inputs)" in source
    assert f"from {__name__} import Extended" in source


def test_taxi_with_a_zenml_server_loads_or_registers_its_detector_with_the_key_from_a_secret(
    compiled, tmp_path
):
    """With `kubeflow.zenml_url`, the fitting task gives way to one that loads the production
    detector from the registry (or fits and registers one): the URL in its environment, the
    API key from the Secret, seen by no other task; the rest of the DAG is the same."""
    from model_factory.integrations.kubeflow import registry

    plain, _, _ = _parse(compiled["taxi_detection"][0])
    config = _config("taxi_detection")
    url = "https://zenml.example.com"
    registering = config.model_copy(
        update={"kubeflow": config.kubeflow.model_copy(update={"zenml_url": url})}
    )
    text = compile_pipeline(PIPELINES["taxi_detection"], registering, IMAGE, tmp_path / "t.yaml")
    spec, deployment, kubernetes = _parse(text.read_text())
    tasks = dict(_tasks(spec))
    assert set(tasks) == set(dict(_tasks(plain))) - {"fit-detector"} | {"registered-detector"}
    assert set(spec.root.input_definitions.parameters) == set(
        plain.root.input_definitions.parameters
    )
    task = tasks["registered-detector"]
    assert _producer(tasks["label"].inputs.artifacts["detector"]) == "registered-detector"
    assert not task.caching_options.enable_cache and not task.HasField("retry_policy")
    container = deployment.executors[_executor(spec, task)].container
    env = {e.name: e.value for e in container.env}
    assert env[registry.URL_ENV] == url and env[registry.IMAGE_ENV] == IMAGE
    seeing = {executor for executor, config in kubernetes.items()
              if any(s.secret_name_parameter.runtime_value.constant.string_value
                     == registry.ZENML_SECRET for s in config.secret_as_env)}  # fmt: skip
    assert seeing == {_executor(spec, task)}
    mounted = {
        secret.secret_name_parameter.runtime_value.constant.string_value
        for secret in kubernetes[_executor(spec, task)].secret_as_env
    }
    assert mounted == {registry.ZENML_SECRET, OBJECT_STORE_SECRET}  # a fit reads the window
    assert "zenkey" not in text.read_text() and not CREDENTIALS.search(text.read_text().lower())


# Scoring pipelines: what their model is called in the task's name, and the tasks that read it.
SCORING = {
    "bank_scoring": ("bank classifier", {"load-batch", "score"}),
    "forecasting_scoring": ("store forecaster", {"forecast-stores", "write-forecasts"}),
}


@pytest.mark.parametrize("name", SCORING)
def test_scoring_with_a_zenml_server_loads_the_staged_version_with_the_key_from_a_secret(
    compiled, tmp_path, monkeypatch, name
):
    """With `kubeflow.zenml_url` in the scoring run config, the reference importer gives way to
    a task that loads the version of the configured model in the configured stage (compiled in,
    as the server is: the inputs are the same): retried boundedly (it only reads), never
    cached, the URL in its environment, the API key from the Secret seen by no other task and
    the object store's credentials for the artifacts; the scoring tasks read what it loaded."""
    from model_factory.config import KubeflowServer
    from model_factory.integrations.kubeflow import registry

    monkeypatch.setenv(registry.API_KEY_ENV, "zenkey-of-the-compiling-shell")
    plain, _, _ = _parse(compiled[name][0])
    config = _config(name)
    url = "https://zenml.example.com"
    changes = {"stage": "staging", "kubeflow": KubeflowServer(zenml_url=url)}
    if "model" in type(config.scoring).model_fields:  # bank: a table of one's own, by name
        changes["model"] = "churn_classifier"
    scoring = config.scoring.model_copy(update=changes)
    entry = PIPELINES[name]
    path = compile_pipeline(entry, config.model_copy(update={"scoring": scoring}), IMAGE,
                            tmp_path / "s.yaml")  # fmt: skip
    text = path.read_text()
    spec, deployment, kubernetes = _parse(text)
    tasks = dict(_tasks(spec))
    assert set(tasks) == set(dict(_tasks(plain))) - {"importer"} | {"staged-model"}
    assert set(spec.root.input_definitions.parameters) == set(
        plain.root.input_definitions.parameters
    )
    task = tasks["staged-model"]
    noun, readers = SCORING[name]
    assert task.task_info.name == f"Load the staging {noun} from ZenML"
    for reader in readers:
        assert _producer(tasks[reader].inputs.artifacts["reference"]) == "staged-model", reader
    use_case = name.removesuffix("_scoring")
    model = changes.get("model", use_cases.by_name(use_case).model_name)
    constants = {
        k: v.runtime_value.constant.string_value for k, v in task.inputs.parameters.items()
    }
    assert constants == {"use_case": use_case, "model_name": model, "stage": "staging"}
    assert not task.caching_options.enable_cache
    policy = task.retry_policy
    assert policy.max_retry_count == RETRY["num_retries"]
    assert f"{policy.backoff_max_duration.seconds}s" == RETRY["backoff_max_duration"]
    executor = _executor(spec, task)
    env = {e.name: e.value for e in deployment.executors[executor].container.env}
    assert env == {registry.URL_ENV: url, registry.IMAGE_ENV: IMAGE}
    mounted = {
        secret.secret_name_parameter.runtime_value.constant.string_value: (
            {m.secret_key: m.env_var for m in secret.key_to_env},
            secret.optional,
        )
        for secret in kubernetes[executor].secret_as_env
    }
    assert mounted == {registry.ZENML_SECRET: ({registry.SECRET_KEY: registry.API_KEY_ENV}, False),
                       **READS}  # fmt: skip
    seeing = {executor for executor, config in kubernetes.items()
              if any(s.secret_name_parameter.runtime_value.constant.string_value
                     == registry.ZENML_SECRET for s in config.secret_as_env)}  # fmt: skip
    assert seeing == {executor}  # no other task sees the key
    assert "zenkey" not in text and not CREDENTIALS.search(text.lower())
