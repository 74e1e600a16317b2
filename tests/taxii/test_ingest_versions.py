"""New versions through real ingest: a new session for a known IP publishes one new version of
its indicator (new modified, new date_added), a new IP publishes its first version, a resent
batch publishes nothing. These tests change the collection, so they run after all others."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from stix2validator import ValidationOptions, validate_instance

from taxii_helpers import (ALIAS, REPORT, TAXII_TS, describe, ingest, objects_of, parse_ts, session_events,
                           uuid7)

pytestmark = pytest.mark.mutates

COL = f"/taxii2/collections/{ALIAS}"
OBJECTS = f"{COL}/objects/"
MANIFEST = f"{COL}/manifest/"
PUBLISH_TIMEOUT_S = 30


def wait_for_added(taxii, after, count):
    """Objects added after `after`, once there are `count` of them (publication may lag the answer)."""
    deadline = time.monotonic() + PUBLISH_TIMEOUT_S
    while True:
        r = taxii.ok(OBJECTS, params={"added_after": after, "limit": 1000})
        objs = objects_of(r)
        if len(objs) >= count or time.monotonic() > deadline:
            return r, objs
        time.sleep(0.25)


def all_ids(taxii, endpoint, params=None):
    return [o["id"] for r in taxii.walk(endpoint, params=params or {}) for o in objects_of(r)]


class State:
    pass


@pytest.fixture(scope="module")
def ingested(taxii, server, snapshot):
    """Two sessions for known IPs (one IPv4 early in the collection, one IPv6), ingested once."""
    s = State()
    s.before_last = snapshot.manifest[-1]["date_added"]
    s.old = {4: snapshot.indicators()[100], 6: snapshot.first_indicator(6)}
    s.ips = {fam: snapshot.ip_of(ind) for fam, ind in s.old.items()}
    now = datetime.now(timezone.utc) - timedelta(seconds=5)
    s.batch = session_events(s.ips[4], "suite-sensor", now) + session_events(
        s.ips[6], "suite-sensor", now, protocol="telnet", dst_port=23, command="cat /proc/cpuinfo")
    s.answer = ingest(server.base, server.sensor_token, s.batch)
    s.added_response, s.added = wait_for_added(taxii, s.before_last, 2)
    s.manifest_after = [m for r in taxii.walk(MANIFEST, params={"added_after": s.before_last})
                        for m in objects_of(r)]
    return s


def test_ingest_answer_lists_stored_ids(ingested):
    a = ingested.answer
    assert sorted(a.get("stored", [])) == sorted(e["id"] for e in ingested.batch), a
    assert a.get("known", []) == [], a
    assert a.get("rejected", []) == [], a


def test_each_touched_ip_gets_exactly_one_new_version(ingested):
    ids = [o["id"] for o in ingested.added]
    assert sorted(ids) == sorted(ind["id"] for ind in ingested.old.values()), \
        f"added_after={ingested.before_last} returned {ids}"
    assert [m["id"] for m in ingested.manifest_after] == ids
    for m in ingested.manifest_after:
        assert TAXII_TS.match(m["date_added"]) and m["date_added"].endswith("000Z"), m
        assert parse_ts(m["date_added"]) > parse_ts(ingested.before_last)


def test_new_version_keeps_id_created_pattern_and_bumps_modified(ingested):
    new = {o["id"]: o for o in ingested.added}
    for old in ingested.old.values():
        v2 = new[old["id"]]
        assert v2["created"] == old["created"]
        assert v2["pattern"] == old["pattern"]
        assert v2["valid_from"] == old["valid_from"]
        assert parse_ts(v2["modified"]) > parse_ts(old["modified"]), (old["modified"], v2["modified"])
        assert parse_ts(v2["valid_until"]) >= parse_ts(old["valid_until"])
        result = validate_instance(v2, ValidationOptions(version="2.1"))
        assert result.is_valid and not result.errors, [str(e) for e in result.errors]


def test_versions_endpoint_shows_both(taxii, snapshot, ingested):
    for old in ingested.old.values():
        new = next(o for o in ingested.added if o["id"] == old["id"])
        r = taxii.ok(f"{OBJECTS}{old['id']}/versions/")
        body = r.json()
        assert sorted(body.get("versions", [])) == sorted([old["modified"], new["modified"]]), body
        assert body.get("more", False) is False
        new_added = next(m["date_added"] for m in ingested.manifest_after if m["id"] == old["id"])
        assert r.headers.get("X-TAXII-Date-Added-First") == snapshot.date_added[old["id"]], dict(r.headers)
        assert r.headers.get("X-TAXII-Date-Added-Last") == new_added, dict(r.headers)
        if body["versions"] != [old["modified"], new["modified"]]:
            REPORT.append(f"versions/ lists {body['versions']} (not oldest first)")


def test_versions_endpoint_added_after_and_paging(taxii, snapshot, ingested):
    old = ingested.old[4]
    new = next(o for o in ingested.added if o["id"] == old["id"])
    body = taxii.ok(f"{OBJECTS}{old['id']}/versions/",
                    params={"added_after": snapshot.date_added[old["id"]]}).json()
    assert body.get("versions") == [new["modified"]], body
    first = taxii.ok(f"{OBJECTS}{old['id']}/versions/", params={"limit": 1}).json()
    assert len(first.get("versions", [])) == 1 and first.get("more") is True and first.get("next"), first
    second = taxii.ok(f"{OBJECTS}{old['id']}/versions/", params={"limit": 1, "next": first["next"]}).json()
    assert sorted(first["versions"] + second.get("versions", [])) == sorted([old["modified"], new["modified"]])
    assert second.get("more", False) is False


@pytest.mark.parametrize("family", [4, 6])
def test_object_endpoint_version_filters(taxii, snapshot, ingested, family):
    old = ingested.old[family]
    new = next(o for o in ingested.added if o["id"] == old["id"])
    path = f"{OBJECTS}{old['id']}/"
    assert taxii.ok(path).json()["objects"] == [new]
    assert taxii.ok(path, params={"match[version]": "last"}).json()["objects"] == [new]
    assert taxii.ok(path, params={"match[version]": "first"}).json()["objects"] == [old]
    assert taxii.ok(path, params={"match[version]": old["modified"]}).json()["objects"] == [old]
    assert taxii.ok(path, params={"match[version]": new["modified"]}).json()["objects"] == [new]
    r = taxii.ok(path, params={"match[version]": "all"})
    assert r.json()["objects"] == [old, new], "all versions, oldest first"
    assert r.headers.get("X-TAXII-Date-Added-First") == snapshot.date_added[old["id"]]
    page1 = taxii.ok(path, params={"match[version]": "all", "limit": 1}).json()
    assert page1.get("objects") == [old] and page1.get("more") is True and page1.get("next"), page1
    page2 = taxii.ok(path, params={"match[version]": "all", "limit": 1, "next": page1["next"]}).json()
    assert page2.get("objects") == [new] and page2.get("more", False) is False, page2
    by_ip = f"{OBJECTS}{ingested.ips[family]}/"
    assert [o for o in taxii.ok(by_ip).json()["objects"] if o["type"] == "indicator"] == [new]
    assert [o for o in taxii.ok(by_ip, params={"match[version]": "all"}).json()["objects"]
            if o["type"] == "indicator"] == [old, new]


def test_manifest_all_versions_of_one_object(taxii, snapshot, ingested):
    old = ingested.old[4]
    new = next(o for o in ingested.added if o["id"] == old["id"])
    records = objects_of(taxii.ok(MANIFEST, params={"match[id]": old["id"], "match[version]": "all"}))
    assert [m["version"] for m in records] == [old["modified"], new["modified"]], records
    assert records[0]["date_added"] == snapshot.date_added[old["id"]]
    assert parse_ts(records[1]["date_added"]) > parse_ts(records[0]["date_added"])


def test_collection_default_view_has_each_indicator_once(taxii, snapshot, ingested):
    ids = all_ids(taxii, OBJECTS)
    assert len(ids) == len(set(ids)) == len(snapshot.objects)
    moved = {ind["id"] for ind in ingested.old.values()}
    assert set(ids[-2:]) == moved, "the new versions are the newest objects"
    assert [i for i in ids if i not in moved] == [o["id"] for o in snapshot.objects if o["id"] not in moved]


def test_collection_version_first_is_the_original_collection(taxii, snapshot, ingested):
    objs = [o for r in taxii.walk(OBJECTS, params={"match[version]": "first"}) for o in objects_of(r)]
    assert [o["id"] for o in objs] == [o["id"] for o in snapshot.objects]
    assert objs == snapshot.objects


def test_collection_version_all_has_both_versions(taxii, snapshot, ingested):
    ids = all_ids(taxii, OBJECTS, {"match[version]": "all"})
    assert len(ids) == len(snapshot.objects) + 2
    for ind in ingested.old.values():
        assert ids.count(ind["id"]) == 2
    manifest_ids = all_ids(taxii, MANIFEST, {"match[version]": "all"})
    assert manifest_ids == ids


def test_old_next_token_continues_across_new_versions(taxii, snapshot, ingested):
    """A cursor taken before the ingest keeps its place; the moved indicators show up once, at the end."""
    ids = []
    query = {"limit": 1000, "next": snapshot.first_next}
    for _ in range(len(snapshot.objects) // 1000 + 10):
        r = taxii.ok(OBJECTS, params=query)
        body = r.json()
        ids.extend(o["id"] for o in body.get("objects", []))
        if not body.get("more"):
            break
        query = {"limit": 1000, "next": body["next"]}
    else:
        raise AssertionError("the walk from an old token does not end")
    moved = [o["id"] for o in ingested.added]
    expected = [o["id"] for o in snapshot.objects[1000:] if o["id"] not in moved] + moved
    assert ids == expected


def test_resent_batch_changes_nothing(taxii, server, ingested):
    last_before = taxii.ok(MANIFEST, params={"added_after": ingested.before_last}).headers["X-TAXII-Date-Added-Last"]
    answer = ingest(server.base, server.sensor_token, ingested.batch)
    assert answer.get("stored", []) == [], answer
    assert sorted(answer.get("known", [])) == sorted(e["id"] for e in ingested.batch), answer
    time.sleep(1.0)
    r = taxii.ok(OBJECTS, params={"added_after": last_before})
    assert "objects" not in r.json(), f"a resent batch published: {[o['id'] for o in objects_of(r)]}"
    for ind in ingested.old.values():
        assert len(taxii.ok(f"{OBJECTS}{ind['id']}/versions/").json()["versions"]) == 2


def test_new_ip_gets_its_first_version_and_bad_events_are_rejected_one_by_one(taxii, server, snapshot, ingested):
    seen = {snapshot.ip_of(o) for o in snapshot.indicators()}
    expanded = "2001:0db8:00aa:0000:0000:0000:0000:0bad"
    canonical = "2001:db8:aa::bad"
    assert canonical not in seen
    last_before = taxii.ok(MANIFEST, params={"added_after": ingested.before_last}).headers["X-TAXII-Date-Added-Last"]
    events = session_events(expanded, "suite-sensor", datetime.now(timezone.utc) - timedelta(seconds=3),
                            protocol="redis", dst_port=6379, command="CONFIG SET dir /tmp")
    bad = {"id": uuid7(), "kind": "connect", "sensor": "suite-sensor"}  # no session, ts, ip …
    answer = ingest(server.base, server.sensor_token, events + [bad])
    assert sorted(answer.get("stored", [])) == sorted(e["id"] for e in events), answer
    rejected = answer.get("rejected", [])
    assert len(rejected) == 1 and rejected[0].get("index") == len(events), answer
    assert rejected[0].get("id") == bad["id"] and rejected[0].get("reason"), answer

    r, objs = wait_for_added(taxii, last_before, 1)
    assert len(objs) == 1, [o["id"] for o in objs]
    new = objs[0]
    assert new["pattern"] == f"[ipv6-addr:value = '{canonical}']"
    assert new["created"] == new["modified"], "a first version has created == modified"
    assert validate_instance(new, ValidationOptions(version="2.1")).is_valid
    body = taxii.ok(f"{OBJECTS}{canonical}/versions/").json()
    assert body.get("versions") == [new["modified"]], body
    assert new in taxii.ok(f"{OBJECTS}{canonical}/").json()["objects"]
    ids = all_ids(taxii, OBJECTS)
    assert len(ids) == len(set(ids)) == len(snapshot.objects) + 1
    assert ids[-1] == new["id"]


def test_ingest_needs_a_sensor_token(taxii, server):
    events = session_events("198.51.100.77", "suite-sensor", datetime.now(timezone.utc))
    for auth in (None, f"Bearer {server.api_key}", "Bearer nope"):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = auth
        r = requests.post(server.base + "/v1/ingest", data=json.dumps(events), headers=headers, timeout=30)
        assert r.status_code in (401, 403), f"ingest with {auth!r}: {describe(r)}"
