"""Which steps ZenML may answer from its cache.

A step is cached only when its outputs depend on nothing but its inputs and parameters, and it
has no effect outside them: validation and splits. Loaders read sources that can change under
the same path, and training, registration, writers and promotion act on the world (or register a
new model version), so they run every time; the pipelines default to no caching, and these steps
opt in. ZenML's cache key covers a step's own code, not the functions it calls: `pure` adds the
source of the core modules that do the work, so editing them invalidates the cache too.
"""

from importlib import import_module

from zenml.config import CachePolicy


def pure(*modules: str) -> dict:
    """`@step` options of a step computed from its inputs by the functions of `modules`
    (imported here: ZenML reads their source when it computes the cache key)."""
    for module in modules:
        import_module(module)
    return {"enable_cache": True, "cache_policy": CachePolicy(source_dependencies=list(modules))}
