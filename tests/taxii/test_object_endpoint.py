"""objects/{id}/ by STIX id and by IP address, and objects/{id}/versions/ (TAXII §5.6, §5.8)."""

import ipaddress

import pytest

from taxii_helpers import ALIAS, TAXII_TS, TLP_CLEAR, assert_error, objects_of

COL = f"/taxii2/collections/{ALIAS}"


def only_indicator(r, ind):
    objs = objects_of(r)
    indicators = [o for o in objs if o["type"] == "indicator"]
    assert indicators == [ind], f"expected exactly {ind['id']}, got {[o['id'] for o in indicators]}"
    others = {o["type"] for o in objs} - {"indicator"}
    assert others <= {"identity", "marking-definition"}, others


def assert_single_date_headers(r, date_added):
    assert r.headers.get("X-TAXII-Date-Added-First") == date_added, dict(r.headers)
    assert r.headers.get("X-TAXII-Date-Added-Last") == date_added, dict(r.headers)


@pytest.mark.parametrize("which", ["identity", "marking", "indicator-first", "indicator-last"])
def test_object_by_stix_id(taxii, snapshot, which):
    obj = {"identity": snapshot.objects[0], "marking": snapshot.objects[1],
           "indicator-first": snapshot.objects[2], "indicator-last": snapshot.objects[-1]}[which]
    r = taxii.ok(f"{COL}/objects/{obj['id']}/")
    body = r.json()
    assert body["objects"] == [obj]
    assert body.get("more", False) is False
    assert_single_date_headers(r, snapshot.date_added[obj["id"]])


def test_marking_is_the_tlp_clear_definition(taxii):
    [m] = taxii.ok(f"{COL}/objects/{TLP_CLEAR}/").json()["objects"]
    assert m["type"] == "marking-definition"
    # the canonical STIX 2.1 object for this id (STIX §7.2.1.4)
    assert m.get("definition_type") == "tlp", m
    assert m.get("definition") == {"tlp": "white"}, m
    assert m.get("created") == "2017-01-20T00:00:00.000Z", m


@pytest.mark.parametrize("family", [4, 6])
def test_object_by_ip(taxii, snapshot, family):
    ind = snapshot.first_indicator(family)
    ip = snapshot.ip_of(ind)
    r = taxii.ok(f"{COL}/objects/{ip}/")
    only_indicator(r, ind)
    indicators_in_response = [o for o in objects_of(r) if o["type"] == "indicator"]
    assert len(indicators_in_response) == 1


def test_object_by_non_canonical_ipv6(taxii, snapshot):
    ind = snapshot.first_indicator(6)
    ip = ipaddress.IPv6Address(snapshot.ip_of(ind))
    for spelling in (ip.exploded, ip.exploded.upper(), str(ip).upper()):
        r = taxii.ok(f"{COL}/objects/{spelling}/")
        only_indicator(r, ind)


def test_object_by_ipv4_mapped_ipv6(taxii, snapshot):
    ind = snapshot.first_indicator(4)
    r = taxii.ok(f"{COL}/objects/::ffff:{snapshot.ip_of(ind)}/")
    only_indicator(r, ind)


def unseen(snapshot, family):
    seen = {snapshot.ip_of(o) for o in snapshot.indicators()}
    candidates = (["192.0.2.1", "198.51.100.254", "203.0.113.254", "10.255.255.254"] if family == 4
                  else ["2001:db8:ffff::dead", "2001:db8::1:2:3:4", "fd00::beef"])
    for c in candidates:
        if c not in seen:
            return c
    raise AssertionError("every candidate address was simulated")


@pytest.mark.parametrize("family", [4, 6])
def test_unseen_ip_is_404(taxii, snapshot, family):
    assert_error(taxii.get(f"{COL}/objects/{unseen(snapshot, family)}/"), 404)


@pytest.mark.parametrize("bad", ["999.1.1.1", "1.2.3", "not-an-ip", "indicator--nope"])
def test_neither_ip_nor_known_id_is_404(taxii, bad):
    r = taxii.get(f"{COL}/objects/{bad}/")
    assert r.status_code in (400, 404), r.status_code
    assert_error(r, r.status_code)


def test_object_by_id_spec_version_filter(taxii, snapshot):
    ind = snapshot.indicators()[3]
    r = taxii.ok(f"{COL}/objects/{ind['id']}/", params={"match[spec_version]": "2.1"})
    assert r.json()["objects"] == [ind]
    r = taxii.ok(f"{COL}/objects/{ind['id']}/", params={"match[spec_version]": "2.0"})
    assert "objects" not in r.json()
    assert "X-TAXII-Date-Added-First" not in r.headers


@pytest.mark.parametrize("version", ["first", "last", "all", "MODIFIED"])
def test_object_by_id_version_filter(taxii, snapshot, version):
    ind = snapshot.indicators()[4]
    v = ind["modified"] if version == "MODIFIED" else version
    assert taxii.ok(f"{COL}/objects/{ind['id']}/", params={"match[version]": v}).json()["objects"] == [ind]


def test_object_by_ip_filters_like_by_id(taxii, snapshot):
    ind = snapshot.first_indicator(4)
    ip = snapshot.ip_of(ind)
    r = taxii.ok(f"{COL}/objects/{ip}/", params={"match[version]": ind["modified"]})
    only_indicator(r, ind)


def test_versions_of_a_single_version_object(taxii, snapshot):
    for obj in (snapshot.objects[0], snapshot.objects[1], snapshot.indicators()[9]):
        r = taxii.ok(f"{COL}/objects/{obj['id']}/versions/")
        body = r.json()
        assert body.get("versions") == [obj.get("modified", obj.get("created"))], body
        assert body.get("more", False) is False
        assert_single_date_headers(r, snapshot.date_added[obj["id"]])
        assert TAXII_TS.match(r.headers["X-TAXII-Date-Added-First"])


def test_versions_by_ip(taxii, snapshot):
    ind = snapshot.first_indicator(6)
    body = taxii.ok(f"{COL}/objects/{snapshot.ip_of(ind)}/versions/").json()
    assert body.get("versions") == [ind["modified"]]


def test_versions_spec_version_2_0_is_empty(taxii, snapshot):
    ind = snapshot.indicators()[9]
    r = taxii.ok(f"{COL}/objects/{ind['id']}/versions/", params={"match[spec_version]": "2.0"})
    assert "versions" not in r.json()
