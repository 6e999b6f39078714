"""External list loaders against the real snapshot formats, and ``update_data`` (offline-safe)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from pathlib import Path

import pytest

from analyzer.external import (
    DATASETS,
    Dataset,
    DataUpdateError,
    ExternalLists,
    load_lists,
    read_manifest,
    update_data,
)
from analyzer.external.sources import find_file

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"needs the tracker list snapshots at {SHARED_DATA} (../shared/data)")


@pytest.fixture(scope="module")
def lists() -> ExternalLists:
    return load_lists(SHARED_DATA)


def test_all_snapshots_found_and_loaded(lists):
    assert set(lists.loaded) == {d.name for d in DATASETS}
    assert len(lists.duckduckgo) == 2899
    assert len(lists.ghostery) == 3534
    assert len(lists.disconnect) > 4000
    assert len(lists.cookies) == 2264


def test_duckduckgo_longest_suffix_owner_and_product(lists):
    ddg = lists.duckduckgo
    match = ddg.match("region1.google-analytics.com", "https://region1.google-analytics.com/g/collect", "shop.com")
    assert (match.company_name, match.product_name, match.matched) == ("Google", "Google Analytics", "google-analytics.com")
    plain = ddg.tracker("px.adform.net")
    assert plain.company_name == "Adform" and plain.product_name is None and plain.category == "advertising"
    assert ddg.tracker("example-shop.com") is None


def test_duckduckgo_rules_decide_blocking(lists):
    ddg = lists.duckduckgo
    # facebook.net defaults to "ignore"; its rules block the pixel and (catch-all) everything else.
    assert ddg.match("connect.facebook.net", "https://connect.facebook.net/en_US/fbevents.js", "shop.com").blocked
    # analytics.js is exempt on a site listed in the rule's exceptions.
    url = "https://www.google-analytics.com/analytics.js"
    assert ddg.match("www.google-analytics.com", url, "shop.com").blocked is True
    assert ddg.match("www.google-analytics.com", url, "raspberrypi.org").blocked is False


def test_duckduckgo_owned_domains_and_cnames(lists):
    ddg = lists.duckduckgo
    assert ddg.owner("blogger.com").company_name == "Google"
    assert ddg.owner_key("www.blogger.com") == "Google LLC"
    # "googleapis.com" is listed under the sub-brand "Google Ads": the owner is its parent
    assert ddg.owner_key("googleapis.com") == "Google LLC" and ddg.owner("googleapis.com").company_name == "Google"
    assert ddg.uncloak("aa.athome.com") == "athome.com.data.adobedc.net"
    assert ddg.uncloak("www.example-shop.com") is None


def test_ghostery_patterns_domains_and_filters(lists):
    ghostery = lists.ghostery
    ga = ghostery.match("www.google-analytics.com", "/analytics.js")
    assert (ga.product_name, ga.company_name, ga.category) == ("Google Analytics", "Google", "analytics")
    # a host-anchored filter with a path names the product behind www.facebook.com/tr
    pixel = ghostery.match("www.facebook.com", "/tr?id=1&ev=PageView")
    assert pixel.product_name == "Facebook Custom Audience" and pixel.company_name == "Meta"
    assert ghostery.match("mmtro.com", "/x").product_name == "1000mercis"
    assert ghostery.match("example-shop.com", "/") is None
    assert ghostery.knows("tag.mmtro.com") and not ghostery.knows("example-shop.com")


def test_disconnect_services_and_entities(lists):
    disconnect = lists.disconnect
    match = disconnect.match("foo.abtasty.com")
    assert (match.company_name, match.category, match.matched) == ("ABTasty", "analytics", "abtasty.com")
    assert disconnect.match("10web.io").category == "advertising"
    assert disconnect.owner_key("youtube.com") == "Google"
    assert disconnect.match("example-shop.com") is None


def test_open_cookie_database_exact_wildcard_and_domain_scope(lists):
    cookies = lists.cookies
    assert cookies.lookup("_ga", "shop.com").platform == "Google Analytics"
    wildcard = cookies.lookup("_ga_ABC123", "shop.com")
    assert wildcard.wildcard and wildcard.name == "_ga_" and wildcard.category == "analytics"
    assert cookies.lookup("_hjSessionUser_123", "shop.com").platform == "Hotjar"
    # domain-tied rows only match on their domain: a site's own "uid" is not Adform's
    assert cookies.lookup("uid", "track.adform.net").platform == "Adform"
    assert cookies.lookup("uid", "shop.com") is None
    assert cookies.lookup("IDE", "doubleclick.net").category == "advertising"
    assert cookies.lookup("no-such-cookie-name", "shop.com") is None


def test_missing_directory_and_files_load_nothing(tmp_path):
    assert load_lists(tmp_path / "absent").loaded == []
    assert not load_lists(tmp_path)


# -- update_data ------------------------------------------------------------------------------


@pytest.fixture()
def server(tmp_path):
    """A loopback HTTP server for a directory: stands in for the list hosts (tests stay offline)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _served_datasets(root: Path, base: str) -> list[Dataset]:
    """The real datasets, pointed at the loopback server; Ghostery as an npm package."""
    out = []
    for dataset in DATASETS:
        snapshot = find_file(SHARED_DATA, dataset)
        if dataset.npm_member:
            tarball = io.BytesIO()
            with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
                tar.add(snapshot, arcname=dataset.npm_member)
            (root / "trackerdb.tgz").write_bytes(tarball.getvalue())
            doc = {"version": "9.9.9", "dist": {"tarball": f"{base}/trackerdb.tgz",
                                               "shasum": hashlib.sha1(tarball.getvalue(), usedforsecurity=False).hexdigest()}}
            (root / "latest.json").write_text(json.dumps(doc))
            url = f"{base}/latest.json"
        else:
            (root / snapshot.name).write_bytes(snapshot.read_bytes())
            url = f"{base}/{snapshot.name}"
        out.append(Dataset(**{**dataset.__dict__, "url": url}))
    return out


def test_update_downloads_validates_and_writes_manifest(server, tmp_path):
    root, base = server
    target = tmp_path / "data" / "lists"
    messages: list[str] = []
    records = update_data(target, datasets=_served_datasets(root, base), timeout=5, log=messages.append)
    assert [r.name for r in records] == [d.name for d in DATASETS]
    for record in records:
        body = (target / record.filename).read_bytes()
        assert hashlib.sha256(body).hexdigest() == record.sha256 and record.size == len(body)
        assert record.source_url.startswith(base) and record.licence and record.fetched_at > 0
    assert {r.name: r.version for r in records}["ghostery-trackerdb"] == "9.9.9"
    assert {r.name: r.version for r in records}["duckduckgo-tds"].startswith("tracker-radar ")
    assert read_manifest(target) == records
    assert "CC BY-NC-SA 4.0" in messages[-1] and "non-commercial" in messages[-1]
    assert set(load_lists(target).loaded) == {d.name for d in DATASETS}
    assert sorted(p.name for p in target.iterdir()) == sorted([d.filename for d in DATASETS] + ["manifest.json"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_update_offline_fails_cleanly_and_changes_nothing(server, tmp_path):
    root, base = server
    target = tmp_path / "lists"
    target.mkdir()
    (target / "manifest.json").write_text("old manifest")
    (target / "disconnect-services.json").write_text("old list")
    datasets = _served_datasets(root, base)
    unreachable = f"http://127.0.0.1:{_closed_port()}/entities.json"
    # the first datasets download fine; one host is unreachable: nothing may be installed
    datasets[3] = Dataset(**{**datasets[3].__dict__, "url": unreachable})
    with pytest.raises(DataUpdateError, match=r"could not download .*Nothing was changed"):
        update_data(target, datasets=datasets, timeout=5)
    assert sorted(p.name for p in target.iterdir()) == ["disconnect-services.json", "manifest.json"]
    assert (target / "disconnect-services.json").read_text() == "old list"
    assert (target / "manifest.json").read_text() == "old manifest"


def test_update_into_new_directory_leaves_no_trace_on_failure(tmp_path):
    target = tmp_path / "fresh" / "lists"
    dataset = Dataset(**{**DATASETS[0].__dict__, "url": f"http://127.0.0.1:{_closed_port()}/tds.json"})
    with pytest.raises(DataUpdateError):
        update_data(target, datasets=[dataset], timeout=5)
    assert not target.exists()


def test_update_rejects_a_list_that_does_not_parse(server, tmp_path):
    root, base = server
    (root / "broken.json").write_text('{"trackers": "not a mapping"}')
    dataset = Dataset(**{**DATASETS[0].__dict__, "url": f"{base}/broken.json"})
    with pytest.raises(DataUpdateError, match="does not parse"):
        update_data(tmp_path / "lists", datasets=[dataset], timeout=5)
    assert not (tmp_path / "lists").exists()
