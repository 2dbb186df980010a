"""`model-factory`: the command line over the core, ZenML and Kubeflow.

One module per command group; each registers its commands on `base.app` when imported, in the
order below (which is the order `--help` lists them). Imports of heavy libraries (zenml,
sklearn, prophet, kfp) happen inside commands so that `--help` stays fast. Exit codes: 0 ok,
1 unexpected error, 2 bad input, 3 promotion rejected, 4 drift detected.
"""

# isort: off
from model_factory.cli.base import app, main
from model_factory.cli import training, scoring, monitoring, retraining, registry  # noqa: F401
from model_factory.cli import services, kubeflow, demo  # noqa: F401
# isort: on

__all__ = ["app", "main"]
