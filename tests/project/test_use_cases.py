"""Every registered use case is complete (what it names exists and fits together), and what a
use case is lives in its `UseCase` only: no other module spells its model or artifact names."""

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from model_factory import use_cases
from model_factory.config import load_run_config
from model_factory.promotion import POLICY_FILE, load_policies
from model_factory.use_case import resolve
from support import PROJECT_ROOT, run_main

CONFIGS = PROJECT_ROOT / "zenml_config"
USE_CASES = {use_case.name: use_case for use_case in use_cases.all()}


def test_names_are_unique_and_lookups_agree():
    registered = use_cases.all()
    for field in ("name", "old_name", "model_name", "package", "outputs"):
        values = [getattr(use_case, field) for use_case in registered if getattr(use_case, field)]
        assert len(set(values)) == len(values), field
    for use_case in registered:
        assert use_cases.by_name(use_case.name) is use_case
        if use_case.old_name is not None:
            assert use_cases.by_name(use_case.old_name) is use_case
        assert use_cases.by_model(use_case.model_name) is use_case


# Shared by every use case, so named by what they do (the rest is `<use case>_<kind>`).
SHARED_MODULES = {
    "data",
    "monitoring",
    "promotion",
    "deploy",
    "caching",
    "inputs",
    "platform",
    "scoring",
}


def test_one_name_per_use_case():
    """A use case's pipelines, steps, components, run configs, Kubeflow pipelines and outputs
    all start with its short name: nothing called `store_forecasting` beside `forecast_*`."""
    from components import PIPELINES

    prefixes = tuple(f"{name}_" for name in USE_CASES)
    named = [
        *(f"{folder}/{path.stem}" for folder in ("pipelines", "steps", "components")
          for path in (PROJECT_ROOT / folder).glob("[!_]*.py") if path.stem not in SHARED_MODULES),
        *(f"zenml_config/{path.stem}" for folder in (CONFIGS, CONFIGS / "kubeflow")
          for path in folder.glob("*.yaml") if path.stem not in {"promotion", "kubeflow_monitors"}),
        *(f"kfp/{name}" for name in PIPELINES),
    ]  # fmt: skip
    assert len(named) > 30
    assert [name for name in named if not name.split("/")[1].startswith(prefixes)] == []
    for use_case in use_cases.all():
        assert use_case.outputs == use_case.name
        for field in ("training_pipeline", "monitor_pipeline", "scoring_pipeline"):
            module = getattr(use_case, field)
            assert module is None or module.split(".")[-1].startswith(f"{use_case.name}_"), field


@pytest.mark.parametrize("name", USE_CASES)
def test_the_subpackage_declares_the_registered_use_case(name):
    use_case = USE_CASES[name]
    assert import_module(f"{use_case.package}.use_case").USE_CASE is use_case
    monitor = resolve(use_case.monitor)
    assert callable(monitor.load_batch) and callable(monitor.source) and callable(monitor.check)


@pytest.mark.parametrize("kind", ["training", "monitor"])
@pytest.mark.parametrize("name", USE_CASES)
def test_the_generic_steps_rebuild_each_config_as_its_own_type(name, kind):
    """The shared data and monitor steps take any use case's config: ZenML records its fields
    and rebuilds it through the union of the types, so the fields of one must fit no other."""
    from pydantic import TypeAdapter

    from steps.data import TrainingConfig
    from steps.monitoring import MonitorConfig

    use_case = USE_CASES[name]
    union, types, module_of, module = {
        "training": (TrainingConfig, use_cases.training_config_types(), use_cases.data_of,
                     use_case.data),
        "monitor": (MonitorConfig, use_cases.monitor_config_types(), use_cases.monitor_of,
                    use_case.monitor),
    }[kind]  # fmt: skip
    own = resolve(getattr(use_case, f"{kind}_params"))
    file = getattr(use_case, f"{kind}_config")
    config = load_run_config(CONFIGS / file, own).parameters.config
    recorded = config.model_dump(mode="json")
    rebuilt = TypeAdapter(union).validate_python(recorded)
    assert type(rebuilt) is own and rebuilt == config
    if kind == "training":  # what a KFP task is given: the config as JSON
        assert use_cases.training_config(config.model_dump_json()) == rebuilt
    assert module_of(rebuilt) is resolve(module)
    for other in (t for t in types if t is not own):
        with pytest.raises(ValueError):
            other.model_validate(recorded)


@pytest.mark.parametrize("name", USE_CASES)
def test_every_run_config_exists_and_parses_as_its_type(name):
    use_case = USE_CASES[name]
    pairs = [
        (use_case.training_config, use_case.training_params),
        (use_case.monitor_config, use_case.monitor_params),
        (use_case.scoring_config, use_case.scoring_params),
    ]
    for file, params in pairs:
        assert (file is None) == (params is None)
        if file is not None:
            load_run_config(CONFIGS / file, resolve(params))  # raises on a missing or bad file
            assert (CONFIGS / "kubeflow" / file).is_file()


@pytest.mark.parametrize("name", USE_CASES)
def test_the_pipelines_run_the_use_cases_model(name):
    use_case = USE_CASES[name]
    training = import_module(use_case.training_pipeline)
    assert training.MODEL.name == use_case.model_name
    assert isinstance(training.METRICS_STEP, str)
    assert hasattr(training, "TRAINING") or hasattr(training, "DETECTION")
    monitor = import_module(use_case.monitor_pipeline)
    assert {"MONITOR", "REPORT_STEP", "METRICS_STEP"} <= set(vars(monitor))
    if use_case.scoring_pipeline is not None:
        assert {"SCORING", "METRICS_STEP"} <= set(vars(import_module(use_case.scoring_pipeline)))


@pytest.mark.parametrize("name", USE_CASES)
def test_promotion_and_fair_comparison_know_the_model(name):
    use_case = USE_CASES[name]
    assert use_case.model_name in load_policies(CONFIGS / POLICY_FILE)
    rescorer = import_module(use_case.rescorer).RESCORER
    assert rescorer.model_artifact == use_case.model_artifact


@pytest.mark.parametrize("name", USE_CASES)
def test_kubeflow_continuous_training_is_wired_or_absent_as_a_whole(name):
    use_case = USE_CASES[name]
    assert (use_case.exported_model is None) == (use_case.kubeflow_retraining is None)
    if use_case.exported_model is not None:
        exported = use_case.exported_model
        assert callable(resolve(exported.save)) and callable(resolve(exported.load))
        retraining = resolve(use_case.kubeflow_retraining)
        assert callable(retraining.holdout) and callable(retraining.write_window)


def _string_constants(path: Path):
    """(line, value) of the string constants in a module, leaving out the names of a KFP task's
    outputs (`task.outputs["classifier"]`): those are its component's parameter names."""
    tree = ast.parse(path.read_text())
    kfp_outputs = {
        id(node.slice)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "outputs"
    }
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_string and id(node) not in kfp_outputs:
            yield node.lineno, node.value


def test_no_module_outside_a_use_case_spells_its_model_or_artifact_names():
    """Model and artifact names come from the `UseCase`; a literal elsewhere is a table or a
    branch the registry was meant to replace."""
    modules = [
        path
        for folder in ("model_factory", "pipelines", "steps", "components")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
    ]
    assert len(modules) > 80
    offenders = []
    for use_case in use_cases.all():
        own = PROJECT_ROOT.joinpath(*use_case.package.split("."))
        names = {use_case.model_name, use_case.model_artifact}
        for path in modules:
            if own in path.parents:
                continue
            offenders += [
                f"{path.relative_to(PROJECT_ROOT)}:{line}: {value}"
                for line, value in _string_constants(path)
                if value in names
            ]
    assert offenders == []


def test_old_command_names_still_work_hidden_and_with_a_note(tmp_path):
    missing = str(tmp_path / "absent.yaml")
    code, _, err = run_main("train", "bank-marketing", "--config", missing)
    lines = err.strip().splitlines()
    assert code == 2 and lines[0] == "note: `train bank-marketing` is deprecated, use `train bank`"
    assert lines[-1].startswith("error: config file not found")
    code, out, _ = run_main("train", "--help")
    assert code == 0 and "bank" in out and "bank-marketing" not in out


def test_commands_list_the_short_names():
    from model_factory.cli import app

    groups = {group.name: group.typer_instance for group in app.registered_groups}
    for verb in ("train", "predict", "monitor", "detect"):
        shown = {c.name for c in groups[verb].registered_commands if not c.hidden}
        assert shown and shown <= set(USE_CASES), verb
    assert set(USE_CASES) <= {
        c.name for verb in ("train", "detect") for c in groups[verb].registered_commands
    }


def test_the_registry_imports_no_framework_or_model_library():
    code = (
        "import sys, model_factory.use_cases; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'zenml', 'kfp', 'sklearn', "
        "'prophet', 'pandas'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_new_use_case_without_batches_or_retraining_is_refused_in_one_line(monkeypatch):
    """What the shared commands do for a use case that brings no shifted batches and no
    retraining recipe (here a registered stand-in whose package has neither): exit 2, one line,
    never another use case's batch or retraining."""
    from dataclasses import replace

    stand_in = replace(
        use_cases.BANK, name="stand-in", old_name=None, model_name="stand_in_model",
        package="model_factory.drift", outputs="stand_in",
    )  # fmt: skip
    monkeypatch.setattr(use_cases, "_ALL", (*use_cases.all(), stand_in))
    code, out, err = run_main("sample-batch", "stand-in", "--out", "batch.csv")
    assert (code, out, err.strip()) == (2, "", "error: stand-in has no sample batches")
    code, out, err = run_main("retrain-if-drifted", "stand-in", "--data", "batch.csv")
    assert code == 2 and out == ""
    known = "bank, forecasting, taxi"
    assert (
        err.strip()
        == f"error: stand_in_model: retrain-if-drifted knows how to retrain {known} only"
    )
