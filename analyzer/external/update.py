"""``consentwatch data update``: download current copies of the external lists.

All or nothing: every file is downloaded into a temporary directory next to the target and
parsed with its loader; only when all succeeded are they renamed into place and the manifest
(source URL, version, SHA-256, licence, fetch time) written. Any failure — offline, HTTP error,
a file that does not parse — leaves the previous lists untouched and raises DataUpdateError.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from analyzer.external.lists import load_lists
from analyzer.external.sources import DATASETS, MANIFEST, Dataset, default_lists_dir

USER_AGENT = "consentwatch-data-update/0.1 (+https://github.com/consentwatch)"


class DataUpdateError(RuntimeError):
    """The update could not complete; nothing in the lists directory was changed."""


class DatasetRecord(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    filename: str
    source_url: str
    version: str
    sha256: str
    size: int
    licence: str
    attribution: str
    fetched_at: float  # epoch seconds


class Manifest(msgspec.Struct, kw_only=True):
    updated_at: float
    datasets: list[DatasetRecord]


class _TdsBuild(msgspec.Struct):
    tracker_radar: str | None = msgspec.field(default=None, name="tracker-radar")  # the commit it was built from


class _TdsHeader(msgspec.Struct):
    """The part of DuckDuckGo's tds.json that names its version."""

    built_with: _TdsBuild = msgspec.field(default_factory=_TdsBuild, name="_builtWith")


class _NpmDist(msgspec.Struct):
    tarball: str
    shasum: str | None = None


class _NpmLatest(msgspec.Struct):
    """The part of an npm registry ``latest`` document the update reads."""

    version: str
    dist: _NpmDist


def update_data(
    data_dir: Path | str | None = None,
    datasets: Iterable[Dataset] = DATASETS,
    timeout: float = 30.0,
    log: Callable[[str], None] | None = None,
) -> list[DatasetRecord]:
    """Download ``datasets`` into ``data_dir`` (default: ``default_lists_dir()``), the directory
    ``load_lists`` reads. Returns the records written to its ``manifest.json``; ``log`` (e.g.
    ``click.echo``) receives progress lines and, at the end, the licence notice."""
    target = Path(data_dir) if data_dir is not None else default_lists_dir()
    existed = target.exists()
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".update-", dir=target))
    try:
        records = [_fetch(dataset, staging, timeout, log) for dataset in datasets]
        _validate(staging, records)
        _install(staging, target, records)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if not existed and not any(target.iterdir()):
            target.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    if log is not None:
        log(licence_notice(records))
    return records


def read_manifest(data_dir: Path | str | None = None) -> list[DatasetRecord]:
    path = (Path(data_dir) if data_dir is not None else default_lists_dir()) / MANIFEST
    if not path.is_file():
        return []
    return msgspec.json.decode(path.read_bytes(), type=Manifest).datasets


def licence_notice(records: Iterable[DatasetRecord]) -> str:
    lines = ["Third-party lists downloaded for local use (they are not part of consentwatch):"]
    for record in records:
        lines.append(f"  - {record.name} {record.version}: {record.attribution}; licence {record.licence}")
    lines.append("The CC BY-NC-SA lists may be used for non-commercial purposes only, with attribution.")
    return "\n".join(lines)


def _fetch(dataset: Dataset, staging: Path, timeout: float, log: Callable[[str], None] | None) -> DatasetRecord:
    if log is not None:
        log(f"downloading {dataset.name} from {dataset.url}")
    if dataset.npm_member is not None:
        body, version, source = _fetch_npm(dataset, dataset.npm_member, timeout)
    else:
        body, headers = _get(dataset.url, timeout)
        version, source = _version(dataset, body, headers), dataset.url
    (staging / dataset.filename).write_bytes(body)
    return DatasetRecord(
        name=dataset.name,
        filename=dataset.filename,
        source_url=source,
        version=version,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        licence=dataset.licence,
        attribution=dataset.attribution,
        fetched_at=time.time(),
    )


def _get(url: str, timeout: float) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 - fixed https URLs
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https URLs
            return response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        raise DataUpdateError(f"{url}: HTTP {exc.code} {exc.reason}; nothing was changed") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataUpdateError(
            f"could not download {url} ({reason}); are you offline? Nothing was changed"
        ) from exc


def _fetch_npm(dataset: Dataset, member_name: str, timeout: float) -> tuple[bytes, str, str]:
    """npm ``latest`` document → tarball (checked against its SHA-1) → the member file ``member_name``."""
    meta_body, _ = _get(dataset.url, timeout)
    try:
        meta = msgspec.json.decode(meta_body, type=_NpmLatest)
    except msgspec.DecodeError as exc:  # malformed JSON, or a ValidationError: not the shape below
        raise DataUpdateError(f"{dataset.url}: not an npm package document ({exc}); nothing was changed") from exc
    version, tarball, shasum = meta.version, meta.dist.tarball, meta.dist.shasum
    archive, _ = _get(tarball, timeout)
    if shasum and hashlib.sha1(archive).hexdigest() != shasum:  # noqa: S324 - npm's published checksum
        raise DataUpdateError(f"{tarball}: checksum mismatch; nothing was changed")
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            member = tar.extractfile(member_name)
            if member is None:
                raise KeyError(member_name)
            return member.read(), version, tarball
    except (tarfile.TarError, KeyError) as exc:
        raise DataUpdateError(f"{tarball}: no {member_name} inside ({exc}); nothing was changed") from exc


def _version(dataset: Dataset, body: bytes, headers: dict[str, str]) -> str:
    if dataset.name == "duckduckgo-tds":
        try:
            built = msgspec.json.decode(body, type=_TdsHeader).built_with.tracker_radar
        except msgspec.DecodeError:  # not JSON, or not this shape: the version comes from the headers
            built = None
        if built:
            return f"tracker-radar {built[:12]}"
    for header in ("etag", "last-modified"):
        if headers.get(header):
            return headers[header].strip('"')
    return "sha256:" + hashlib.sha256(body).hexdigest()[:12]


def _validate(staging: Path, records: list[DatasetRecord]) -> None:
    """Every downloaded file must parse with its loader before anything is installed."""
    try:
        lists = load_lists(staging)
    except (ValueError, KeyError, TypeError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DataUpdateError(f"a downloaded list does not parse ({exc}); nothing was changed") from exc
    missing = {r.name for r in records} - set(lists.loaded)
    if missing:
        raise DataUpdateError(f"downloaded lists not recognised: {sorted(missing)}; nothing was changed")


def _install(staging: Path, target: Path, records: list[DatasetRecord]) -> None:
    manifest = Manifest(updated_at=time.time(), datasets=records)
    (staging / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
    # os.replace is atomic per file on one filesystem; the manifest goes last so it never
    # describes files that are not there yet.
    for record in records:
        os.replace(staging / record.filename, target / record.filename)
    os.replace(staging / MANIFEST, target / MANIFEST)
