"""Submit a compiled pipeline to Kubeflow Pipelines (API v2beta1) through `kfp.Client`.

Each submit uploads the package as a new version of the pipeline named after it (creating the
pipeline the first time) and starts a run of exactly that version, or a recurring run. Default
version names are `<git short commit>-<sha256 of the package, 8 hex>`: the same commit and
package always give the same name, so submitting them again reuses the version instead of
uploading a copy. A release moves the pipeline's recurring runs to the version it uploads
(`update_recurring`): each gets a replacement on the new version with the same schedule,
experiment and inputs, then the old one is deleted. Every failure to reach the API, or a
rejection by it, is an `InputError` naming the host, the operation and the server's message
(exit code 2).
"""

import contextlib
import hashlib
import io
import json
import os
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import urllib3

from model_factory.errors import InputError

TOKEN_ENV = "KF_PIPELINES_TOKEN"
# kfp's own names: a projected service-account token, re-read on every request.
TOKEN_FILE_ENV = "KF_PIPELINES_SA_TOKEN_PATH"
TOKEN_FILE_DEFAULT = "/var/run/secrets/kubeflow/pipelines/token"
PROBE_TIMEOUT_S = 10
RUN_DATE = "run_date"  # the input of the pipelines a backfill can run for past dates


@dataclass(frozen=True)
class Moved:
    """A recurring run replaced by one of the same schedule on the new version."""

    old_id: str
    new_id: str
    display_name: str
    trigger: str  # the cron, or `every N s`
    enabled: bool
    dropped: tuple[str, ...] = ()  # its inputs the new version no longer has


@dataclass(frozen=True)
class Submitted:
    """What a submit created or reused, with the UI address of the run or recurring run."""

    pipeline_id: str
    version_id: str
    version_name: str
    uploaded: bool  # False: a version with the same name (and so the same package) existed
    experiment_id: str | None  # None: uploaded only
    run_id: str | None
    recurring_run_id: str | None
    url: str
    backfill_runs: tuple[tuple[str, str], ...] = ()  # (run date, run id), in date order
    moved: tuple[Moved, ...] = ()  # recurring runs pointed at this version (update_recurring)


def package_path(directory: Path, pipeline: str) -> Path:
    path = directory / f"{pipeline}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []
        raise InputError(
            f"{path} not found: run `model-factory compile` first"
            + (f" (compiled: {', '.join(known)})" if known else "")
        )
    return path


def takes_run_date(package: Path) -> bool:
    """Whether the compiled pipeline has a `run_date` input (the IR's root inputs)."""
    return RUN_DATE in _inputs(package)


def _inputs(package: Path) -> set[str]:
    """The compiled pipeline's input names."""
    import yaml

    spec = next(yaml.safe_load_all(package.read_text()))  # then the platform spec, if any
    return set(spec["root"].get("inputDefinitions", {}).get("parameters", {}))


def default_version_name(package: Path, commit: str) -> str:
    """`<commit[:7]>-<sha256(package)[:8]>`: deterministic, and says what was built from what."""
    digest = hashlib.sha256(package.read_bytes()).hexdigest()[:8]
    return f"{commit[:7] if commit != 'unknown' else 'nogit'}-{digest}"


def submit(
    package: Path,
    pipeline: str,
    host: str,
    *,
    version_name: str,
    reuse_version: bool,
    experiment: str,
    namespace: str | None = None,
    cron: str | None = None,
    description: str = "",
    start: bool = True,
    backfill: Sequence[str] = (),
    update_recurring: bool = False,
) -> Submitted:
    """Upload `package` as version `version_name` of `pipeline` on `host` (see `api_url`), then
    run it.

    `reuse_version`: a version of that name may already exist and is then run as is (right for
    content-addressed names); otherwise an existing name is an error. `cron` (6 fields) makes a
    recurring run instead of a run; `start=False` only uploads (releases publish versions that
    schedules and people then run). `description` describes the version. `backfill` (run
    dates, YYYY-MM-DD) makes one run per date with its `run_date` input set, in order.
    `update_recurring` (with `start=False`) moves every recurring run of `pipeline` that runs
    another version to this one: a replacement first, so a failure leaves the old one running.
    """
    auth, token = _credentials()
    multi_user = _probe(host, token)
    if multi_user and not namespace:
        raise InputError(f"KFP at {host} is multi-user: pass --namespace (your profile namespace)")
    if namespace and not multi_user:
        raise InputError(f"KFP at {host} is single-user (standalone): drop --namespace {namespace}")
    api = _Api(host, auth)
    pipeline_id = api.pipeline_id(pipeline, namespace) or api.create_pipeline(
        pipeline, namespace, "model-factory: one version per compiled package it submits"
    )
    version_id = api.version_id(pipeline_id, version_name)
    if version_id is not None and not reuse_version:
        raise InputError(
            f"pipeline {pipeline} already has a version named {version_name!r} on {host}: "
            "choose another --version-name (or omit it for a content-addressed name)"
        )
    uploaded = version_id is None
    if uploaded:
        version_id = api.upload_version(package, pipeline_id, version_name, description)
    if not start:
        moved = ()
        if update_recurring:
            inputs = _inputs(package)
            moved = tuple(
                api.move_recurring(
                    old, pipeline_id, version_id, f"{pipeline} {version_name}", inputs
                )
                for old in api.recurring_runs(pipeline_id, namespace)
                if old.pipeline_version_reference.pipeline_version_id != version_id
            )
        return Submitted(
            pipeline_id, version_id, version_name, uploaded, None, None, None,
            f"{host}/#/pipelines/details/{pipeline_id}/version/{version_id}", moved=moved,
        )  # fmt: skip
    experiment_id = api.experiment_id(experiment, namespace)
    display_name = f"{pipeline} {version_name}"
    if backfill:
        runs = tuple(
            (day, api.run(experiment_id, f"{display_name} {day}", pipeline_id, version_id,
                          {RUN_DATE: day}))
            for day in backfill
        )  # fmt: skip
        return Submitted(
            pipeline_id, version_id, version_name, uploaded, experiment_id, runs[-1][1], None,
            f"{host}/#/experiments/details/{experiment_id}", runs,
        )  # fmt: skip
    if cron is None:
        run_id = api.run(experiment_id, display_name, pipeline_id, version_id)
        return Submitted(
            pipeline_id, version_id, version_name, uploaded, experiment_id, run_id, None,
            f"{host}/#/runs/details/{run_id}",
        )  # fmt: skip
    recurring_id = api.recurring_run(experiment_id, display_name, pipeline_id, version_id, cron)
    return Submitted(
        pipeline_id, version_id, version_name, uploaded, experiment_id, None, recurring_id,
        f"{host}/#/recurringrun/details/{recurring_id}",
    )  # fmt: skip


def api_url(host: str) -> str:
    """The KFP URL as given, checked and without a trailing slash."""
    if not host.startswith(("http://", "https://")):
        raise InputError(f"--host {host!r}: give the KFP URL with its scheme, e.g. http://...")
    return host.rstrip("/")


def _credentials() -> tuple[dict, str | None]:
    """kfp.Client keyword arguments and the bearer token they amount to (None: no auth)."""
    if token := os.environ.get(TOKEN_ENV, "").strip():
        return {"existing_token": token}, token
    path = os.environ.get(TOKEN_FILE_ENV)
    if path and not Path(path).is_file():
        raise InputError(f"${TOKEN_FILE_ENV}={path}: no such token file")
    path = path or (TOKEN_FILE_DEFAULT if Path(TOKEN_FILE_DEFAULT).is_file() else None)
    if path is None:
        return {}, None  # standalone KFP behind a port-forward has no authentication
    from kfp.client.set_volume_credentials import ServiceAccountTokenVolumeCredentials

    return {"credentials": ServiceAccountTokenVolumeCredentials(path)}, Path(path).read_text()


def _probe(host: str, token: str | None) -> bool:
    """One bounded request before kfp.Client (which retries healthz for ~25 s): is `host` the
    KFP API, and is it multi-user?"""
    request = urllib.request.Request(f"{host}/apis/v2beta1/healthz")
    if token:
        request.add_header("Authorization", f"Bearer {token.strip()}")
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # as kfp.Client: no proxy
    try:
        with direct.open(request, timeout=PROBE_TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise InputError(f"{host} is not the KFP API: no /apis/v2beta1/healthz") from exc
        raise InputError(_rejection(host, "the health check", exc.code, exc.read())) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot reach the KFP API at {host}: {reason}") from exc
    try:
        return bool(json.loads(body).get("multi_user", False))
    except (ValueError, AttributeError) as exc:
        raise InputError(
            f"{host} is not the KFP API: its health check answered {body[:60]!r} "
            f"(behind a login? set ${TOKEN_ENV})"
        ) from exc


def _rejection(host: str, what: str, status: int, body: bytes | str | None) -> str:
    """One line: the server's own message (google.rpc.Status JSON) when it sent one."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else (body or "")
    try:
        message = json.loads(text).get("message") or text
    except (ValueError, AttributeError):
        message = text
    if not message.strip() and status in {s.value for s in HTTPStatus}:
        message = HTTPStatus(status).phrase
    hint = f" (set ${TOKEN_ENV} or ${TOKEN_FILE_ENV})" if status in (401, 403) else ""
    return f"KFP API at {host} rejected {what}: HTTP {status}: {message.strip()[:300]}{hint}"


def _equals(key: str, value: str) -> str:
    """A v2beta1 Filter selecting `key == value`."""
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": key, "stringValue": value}]})


class _Api:
    """The kfp.Client calls a submit makes, each mapped to one-line errors."""

    def __init__(self, host: str, auth: dict) -> None:
        import kfp

        self.host = host
        with self._call("the connection"), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "only works with KFP v2.0.0-beta.2+"
            self.client = kfp.Client(host=host, **auth)

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Map API and network errors to InputError; keep kfp's own link printing quiet."""
        from kfp_server_api import ApiException

        try:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
        except ApiException as exc:
            message = _rejection(self.host, what, exc.status, exc.body or exc.reason)
            raise InputError(message) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc  # MaxRetryError wraps the real cause
            raise InputError(f"cannot reach the KFP API at {self.host} ({what}): {reason}") from exc
        except ValueError as exc:  # kfp's checks of what the server sent, e.g. duplicate names
            raise InputError(f"KFP at {self.host}, {what}: {exc}") from exc

    def pipeline_id(self, name: str, namespace: str | None) -> str | None:
        with self._call(f"listing pipelines named {name}"):
            found = self.client.list_pipelines(
                filter=_equals("display_name", name), namespace=namespace
            ).pipelines
        return found[0].pipeline_id if found else None

    def create_pipeline(self, name: str, namespace: str | None, description: str) -> str:
        from kfp_server_api import V2beta1Pipeline

        body = V2beta1Pipeline(display_name=name, description=description, namespace=namespace)
        with self._call(f"creating pipeline {name}"):
            return self.client.pipelines.pipeline_service_create_pipeline(body).pipeline_id

    def version_id(self, pipeline_id: str, name: str) -> str | None:
        with self._call(f"listing versions named {name}"):
            found = self.client.list_pipeline_versions(
                pipeline_id, filter=_equals("display_name", name)
            ).pipeline_versions
        return found[0].pipeline_version_id if found else None

    def upload_version(self, package: Path, pipeline_id: str, name: str, description: str) -> str:
        with self._call(f"uploading {package.name} as version {name}"):
            return self.client.upload_pipeline_version(
                str(package), name, pipeline_id=pipeline_id, description=description or None
            ).pipeline_version_id

    def experiment_id(self, name: str, namespace: str | None) -> str:
        with self._call(f"finding or creating experiment {name}"):
            return self.client.create_experiment(name, namespace=namespace).experiment_id

    def run(
        self, experiment_id: str, name: str, pipeline_id: str, version_id: str,
        params: dict | None = None,
    ) -> str:  # fmt: skip
        with self._call("creating the run" + (f" with {params}" if params else "")):
            return self.client.run_pipeline(
                experiment_id, name, pipeline_id=pipeline_id, version_id=version_id, params=params
            ).run_id

    def recurring_runs(self, pipeline_id: str, namespace: str | None) -> list:
        """Every recurring run of the pipeline, all pages."""
        found, token = [], ""
        while True:
            with self._call("listing recurring runs"):
                page = self.client.list_recurring_runs(
                    page_token=token, page_size=100, namespace=namespace
                )
            found += [
                run
                for run in page.recurring_runs or []
                if run.pipeline_version_reference is not None
                and run.pipeline_version_reference.pipeline_id == pipeline_id
            ]
            token = page.next_page_token
            if not token:
                return found

    def move_recurring(
        self, old, pipeline_id: str, version_id: str, name: str, inputs: set[str]
    ) -> Moved:
        """A replacement of `old` on `version_id` (same experiment, trigger, concurrency,
        catch-up, inputs the new version still has, enabled or not), then `old` deleted."""
        given = (old.runtime_config.parameters if old.runtime_config else None) or {}
        cron = old.trigger.cron_schedule.cron if old.trigger.cron_schedule else None
        interval = None if cron else int(old.trigger.periodic_schedule.interval_second)
        enabled = old.status != "DISABLED"
        with self._call(f"replacing recurring run {old.recurring_run_id}"):
            new_id = self.client.create_recurring_run(
                old.experiment_id, name, cron_expression=cron, interval_second=interval,
                max_concurrency=int(old.max_concurrency or 1), no_catchup=old.no_catchup,
                params={k: v for k, v in given.items() if k in inputs} or None,
                pipeline_id=pipeline_id, version_id=version_id, enabled=enabled,
            ).recurring_run_id  # fmt: skip
        with self._call(f"deleting recurring run {old.recurring_run_id}"):
            self.client.delete_recurring_run(old.recurring_run_id)
        return Moved(
            old.recurring_run_id, new_id, old.display_name, cron or f"every {interval} s",
            enabled, tuple(sorted(set(given) - inputs)),
        )  # fmt: skip

    def recurring_run(
        self, experiment_id: str, name: str, pipeline_id: str, version_id: str, cron: str
    ) -> str:
        with self._call(f"creating the recurring run ({cron})"):
            return self.client.create_recurring_run(
                experiment_id, name, cron_expression=cron, max_concurrency=1, no_catchup=True,
                pipeline_id=pipeline_id, version_id=version_id, enabled=True,
            ).recurring_run_id  # fmt: skip
