"""Model factory: ZenML + Kubeflow pipelines for three ML use cases.

The modules directly in this package are the framework-free core (no zenml, kfp, kubernetes or
fastapi imports); `integrations/`, `serving/` and `cli/` are the only places that talk to them.
"""

import os

# OpenMP threads (scikit-learn's boosting) busy-wait by default: on a shared 2-core machine that
# multiplied training time by 5-10x. Set here, before anything loads OpenMP, so every way in
# (`model-factory`, `zenml pipeline run`, a KFP task) gets it; passive waiting changes no result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
