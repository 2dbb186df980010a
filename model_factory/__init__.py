"""Model factory: ZenML + Kubeflow pipelines for three ML use cases.

The modules directly in this package are the framework-free core (no zenml, kfp, kubernetes or
fastapi imports); `integrations/`, `serving/` and `cli/` are the only places that talk to them.
"""
