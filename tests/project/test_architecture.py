"""The core stays framework-free: only `integrations/` (Kubeflow's modules included), `serving/`
and `cli/` import ZenML, KFP, Kubernetes or FastAPI, so the core runs the same under ZenML, KFP
and plain Python."""

import ast
import importlib

from model_factory import use_cases
from support import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "model_factory"
ADAPTERS = {"integrations", "serving", "cli"}
FRAMEWORKS = {"zenml", "kfp", "kubernetes", "fastapi", "uvicorn", "starlette"}


def _imported_roots(path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_core_imports_no_framework():
    core = [
        path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in ADAPTERS
    ]
    assert len(core) > 40  # the walk found the core
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(_imported_roots(path) & FRAMEWORKS)
        for path in core
        if _imported_roots(path) & FRAMEWORKS
    }
    assert offenders == {}


def test_every_module_imports():
    """A broken import anywhere fails the fast lane, not only the tests that reach the module."""
    modules = [
        ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for folder in ("model_factory", "steps", "components", "pipelines")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if path.name != "__main__.py"  # runs the CLI
    ]
    assert len(modules) > 80
    for name in modules:
        importlib.import_module(name)


USE_CASE_PACKAGES = {u.package.rpartition(".")[2] for u in use_cases.all()}


def _imported_modules(path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return modules


def _use_cases_imported(path) -> set[str]:
    parts = (module.split(".") for module in _imported_modules(path))
    return {p[1] for p in parts if p[0] == "model_factory" and len(p) > 1} & USE_CASE_PACKAGES


def test_use_cases_import_no_other_use_case():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(others)
        for package in USE_CASE_PACKAGES
        for path in (PACKAGE / package).rglob("*.py")
        if (others := _use_cases_imported(path) - {package})
    }
    assert offenders == {}


def test_the_shared_core_reaches_use_cases_only_through_the_registry():
    """Shared modules (the top level and drift/) look a use case up in model_factory/use_cases.py;
    continuous.py also names the config types of the Kubeflow monitor and scoring pipelines."""
    shared = [*PACKAGE.glob("*.py"), *(PACKAGE / "drift").rglob("*.py")]
    offenders = {
        path.name: sorted(_use_cases_imported(path))
        for path in shared
        if path.name not in {"use_cases.py", "continuous.py"} and _use_cases_imported(path)
    }
    assert offenders == {}


TEST_KINDS = {"unit", "pipelines", "kubeflow", "serving", "infra", "project"}


def test_tests_sit_in_a_folder_of_their_kind_and_import_only_helpers():
    tests = PROJECT_ROOT / "tests"
    modules = sorted(tests.rglob("test_*.py"))
    assert len(modules) > 60  # the walk found the suite
    misplaced = [str(m.relative_to(tests)) for m in modules if m.parent.name not in TEST_KINDS]
    helpers = {path.stem for path in (tests / "helpers").glob("*.py")}
    test_names = {m.stem for m in modules}
    importing_tests = {
        str(m.relative_to(tests)): sorted(_imported_roots(m) & test_names)
        for m in modules
        if _imported_roots(m) & test_names
    }
    assert misplaced == [] and importing_tests == {}
    assert not helpers & test_names
