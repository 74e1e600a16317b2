"""Full walks of the collection: every object exactly once, manifest equal to objects, order,
X-TAXII-Date-Added-* headers and TAXII timestamps (TAXII §3.2, §3.3, §3.5, §5.3, §5.4)."""

import pytest
from requests.auth import HTTPBasicAuth
from taxii2client.v21 import Collection, Server, as_pages

from taxii_helpers import (ALIAS, bounded, STIX_CT, TAXII_TS, TAXII_TS_MS_SAFE, TLP_CLEAR, objects_of, parse_ts)


def client_collection(taxii, server):
    """discovery → API root → collection, as a TAXII client finds it."""
    srv = Server(taxii.url("/taxii2/"), user="any-user", password=server.api_key)
    root = srv.default
    [col] = [c for c in root.collections if c.alias == ALIAS]
    return col


@pytest.mark.parametrize("per_request", [1000, 250, 100, 37])
def test_as_pages_gets_every_indicator_exactly_once(taxii, server, per_request):
    col = client_collection(taxii, server)
    ids, indicators, pages = [], 0, 0
    for envelope in bounded(as_pages(col.get_objects, per_request=per_request), server.ips // per_request + 10):
        pages += 1
        objs = envelope.get("objects", [])
        assert len(objs) <= per_request, f"page of {len(objs)} objects for limit {per_request}"
        if envelope.get("more"):
            assert isinstance(envelope.get("next"), str) and envelope["next"], envelope.keys()
        for o in objs:
            ids.append(o["id"])
            indicators += o["type"] == "indicator"
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} objects returned more than once"
    assert indicators == server.ips
    assert len(ids) == server.ips + 2
    expected_pages = -(-(server.ips + 2) // per_request)
    assert pages == expected_pages, f"{pages} pages for {server.ips + 2} objects at {per_request} per page"


def test_as_pages_manifest_matches_objects(taxii, server):
    col = client_collection(taxii, server)
    records = []
    limit = server.ips // 1000 + 10
    for envelope in bounded(as_pages(col.get_manifest, per_request=1000), limit):
        records.extend(envelope.get("objects", []))
    objects = []
    for envelope in bounded(as_pages(col.get_objects, per_request=1000), limit):
        objects.extend(envelope.get("objects", []))
    assert [m["id"] for m in records] == [o["id"] for o in objects]


def test_collection_by_uuid_walks_the_same_objects(taxii, server, snapshot):
    # key as the Basic user name with an empty password (taxii2-client skips empty passwords)
    col = Collection(taxii.url(f"/taxii2/collections/{snapshot.collection['id']}/"),
                     auth=HTTPBasicAuth(server.api_key, ""))
    ids = []
    for envelope in bounded(as_pages(col.get_objects, per_request=1000), server.ips // 1000 + 10):
        ids.extend(o["id"] for o in envelope.get("objects", []))
    assert ids == [o["id"] for o in snapshot.objects]


def test_identity_and_tlp_marking_come_first(snapshot):
    first, second = snapshot.objects[0], snapshot.objects[1]
    assert first["type"] == "identity", first
    assert second["type"] == "marking-definition", second
    assert second["id"] == TLP_CLEAR
    assert all(o["type"] == "indicator" for o in snapshot.objects[2:])
    indicators = snapshot.indicators()
    assert len(indicators) == snapshot.ips
    assert len({o["id"] for o in indicators}) == snapshot.ips


def test_manifest_matches_objects(snapshot):
    assert [m["id"] for m in snapshot.manifest] == [o["id"] for o in snapshot.objects]
    for record, obj in zip(snapshot.manifest, snapshot.objects):
        version = obj.get("modified", obj.get("created"))
        assert record["version"] == version, (record, obj.get("modified"), obj.get("created"))
        assert record.get("media_type", STIX_CT) == STIX_CT, record
        assert set(record) <= {"id", "date_added", "version", "media_type"}, record


def test_manifest_and_objects_pages_line_up(snapshot):
    """Same limit, same query: page i of the manifest describes page i of objects."""
    assert len(snapshot.manifest_pages) == len(snapshot.object_pages)
    for mp, op in zip(snapshot.manifest_pages, snapshot.object_pages):
        assert [m["id"] for m in objects_of(mp)] == [o["id"] for o in objects_of(op)]


def test_date_added_strictly_increasing_and_millisecond_safe(snapshot):
    stamps = [m["date_added"] for m in snapshot.manifest]
    bad = [s for s in stamps if not TAXII_TS.match(s)]
    assert not bad, f"date_added not a microsecond TAXII timestamp: {bad[:5]}"
    not_ms_safe = [s for s in stamps if not TAXII_TS_MS_SAFE.match(s)]
    assert not not_ms_safe, f"date_added has sub-millisecond digits: {not_ms_safe[:5]}"
    parsed = [parse_ts(s) for s in stamps]
    for a, b, sa, sb in zip(parsed, parsed[1:], stamps, stamps[1:]):
        assert a < b, f"date_added not strictly increasing: {sa} then {sb}"


@pytest.mark.parametrize("endpoint", ["objects", "manifest"])
def test_date_added_headers_on_every_page(snapshot, endpoint):
    pages = snapshot.object_pages if endpoint == "objects" else snapshot.manifest_pages
    added = snapshot.date_added
    assert len(pages) >= 2, "the collection should span several pages at limit 1000"
    for i, r in enumerate(pages):
        objs = objects_of(r)
        assert objs, f"page {i} of {endpoint} is empty"
        first = r.headers.get("X-TAXII-Date-Added-First")
        last = r.headers.get("X-TAXII-Date-Added-Last")
        assert first and TAXII_TS.match(first), f"page {i}: X-TAXII-Date-Added-First={first!r}"
        assert last and TAXII_TS.match(last), f"page {i}: X-TAXII-Date-Added-Last={last!r}"
        assert first == added[objs[0]["id"]], f"page {i}: first header {first} != {added[objs[0]['id']]}"
        assert last == added[objs[-1]["id"]], f"page {i}: last header {last} != {added[objs[-1]['id']]}"


def test_pages_are_full_until_the_last(snapshot):
    total = snapshot.ips + 2
    sizes = [len(objects_of(r)) for r in snapshot.object_pages]
    assert sum(sizes) == total
    assert all(s == 1000 for s in sizes[:-1]), sizes
    bodies = [r.json() for r in snapshot.object_pages]
    assert all(b.get("more") is True for b in bodies[:-1])
    assert bodies[-1].get("more", False) is False
    assert "next" not in bodies[-1] or not bodies[-1].get("more"), bodies[-1].keys()


def test_resume_from_date_added_last_is_lossless(taxii, snapshot):
    """The cursor OpenCTI and Elastic use: added_after = X-TAXII-Date-Added-Last of each page,
    also truncated to milliseconds as JavaScript clients send it."""
    base = f"/taxii2/collections/{ALIAS}/objects/"
    for truncate in (False, True):
        ids, after = [], None
        for _ in range(snapshot.ips // 1000 + 5):
            params = {"limit": 1000}
            if after:
                params["added_after"] = after
            r = taxii.ok(base, params=params)
            objs = objects_of(r)
            if not objs:
                break
            ids.extend(o["id"] for o in objs)
            after = r.headers["X-TAXII-Date-Added-Last"]
            if truncate:
                after = after[:23] + "Z"  # …SS.mmmZ
        assert ids == [o["id"] for o in snapshot.objects], f"truncate={truncate}"
