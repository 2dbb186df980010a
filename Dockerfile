# The project image: every KFP component (and ZenML step on Kubernetes) runs in it, with the
# locked dependencies and the project installed, so nothing is installed at run time.
#   docker build -t model-factory:0.1.0 --build-arg GIT_COMMIT="$(git rev-parse HEAD)" .
#   model-factory compile --image <registry>/model-factory:0.1.0
# Stages: `build` installs uv.lock and the project into /opt/venv; `runtime` is what pipelines
# run. A later `service` stage can start FROM runtime; build pipelines with --target runtime.

FROM python:3.11.14-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

FROM base AS build
# uv from PyPI at the Makefile's version: no `curl | sh`.
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src
# Dependencies first: this layer changes only with uv.lock.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY model_factory ./model_factory
COPY steps ./steps
COPY pipelines ./pipelines
COPY components ./components
RUN uv sync --frozen --no-dev --no-editable

FROM base AS runtime
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY zenml_config /app/zenml_config
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/app \
    MODEL_FACTORY_CONFIG_DIR=/app/zenml_config \
    MODEL_FACTORY_HOME=/home/app/outputs \
    ZENML_ANALYTICS_OPT_IN=false
WORKDIR /app
USER 10001:10001
# Last, so that a new commit rebuilds nothing above: what model versions record as git_commit.
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=$GIT_COMMIT
CMD ["model-factory", "--help"]
