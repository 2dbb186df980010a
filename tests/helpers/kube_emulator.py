"""A fake Kubernetes API server on 127.0.0.1 for the deploy tests: kmock's emulator over HTTP.

kmock's `KubernetesEmulator` stores objects, merges PATCHes into them and serves reads, over real
HTTP in a background thread here. What a real API server does and the deploy relies on is added,
nothing else: server-side apply creates a missing object (kmock answers 404), `metadata.generation`
starts at 1 and grows when an apply changes the spec, and a Namespace is found at its own path.
No controller runs: `Controller` plays the Deployment controller by PATCHing `status` over HTTP.
"""

import asyncio
import contextlib
import copy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import attrs
import yaml
from kmock import KubernetesEmulator, Server, action, method, resource
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException

APPLY_PATCH = "application/apply-patch+yaml"
NAMESPACE_PATH = re.compile(r"/api/v1/namespaces/(?P<name>[^/]+)")
NAMESPACE_ACTIONS = {method.GET: action.FETCH, method.PATCH: action.UPDATE}
CONTROLLER = "fake-deployment-controller"  # the User-Agent of `Controller`'s requests


class ApplyEmulator(KubernetesEmulator):
    async def _handle(self, request):
        if request.name is None and (found := NAMESPACE_PATH.fullmatch(request.url.path)):
            # kmock reads /api/v1/namespaces/NAME as a namespace scope, not as the Namespace NAME.
            # Reactions match recorded requests by identity: record the corrected one instead.
            parsed = attrs.evolve(
                request, resource=resource("", "v1", "namespaces"), namespace=None,
                name=found["name"], action=NAMESPACE_ACTIONS.get(request.method),
            )  # fmt: skip
            self._requests[next(i for i, r in enumerate(self._requests) if r is request)] = parsed
            request = parsed
        content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type")
        if request.action != action.UPDATE or request.subresource or content_type != APPLY_PATCH:
            return await super()._handle(request)
        key = (request.resource, request.namespace, request.name)
        async with self._lock:
            if key not in self._objects or self._objects[key].deleted:
                self._objects[key] = {"metadata": {"generation": 1}}
            else:
                current = self._objects[key]
                if request.data.get("spec") != current.get("spec"):
                    generation = current.get("metadata", {}).get("generation", 0) + 1
                    current.patch({"metadata": {"generation": generation}})
        return await super()._handle(request)


@dataclass
class FakeCluster:
    emulator: ApplyEmulator
    url: str
    loop: asyncio.AbstractEventLoop

    def client(self) -> ApiClient:
        configuration = Configuration(host=self.url)
        return ApiClient(configuration)

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig whose current context is this server (no credentials)."""
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        }))  # fmt: skip
        return path

    def requests(self) -> list:
        """Every request the server received so far (kmock's parsed requests)."""
        return list(self.emulator)


@contextlib.contextmanager
def fake_cluster() -> Iterator[FakeCluster]:
    """Serve an `ApplyEmulator` on a free port of 127.0.0.1 until the block ends."""
    started, stop = threading.Event(), None
    box: dict = {}

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with ApplyEmulator() as emulator, Server(emulator) as server:
            box["cluster"] = FakeCluster(emulator, str(server.url).rstrip("/"), loop)
            started.set()
            await stop.wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError("the fake API server did not start")
    try:
        yield box["cluster"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


@dataclass
class Controller:
    """Plays the Deployment controller: once the Deployment reaches `generation`, it reports a
    rollout in two steps (one replica updated and none available, then all available) through
    PATCHes on the `status` subresource.
    """

    cluster: FakeCluster
    path: str
    generation: int = 1
    replicas: int = 2
    pause: float = 0.3
    error: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.stopped = threading.Event()

    def __enter__(self) -> "Controller":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(30)
        if self.error:
            raise self.error[0]

    def _run(self) -> None:
        try:
            api = self.cluster.client()
            api.user_agent = CONTROLLER  # its requests are told apart from the deploy's
            self._wait_for_generation(api)
            n, seen = self.replicas, self.generation
            for status in (
                {"observedGeneration": seen, "replicas": n, "updatedReplicas": 1},
                {"observedGeneration": seen, "replicas": n, "updatedReplicas": n,
                 "readyReplicas": n, "availableReplicas": n},
            ):  # fmt: skip
                time.sleep(self.pause)
                api.call_api(
                    f"{self.path}/status", "PATCH", body={"status": status},
                    header_params={"Content-Type": "application/merge-patch+json"},
                    response_type="object", _return_http_data_only=True,
                )  # fmt: skip
        except Exception as exc:  # re-raised by __exit__ in the test's thread
            self.error.append(exc)

    def _wait_for_generation(self, api: ApiClient) -> None:
        """Until the block ends: the code under test may take its time to apply."""
        while not self.stopped.wait(0.05):
            with contextlib.suppress(ApiException):
                found = api.call_api(
                    self.path, "GET", response_type="object", _return_http_data_only=True
                )
                if found["metadata"].get("generation", 0) >= self.generation:
                    return
        raise TimeoutError(f"{self.path} never reached generation {self.generation}")


def without_server_fields(obj: dict) -> dict:
    """The object minus what the API server adds (status, metadata.generation)."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    out.get("metadata", {}).pop("generation", None)
    return out
