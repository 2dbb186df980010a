"""A fake Kubeflow Pipelines API server (v2beta1) over real HTTP on 127.0.0.1, for submit tests.

It keeps pipelines, versions, experiments, runs and recurring runs in memory and is as strict as
the real server where a client can go wrong:
- every JSON body and list filter is checked against the `kfp_server_api` models the SDK is
  generated from (unknown field, wrong type, bad enum value: 400), accepting what protobuf's JSON
  parser accepts (snake_case or lowerCamelCase names, int64 as number or string, enum names);
- an uploaded package must parse strictly as a PipelineSpec (plus PlatformSpec documents);
- references must exist (404), names are unique per scope (409), a run's parameters must be
  pipeline inputs, a recurring run needs one trigger and a 6-field cron, concurrency 1-10;
- lists of recurring runs come in pages (`page_size`, `next_page_token`), as from the real API;
- with `token` set, requests without `Authorization: Bearer <token>` get 401.
Errors are google.rpc.Status JSON, as from the real API. Every request is recorded.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import kfp_server_api
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

# Fields that are int64 in the API's protos: generated as `str`, sent by the SDK as numbers.
INT64_FIELDS = {
    ("V2beta1RecurringRun", "max_concurrency"),
    ("V2beta1PeriodicSchedule", "interval_second"),
    ("V2beta1Predicate", "long_value"),
}
# filter.proto's Predicate.Operation numbers (4 is unused), which JSON may give instead of names.
PREDICATE_OPERATIONS = dict(
    [(1, "EQUALS"), (2, "NOT_EQUALS"), (3, "GREATER_THAN"), (5, "GREATER_THAN_EQUALS"),
     (6, "LESS_THAN"), (7, "LESS_THAN_EQUALS"), (8, "IN"), (9, "IS_SUBSTRING")]
)  # fmt: skip
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13, 503: 14}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, or {"fields": {...}, "files": {...}} for multipart


@dataclass
class FakeKfp:
    multi_user: bool = False
    token: str | None = None
    pipelines: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, dict] = field(default_factory=dict)
    experiments: dict[str, dict] = field(default_factory=dict)
    runs: dict[str, dict] = field(default_factory=dict)
    recurring_runs: dict[str, dict] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    # (METHOD, path) -> (status, message): answered once instead of handling the request.
    fail_next: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    max_page_size: int = 200  # a list never returns more per page, whatever the client asks
    url: str = ""

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]


# --- validation against the kfp_server_api models --------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def check(value: Any, type_name: str, where: str, owner: tuple[str, str] | None = None) -> Any:
    """`value` as the JSON of `type_name` (a kfp_server_api type string); returns it with field
    names normalised to the models' names. Raises ApiError(400) naming the offending path."""

    def bad(what: str) -> ApiError:
        return ApiError(400, f"invalid {where}: {what}")

    if owner in INT64_FIELDS:
        number = isinstance(value, int) and not isinstance(value, bool)
        if number or (isinstance(value, str) and re.fullmatch(r"-?\d+", value)):
            return value
        raise bad(f"expected an int64, got {value!r}")
    if type_name == "str":
        if not isinstance(value, str):
            raise bad(f"expected a string, got {value!r}")
        return value
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad(f"expected an integer, got {value!r}")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise bad(f"expected a boolean, got {value!r}")
        return value
    if type_name == "datetime":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"expected an RFC 3339 timestamp, got {value!r}") from None
        return value
    if type_name == "object":
        return value
    if match := re.fullmatch(r"list\[(.+)\]", type_name):
        if not isinstance(value, list):
            raise bad(f"expected a list, got {value!r}")
        return [check(v, match[1], f"{where}[{i}]") for i, v in enumerate(value)]
    if match := re.fullmatch(r"dict\(str, (.+)\)", type_name):
        if not isinstance(value, dict):
            raise bad(f"expected an object, got {value!r}")
        return {k: check(v, match[1], f"{where}.{k}") for k, v in value.items()}
    model = getattr(kfp_server_api.models, type_name)
    if not model.openapi_types:  # an enum
        if model is kfp_server_api.V2beta1PredicateOperation and value in PREDICATE_OPERATIONS:
            value = PREDICATE_OPERATIONS[value]
        if value not in model.allowable_values:
            raise bad(f"{value!r} is not one of {model.allowable_values}")
        return value
    if not isinstance(value, dict):
        raise bad(f"expected a {type_name} object, got {value!r}")
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    out = {}
    for key, inner in value.items():
        attr = by_json.get(key) or by_json.get(_snake(key))
        if attr is None:
            raise bad(f"unknown field {key!r} in {type_name}")
        if inner is not None:
            out[attr] = check(inner, model.openapi_types[attr], f"{where}.{key}", (type_name, attr))
    return out


# --- the API ----------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _filtered(items: list[dict], encoded: str | None, where: str) -> list[dict]:
    """Apply a v2beta1 Filter (EQUALS on string fields is what clients use to find by name)."""
    if not encoded:
        return items
    try:
        raw = json.loads(encoded)
    except ValueError:
        raise ApiError(400, f"invalid filter: not JSON: {encoded!r}") from None
    spec = check(raw, "V2beta1Filter", f"{where} filter")
    for predicate in spec.get("predicates", []):
        if predicate.get("operation") != "EQUALS" or "string_value" not in predicate:
            raise ApiError(400, f"fake supports EQUALS on strings only, got {predicate}")
        key, wanted = predicate.get("key"), predicate["string_value"]
        if key not in {"display_name", "name"}:
            raise ApiError(400, f"invalid filter key {key!r} for {where}")
        items = [item for item in items if item["display_name"] == wanted]
    return items


def _namespace(api: FakeKfp, given: str | None, what: str) -> str:
    given = given or ""
    if api.multi_user and not given:
        raise ApiError(400, f"multi-user mode: {what} needs a namespace")
    if not api.multi_user and given:
        raise ApiError(400, f"single-user mode: {what} must not set a namespace, got {given!r}")
    return given


def _body(request: Request, type_name: str, what: str) -> dict:
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ApiError(400, f"{what}: expected application/json")
    return check(request.body, type_name, what)


def _ids(prefix: str):
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter):04d}-{uuid.uuid4().hex[:8]}"


_NEW_ID = {name: _ids(name) for name in ("pipeline", "version", "experiment", "run", "recurring")}


def healthz(api: FakeKfp, request: Request) -> dict:
    return {"multi_user": api.multi_user, "pipeline_store": "database"}


def list_pipelines(api: FakeKfp, request: Request) -> dict:
    namespace = request.query.get("namespace", "")
    if namespace and not api.multi_user:
        raise ApiError(400, f"single-user mode: no namespaces, got {namespace!r}")
    items = [p for p in api.pipelines.values() if p.get("namespace", "") == namespace]
    found = _filtered(items, request.query.get("filter"), "pipelines")
    return {"pipelines": found, "total_size": len(found)} if found else {}


def create_pipeline(api: FakeKfp, request: Request) -> dict:
    body = _body(request, "V2beta1Pipeline", "pipeline")
    name = (body.get("display_name") or "").strip()
    if not name:
        raise ApiError(400, "pipeline display_name is required")
    namespace = body.get("namespace", "")  # multi-user: "" is a shared pipeline
    if namespace and not api.multi_user:
        raise ApiError(
            400, f"single-user mode: pipeline must not set a namespace, got {namespace!r}"
        )
    if any(
        p["display_name"] == name and p.get("namespace", "") == namespace
        for p in api.pipelines.values()
    ):
        raise ApiError(409, f"pipeline with name {name!r} already exists")
    pipeline = {"pipeline_id": _NEW_ID["pipeline"](), "display_name": name,
                "description": body.get("description", ""), "created_at": _now()}  # fmt: skip
    if namespace:
        pipeline["namespace"] = namespace
    api.pipelines[pipeline["pipeline_id"]] = pipeline
    return pipeline


def upload_version(api: FakeKfp, request: Request) -> dict:
    if not isinstance(request.body, dict) or "files" not in request.body:
        raise ApiError(400, "upload_version: expected multipart/form-data")
    allowed = {"name", "display_name", "pipelineid", "description", "tags"}
    if unknown := set(request.query) - allowed:
        raise ApiError(400, f"upload_version: unknown query parameter(s) {sorted(unknown)}")
    pipeline_id = request.query.get("pipelineid")
    if pipeline_id not in api.pipelines:
        raise ApiError(404, f"pipeline {pipeline_id!r} not found")
    name = (request.query.get("name") or request.query.get("display_name") or "").strip()
    if not name:
        raise ApiError(400, "pipeline version name is required")
    if set(request.body["files"]) != {"uploadfile"}:
        raise ApiError(
            400, f"expected one file part 'uploadfile', got {sorted(request.body['files'])}"
        )
    filename, content = request.body["files"]["uploadfile"]
    if not filename.endswith((".yaml", ".yml")):
        raise ApiError(400, f"unexpected package file name {filename!r}")
    spec = _parse_package(content)
    if any(
        v["display_name"] == name for v in api.versions.values() if v["pipeline_id"] == pipeline_id
    ):
        raise ApiError(409, f"pipeline version with name {name!r} already exists")
    version = {"pipeline_id": pipeline_id, "pipeline_version_id": _NEW_ID["version"](),
               "display_name": name, "description": request.query.get("description", ""),
               "created_at": _now(), "pipeline_spec": spec}  # fmt: skip
    api.versions[version["pipeline_version_id"]] = version
    return version


def _parse_package(content: bytes) -> dict:
    """The real server parses the uploaded YAML into its protos; unknown fields are errors."""
    try:
        docs = [d for d in yaml.safe_load_all(content.decode()) if d is not None]
        if not docs:
            raise ValueError("empty package")
        json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec())
        for doc in docs[1:]:
            json_format.ParseDict(doc, pipeline_spec_pb2.PlatformSpec())
    except (ValueError, yaml.YAMLError, json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"invalid pipeline spec: {exc}") from None
    if not docs[0].get("pipelineInfo", {}).get("name") or "root" not in docs[0]:
        raise ApiError(400, "invalid pipeline spec: pipelineInfo.name and root are required")
    return docs[0] if len(docs) == 1 else {"pipeline_spec": docs[0], "platform_spec": docs[1]}


def list_versions(api: FakeKfp, request: Request, pipeline_id: str) -> dict:
    if pipeline_id not in api.pipelines:
        raise ApiError(404, f"pipeline {pipeline_id!r} not found")
    items = [v for v in api.versions.values() if v["pipeline_id"] == pipeline_id]
    found = _filtered(items, request.query.get("filter"), "pipeline versions")
    return {"pipeline_versions": found, "total_size": len(found)} if found else {}


def list_experiments(api: FakeKfp, request: Request) -> dict:
    namespace = _namespace(api, request.query.get("namespace"), "listing experiments")
    items = [e for e in api.experiments.values() if e.get("namespace", "") == namespace]
    found = _filtered(items, request.query.get("filter"), "experiments")
    return {"experiments": found, "total_size": len(found)} if found else {}


def create_experiment(api: FakeKfp, request: Request) -> dict:
    body = _body(request, "V2beta1Experiment", "experiment")
    name = (body.get("display_name") or "").strip()
    if not name:
        raise ApiError(400, "experiment display_name is required")
    namespace = _namespace(api, body.get("namespace"), "experiment")
    if any(
        e["display_name"] == name and e.get("namespace", "") == namespace
        for e in api.experiments.values()
    ):
        raise ApiError(409, f"experiment with name {name!r} already exists")
    experiment = {"experiment_id": _NEW_ID["experiment"](), "display_name": name,
                  "created_at": _now(), "storage_state": "AVAILABLE"}  # fmt: skip
    if namespace:
        experiment["namespace"] = namespace
    api.experiments[experiment["experiment_id"]] = experiment
    return experiment


def _resolve_template(api: FakeKfp, body: dict, what: str) -> dict:
    """The pipeline version a run body points at; its parameters must be pipeline inputs."""
    reference = body.get("pipeline_version_reference")
    if bool(reference) == bool(body.get("pipeline_spec")):
        raise ApiError(
            400, f"{what}: give exactly one of pipeline_spec, pipeline_version_reference"
        )
    if not reference.get("pipeline_version_id"):
        raise ApiError(400, f"{what}: pipeline_version_reference.pipeline_version_id is required")
    version = api.versions.get(reference["pipeline_version_id"])
    if version is None or reference.get("pipeline_id") not in {None, version["pipeline_id"]}:
        raise ApiError(404, f"{what}: pipeline version {reference} not found")
    if not (body.get("display_name") or "").strip():
        raise ApiError(400, f"{what}: display_name is required")
    experiment_id = body.get("experiment_id")
    if experiment_id and experiment_id not in api.experiments:
        raise ApiError(404, f"{what}: experiment {experiment_id!r} not found")
    spec = version["pipeline_spec"].get("pipeline_spec", version["pipeline_spec"])
    inputs = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    given = body.get("runtime_config", {}).get("parameters", {})
    if unknown := set(given) - set(inputs):
        raise ApiError(400, f"{what}: {sorted(unknown)} are not inputs of the pipeline")
    return version


def create_run(api: FakeKfp, request: Request) -> dict:
    body = _body(request, "V2beta1Run", "run")
    _resolve_template(api, body, "run")
    run = {**body, "run_id": _NEW_ID["run"](), "state": "PENDING", "created_at": _now(),
           "storage_state": "AVAILABLE"}  # fmt: skip
    api.runs[run["run_id"]] = run
    return run


def create_recurring_run(api: FakeKfp, request: Request) -> dict:
    body = _body(request, "V2beta1RecurringRun", "recurring run")
    _resolve_template(api, body, "recurring run")
    if body.get("mode") not in {"ENABLE", "DISABLE"}:
        raise ApiError(
            400, f"recurring run: mode must be ENABLE or DISABLE, got {body.get('mode')!r}"
        )
    trigger = body.get("trigger") or {}
    if len(trigger) != 1:
        raise ApiError(400, "recurring run: exactly one of cron_schedule, periodic_schedule")
    if "cron_schedule" in trigger:
        cron = trigger["cron_schedule"].get("cron", "")
        fields = cron.split()
        if len(fields) != 6 or not (fields[0].isdigit() and int(fields[0]) < 60):
            raise ApiError(400, f"recurring run: invalid cron {cron!r} (6 fields, seconds first)")
    concurrency = int(body.get("max_concurrency", 1))
    if not 1 <= concurrency <= 10:
        raise ApiError(400, "recurring run: max_concurrency must be between 1 and 10")
    recurring = {**body, "recurring_run_id": _NEW_ID["recurring"](), "created_at": _now(),
                 "status": "ENABLED" if body["mode"] == "ENABLE" else "DISABLED"}  # fmt: skip
    api.recurring_runs[recurring["recurring_run_id"]] = recurring
    return recurring


def list_recurring_runs(api: FakeKfp, request: Request) -> dict:
    """In creation order, `page_size` at a time (the SDK's default is 10) with an opaque
    `next_page_token`, filtered by namespace (multi-user: required) and experiment."""
    unknown = set(request.query) - {"namespace", "experiment_id", "page_size", "page_token",
                                    "filter", "sort_by"}  # fmt: skip
    if unknown:
        raise ApiError(400, f"list recurring runs: unknown query parameter(s) {sorted(unknown)}")
    namespace = _namespace(api, request.query.get("namespace"), "listing recurring runs")

    def scope(run: dict) -> str:
        return api.experiments.get(run.get("experiment_id"), {}).get("namespace", "")

    items = [r for r in api.recurring_runs.values() if scope(r) == namespace]
    if experiment_id := request.query.get("experiment_id"):
        items = [r for r in items if r["experiment_id"] == experiment_id]
    items = _filtered(items, request.query.get("filter"), "recurring runs")
    size = min(int(request.query.get("page_size") or 20), api.max_page_size)
    token = request.query.get("page_token") or "0"
    if not token.isdigit() or not 1 <= size <= 200:
        raise ApiError(400, f"list recurring runs: bad page_token {token!r} or page_size {size}")
    start = int(token)
    page = items[start : start + size]
    payload = {"recurringRuns": page, "total_size": len(items)} if page else {}
    if start + size < len(items):
        payload["next_page_token"] = str(start + size)
    return payload


def delete_recurring_run(api: FakeKfp, request: Request, recurring_run_id: str) -> dict:
    if api.recurring_runs.pop(recurring_run_id, None) is None:
        raise ApiError(404, f"recurring run {recurring_run_id!r} not found")
    return {}


ROUTES: list[tuple[str, re.Pattern, Any, str]] = [
    ("GET", re.compile(r"/apis/v2beta1/healthz"), healthz, "V2beta1GetHealthzResponse"),
    ("GET", re.compile(r"/apis/v2beta1/pipelines"), list_pipelines, "V2beta1ListPipelinesResponse"),
    ("POST", re.compile(r"/apis/v2beta1/pipelines"), create_pipeline, "V2beta1Pipeline"),
    ("POST", re.compile(r"/apis/v2beta1/pipelines/upload_version"), upload_version,
     "V2beta1PipelineVersion"),
    ("GET", re.compile(r"/apis/v2beta1/pipelines/([^/]+)/versions"), list_versions,
     "V2beta1ListPipelineVersionsResponse"),
    ("GET", re.compile(r"/apis/v2beta1/experiments"), list_experiments,
     "V2beta1ListExperimentsResponse"),
    ("POST", re.compile(r"/apis/v2beta1/experiments"), create_experiment, "V2beta1Experiment"),
    ("POST", re.compile(r"/apis/v2beta1/runs"), create_run, "V2beta1Run"),
    ("POST", re.compile(r"/apis/v2beta1/recurringruns"), create_recurring_run,
     "V2beta1RecurringRun"),
    ("GET", re.compile(r"/apis/v2beta1/recurringruns"), list_recurring_runs,
     "V2beta1ListRecurringRunsResponse"),
    ("DELETE", re.compile(r"/apis/v2beta1/recurringruns/([^/]+)"), delete_recurring_run,
     "object"),
]  # fmt: skip


# --- HTTP -------------------------------------------------------------------------------------


def _multipart(content_type: str, raw: bytes) -> dict:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise ApiError(400, "malformed multipart body")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = (part.get_filename(), payload)
        else:
            fields[name] = payload.decode()
    return {"fields": fields, "files": files}


def _handler(api: FakeKfp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            raw = self.rfile.read(int(headers.get("content-length") or 0))
            try:
                body = self._parse(headers.get("content-type", ""), raw)
                request = Request(method, url.path, query, headers, body)
                api.requests.append(request)
                status, payload = 200, self._route(request)
            except ApiError as exc:
                status = exc.status
                payload = {"code": GRPC_CODES.get(status, 2), "message": exc.message}
                check(payload, "GoogleRpcStatus", "error response")
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _parse(self, content_type: str, raw: bytes) -> Any:
            if not raw:
                return None
            if content_type.startswith("multipart/form-data"):
                return _multipart(content_type, raw)
            try:
                return json.loads(raw)
            except ValueError:
                raise ApiError(400, "request body is not JSON") from None

        def _route(self, request: Request) -> dict:
            if api.token and request.headers.get("authorization") != f"Bearer {api.token}":
                raise ApiError(401, "Unauthenticated: missing or wrong bearer token")
            if failure := api.fail_next.pop((request.method, request.path), None):
                raise ApiError(*failure)
            for method, pattern, handler, response_type in ROUTES:
                match = pattern.fullmatch(request.path)
                if match and method == request.method:
                    payload = handler(api, request, *match.groups())
                    check(payload, response_type, f"{handler.__name__} response")
                    return payload
            raise ApiError(404, f"no route for {request.method} {request.path}")

    return Handler


class Server:
    """`with Server(FakeKfp()) as api:` serves `api` at `api.url` on a free local port."""

    def __init__(self, api: FakeKfp) -> None:
        self.api = api
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
        self.api.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeKfp:
        # shutdown() waits for the loop's next poll: 0.5 s per server by default.
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()
        return self.api

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
