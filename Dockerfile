# The project image: every KFP component (and ZenML step on Kubernetes) runs in it, with the
# locked dependencies and the project installed, so nothing is installed at run time.
#   docker build -t model-factory:0.1.0 --build-arg GIT_COMMIT="$(git rev-parse HEAD)" .
#   model-factory compile --image <registry>/model-factory:0.1.0
# Stages: `build` installs uv.lock and the project into /opt/venv; `runtime` is what pipelines
# run (build pipelines with --target runtime). `serve` is the forecast service:
#   docker build --target serve -t model-factory-serve:0.1.0 .
# `make image` builds both (and `make image-check` runs them) without a Docker daemon.

# The official image, pinned by the digest of its multi-architecture index so that a rebuild gets
# the same OS and Python. To update: pick the new tag, then
#   docker buildx imagetools inspect python:<tag>     (the "Digest:" line)
# and replace tag and digest here (keep tests/infra/test_image.py's pattern in step).
ARG BASE_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${BASE_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

FROM base AS build
# uv from PyPI at the Makefile's version: no `curl | sh`.
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy
WORKDIR /src
# Dependencies first: this layer changes only with pyproject.toml and uv.lock. The runtime's set
# is the project's dependencies plus the `pipelines` group (pyproject.toml), never the dev group.
# slim-venv drops the packages' test suites and compiles the bytecode (see the script).
COPY infra/image/slim-venv.sh /usr/local/bin/slim-venv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-default-groups --group pipelines --no-install-project \
    && slim-venv /opt/venv
COPY README.md ./
COPY model_factory ./model_factory
COPY steps ./steps
COPY pipelines ./pipelines
COPY components ./components
RUN uv sync --frozen --no-default-groups --group pipelines --no-editable && slim-venv /opt/venv
# Compile the DBSCAN kernels once here, not in every taxi pod (~17 s each). CPU "generic" keeps
# the cache valid on whatever x86-64 node runs the pod (a host-specific one misses on any other
# CPU model). An explicit cache folder, because numba only uses a cache it can write to: beside
# the root-owned source it would fall back to an empty one in $HOME at run time. `-P`: the
# installed package, not /src's copy (numba files the cache under the source's folder).
ENV NUMBA_CPU_NAME=generic \
    NUMBA_CACHE_DIR=/opt/numba-cache
RUN /opt/venv/bin/python -P -c "import numpy as np; from model_factory.taxi.dbscan import dbscan; dbscan(np.random.default_rng(0).normal(size=(2000, 2)), 0.3, 10)"

FROM base AS runtime
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /opt/numba-cache /opt/numba-cache
COPY zenml_config /app/zenml_config
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/app \
    MODEL_FACTORY_CONFIG_DIR=/app/zenml_config \
    MODEL_FACTORY_HOME=/home/app/outputs \
    NUMBA_CPU_NAME=generic \
    NUMBA_CACHE_DIR=/opt/numba-cache \
    ZENML_ANALYTICS_OPT_IN=false
WORKDIR /app
USER 10001:10001
# Last, so that a new commit rebuilds nothing above: what model versions record as git_commit.
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=$GIT_COMMIT
CMD ["model-factory", "--help"]

# The forecast service's environment: the project's dependencies only, without the `pipelines`
# group (KFP SDK, Kubernetes client, numba, imbalanced-learn, scikit-learn, SciPy, PyArrow, the
# PostgreSQL driver). gcsfs and the Google client stay: the service loads its model from the
# stack's GCS artifact store. Rebuilt from the build stage's uv cache, at the same path.
FROM build AS build-serve
RUN rm -rf /opt/venv && uv sync --frozen --no-default-groups --no-editable && slim-venv /opt/venv

# `model-factory serve` as user 10001 on port 8080 (metrics on 9090, without the key); no run
# configs, no build tools. Settings come from MODEL_FACTORY_SERVE_* and the ZenML server from
# ZENML_STORE_URL / ZENML_STORE_API_KEY.
# On Kubernetes the root filesystem is read-only: infra/k8s points ZenML and matplotlib at /tmp.
FROM base AS serve
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app
COPY --from=build-serve /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/app \
    ZENML_ANALYTICS_OPT_IN=false
WORKDIR /home/app
USER 10001:10001
EXPOSE 8080
# Liveness only (the process answers); readiness (/readyz: a model is loaded) is the orchestrator's.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=$GIT_COMMIT
CMD ["model-factory", "serve", "--host", "0.0.0.0", "--port", "8080", "--metrics-port", "9090"]
