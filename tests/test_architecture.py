"""The core stays framework-free: only `integrations/`, `serving/` and `cli/` import
ZenML, KFP, Kubernetes or FastAPI, so the core runs the same under ZenML, KFP and plain Python."""

import ast
import importlib

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
        path for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in ADAPTERS
    ]  # fmt: skip
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
