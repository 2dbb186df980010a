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
from components.platform import STAGING_DB_ENV, STAGING_DB_SECRET, component, staging_db
from model_factory.config import load_run_config
from model_factory.flat_config import flatten
from model_factory.integrations.kfp_compile import compile_pipeline
from support import PROJECT_ROOT

IMAGE = "registry.example/model-factory@sha256:" + "0" * 64
# Per pipeline: tasks that need requests and limits, tasks that read data from outside.
HEAVY = {"bank_training": {"train", "evaluate"}}
EXTERNAL = {"bank_training": {"ingest"}}
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
        container = executor.container
        assert container.image == IMAGE, label
        script = " ".join(container.command)
        assert "_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main" in script, label
    assert not re.search(r"pip3? install|ensurepip|packages_to_install|index-url", text)


@pytest.mark.parametrize("name", PIPELINES)
def test_inputs_are_the_flattened_run_config_with_its_values_as_defaults(compiled, name):
    entry = PIPELINES[name]
    config = load_run_config(
        PROJECT_ROOT / "zenml_config" / entry.config_file, entry.params
    ).parameters.config
    spec, _, _ = _parse(compiled[name][0])
    inputs = spec.root.input_definitions.parameters
    expected = flatten(config, exclude=entry.zenml_only)
    assert set(inputs) == set(expected)
    for key, value in expected.items():
        assert inputs[key].is_optional, key
        assert json_format.MessageToDict(inputs[key].default_value) == value, key


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
def test_only_tasks_that_read_external_data_skip_the_cache(compiled, name):
    spec, _, _ = _parse(compiled[name][0])
    uncached = {
        task for task, body in _tasks(spec)
        if _executor(spec, body) and not body.caching_options.enable_cache
    }  # fmt: skip
    assert uncached == EXTERNAL[name]


@pytest.mark.parametrize("name", PIPELINES)
def test_fan_outs_are_bounded(compiled, name):
    spec, _, _ = _parse(compiled[name][0])
    for task, body in _tasks(spec):
        if body.WhichOneof("iterator"):
            assert body.iterator_policy.parallelism_limit > 0, f"{task}: unbounded ParallelFor"


@pytest.mark.parametrize("name", PIPELINES)
def test_no_credentials_in_the_yaml_only_secret_references(compiled, name):
    text = compiled[name][0]
    assert not CREDENTIALS.search(text.lower())
    _, _, kubernetes = _parse(text)
    for label, config in kubernetes.items():
        for secret in config.secret_as_env:
            assert secret.secret_name_parameter.runtime_value.constant.string_value, label


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


def test_inputs_that_drift_from_the_config_fail_the_compile(tmp_path):
    entry = dataclasses.replace(PIPELINES["bank_training"], zenml_only=frozenset({"seed"}))
    config = load_run_config(
        PROJECT_ROOT / "zenml_config" / entry.config_file, entry.params
    ).parameters.config
    with pytest.raises(ValueError, match=r"differ on \['seed'\]"):
        compile_pipeline(entry, config, IMAGE, tmp_path / "x.yaml")
    assert not (tmp_path / "x.yaml").exists()


def test_a_bad_run_config_exits_2_before_compiling(cli, tmp_path, monkeypatch):
    (tmp_path / "bank_training.yaml").write_text("parameters:\n  config:\n    sede: 1\n")
    monkeypatch.setenv("MODEL_FACTORY_CONFIG_DIR", str(tmp_path))
    result = cli("compile", "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "parameters.config.sede" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "out").glob("*.yaml"))
