"""Folders in object storage (`s3://`, `gs://`, any fsspec URI): what `export-reference --to URI`
writes and the Kubeflow monitors import.

Credentials and endpoint come from the standard environment of each store: for S3 and MinIO
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_ENDPOINT_URL` (botocore reads the last
itself), for GCS the application default credentials. An object store has no rename, so a folder
cannot be swapped in one step as on a file system: the new objects are uploaded, the marker
last, then what the previous export had and this one lacks is removed. A reader in between
sees the previous files beside some new ones; the importer of a monitor run copies the folder
once, at the start of the run.
"""

import contextlib
import importlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from model_factory.errors import InputError


def is_uri(path: str | Path) -> bool:
    """An object-store URI rather than a local path (`Path` would fold its `//`)."""
    return "://" in str(path)


def access_errors() -> tuple[type[Exception], ...]:
    """What reaching an object store raises on bad input or settings: a missing object or
    bucket, an unknown scheme (OSError, ValueError), and no credentials or no such endpoint,
    which botocore and google-auth raise as errors of their own."""
    errors: list[type[Exception]] = [OSError, ValueError]
    for module, name in (
        ("botocore.exceptions", "BotoCoreError"),
        ("google.auth.exceptions", "GoogleAuthError"),
    ):
        with contextlib.suppress(ImportError):  # that store's client is not installed
            errors.append(getattr(importlib.import_module(module), name))
    return tuple(errors)


def check_folder_writable(uri: str, marker: str) -> str:
    """`uri` if `write_folder(uri, ..., marker)` may write it, else an InputError: an object in
    its place, or objects under it that no earlier export wrote (no `marker` among them)."""
    _listing(uri, marker)
    return uri


def write_folder(uri: str, fill: Callable[[Path], None], marker: str) -> None:
    """Call `fill` on a new local temporary folder, then upload its files under `uri` (the
    marker last) and remove the objects of the previous export that it does not have."""
    fs, root, previous = _listing(uri, marker)
    with tempfile.TemporaryDirectory(prefix="model-factory-upload-") as temporary:
        local = Path(temporary)
        fill(local)
        if not (local / marker).is_file():
            raise RuntimeError(f"the folder written for {uri} lacks its marker {marker}")
        files = [p for p in local.rglob("*") if p.is_file()]
        files.sort(key=lambda p: p == local / marker)  # the marker last
        written = {f"{root}/{p.relative_to(local).as_posix()}": p for p in files}
        try:
            for target, source in written.items():
                fs.put_file(str(source), target)
            fs.invalidate_cache(root)
            for stale in sorted(set(previous) - set(written)):
                fs.rm_file(stale)
        except access_errors() as exc:
            raise InputError(f"{uri}: cannot be written ({exc})") from exc


def _listing(uri: str, marker: str):
    """(file system, folder path without the scheme, the objects under it) of `uri`."""
    from fsspec.core import url_to_fs

    try:
        fs, root = url_to_fs(uri)
        root = root.rstrip("/")
        fs.invalidate_cache(root)  # a listing cached earlier in this process may be stale
        is_object = fs.isfile(root)
        objects = [] if is_object else fs.find(root)
    except access_errors() as exc:
        raise InputError(f"{uri}: cannot be listed ({exc})") from exc
    if is_object:
        raise InputError(f"{uri}: exists and is an object, not a folder; refusing")
    if objects and f"{root}/{marker}" not in objects:
        raise InputError(
            f"{uri}: a folder with other content (no {marker}); give a new or empty folder"
        )
    return fs, root, objects
