"""added_after and match[] filters on objects/ and manifest/ (TAXII §3.4, §3.4.1)."""

from datetime import timedelta

import pytest

from taxii_helpers import ALIAS, TLP_CLEAR, assert_error, objects_of, parse_ts, taxii_ts

OBJECTS = f"/taxii2/collections/{ALIAS}/objects/"
MANIFEST = f"/taxii2/collections/{ALIAS}/manifest/"


def walk_ids(taxii, endpoint, params, limit=1000):
    ids = []
    for r in taxii.walk(endpoint, params=params, limit=limit):
        ids.extend(o["id"] for o in objects_of(r))
    return ids


def later_than(snapshot, instant):
    return [m["id"] for m in snapshot.manifest if parse_ts(m["date_added"]) > instant]


# --- added_after -----------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", [OBJECTS, MANIFEST])
@pytest.mark.parametrize("position", [0, 1, 2, 999, 1000, 2500, -2, -1])
def test_added_after_exact_date_added_is_strict(taxii, snapshot, endpoint, position):
    record = snapshot.manifest[position]
    expected = [m["id"] for m in snapshot.manifest[snapshot.manifest.index(record) + 1:]]
    got = walk_ids(taxii, endpoint, {"added_after": record["date_added"]})
    assert got == expected, f"added_after={record['date_added']}: {len(got)} objects, expected {len(expected)}"


@pytest.mark.parametrize("form", ["micros-Z", "millis-Z", "micros-+00:00", "millis-+00:00", "seconds-Z",
                                  "seconds-+00:00", "minutes-past-Z"])
def test_added_after_lenient_forms(taxii, snapshot, form):
    record = snapshot.manifest[len(snapshot.manifest) // 2]
    instant = parse_ts(record["date_added"])
    if form.startswith("seconds") or form.startswith("minutes"):
        instant = instant.replace(microsecond=0)
    if form.startswith("minutes"):
        instant -= timedelta(minutes=1)
    full = taxii_ts(instant)  # YYYY-MM-DDTHH:MM:SS.ffffffZ
    text = {
        "micros-Z": full,
        "millis-Z": full[:23] + "Z",
        "micros-+00:00": full[:-1] + "+00:00",
        "millis-+00:00": full[:23] + "+00:00",
        "seconds-Z": full[:19] + "Z",
        "seconds-+00:00": full[:19] + "+00:00",
        "minutes-past-Z": full[:19] + "Z",
    }[form]
    expected = later_than(snapshot, instant)
    got = walk_ids(taxii, OBJECTS, {"added_after": text})
    assert got == expected, f"added_after={text}: {len(got)} objects, expected {len(expected)}"
    got_manifest = walk_ids(taxii, MANIFEST, {"added_after": text})
    assert got_manifest == expected, f"manifest added_after={text}"


def test_added_after_before_everything_returns_everything(taxii, snapshot):
    first = parse_ts(snapshot.manifest[0]["date_added"])
    got = walk_ids(taxii, OBJECTS, {"added_after": taxii_ts(first - timedelta(days=365))})
    assert got == [o["id"] for o in snapshot.objects]


def test_added_after_the_last_is_an_empty_envelope(taxii, snapshot):
    last = snapshot.manifest[-1]["date_added"]
    for endpoint in (OBJECTS, MANIFEST):
        r = taxii.ok(endpoint, params={"added_after": last})
        body = r.json()
        assert "objects" not in body, f"empty result must omit objects: {body}"
        assert body.get("more", False) is False
        assert "X-TAXII-Date-Added-First" not in r.headers, dict(r.headers)
        assert "X-TAXII-Date-Added-Last" not in r.headers, dict(r.headers)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "1700000000", "2026-01-01T25:00:00Z",
                                   "2026-01-01T00:00:00.Z", "null"])
def test_added_after_garbage_is_400(taxii, value):
    for endpoint in (OBJECTS, MANIFEST):
        assert_error(taxii.get(endpoint, params={"added_after": value}), 400)


# --- match[id] / match[type] -----------------------------------------------------------------

def test_match_id_single_and_several(taxii, snapshot):
    ind = snapshot.indicators()
    one = ind[10]["id"]
    assert walk_ids(taxii, OBJECTS, {"match[id]": one}) == [one]
    assert walk_ids(taxii, MANIFEST, {"match[id]": one}) == [one]
    several = [ind[500]["id"], snapshot.objects[0]["id"], ind[3]["id"], TLP_CLEAR]
    order = [o["id"] for o in snapshot.objects if o["id"] in several]
    assert walk_ids(taxii, OBJECTS, {"match[id]": ",".join(several)}) == order
    assert walk_ids(taxii, MANIFEST, {"match[id]": ",".join(several)}) == order


def test_match_id_unknown_is_empty(taxii):
    r = taxii.ok(OBJECTS, params={"match[id]": "indicator--00000000-0000-4000-8000-000000000000"})
    assert "objects" not in r.json()


@pytest.mark.parametrize("types,expected_count", [
    ("indicator", None), ("identity", 1), ("marking-definition", 1), ("identity,marking-definition", 2),
    ("malware", 0), ("attack-pattern,identity", 1), ("indicator,identity,marking-definition", "all"),
])
def test_match_type(taxii, snapshot, types, expected_count):
    wanted = set(types.split(","))
    expected = [o["id"] for o in snapshot.objects if o["type"] in wanted]
    if expected_count == "all":
        assert len(expected) == len(snapshot.objects)
    elif expected_count is not None:
        assert len(expected) == expected_count
    for endpoint in (OBJECTS, MANIFEST):
        got = walk_ids(taxii, endpoint, {"match[type]": types})
        assert got == expected, f"{endpoint} match[type]={types}: {len(got)} vs {len(expected)}"


def test_match_type_raw_brackets_in_url(taxii, snapshot):
    """Some clients do not percent-encode the brackets."""
    r = taxii.ok(OBJECTS + "?match[type]=identity&limit=10")
    assert [o["id"] for o in objects_of(r)] == [snapshot.objects[0]["id"]]


# --- match[version] --------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["last", "first", "all", "first,last"])
def test_match_version_keywords_on_single_version_objects(taxii, snapshot, version):
    # Before any ingest every object has one version, so each keyword returns the whole collection.
    got = walk_ids(taxii, OBJECTS, {"match[version]": version})
    assert got == [o["id"] for o in snapshot.objects], f"match[version]={version}"
    got = walk_ids(taxii, MANIFEST, {"match[version]": version})
    assert got == [o["id"] for o in snapshot.objects], f"manifest match[version]={version}"


def test_match_version_exact_timestamp(taxii, snapshot):
    ind = snapshot.indicators()[42]
    version = ind["modified"]
    expected = [m["id"] for m in snapshot.manifest if m["version"] == version]
    assert ind["id"] in expected
    assert walk_ids(taxii, OBJECTS, {"match[version]": version}) == expected
    assert walk_ids(taxii, MANIFEST, {"match[version]": version}) == expected
    got = objects_of(taxii.ok(OBJECTS, params={"match[version]": version, "match[id]": ind["id"]}))
    assert got == [ind]


def test_match_version_several_exact_timestamps(taxii, snapshot):
    a, b = snapshot.indicators()[1], snapshot.indicators()[-1]
    versions = {a["modified"], b["modified"]}
    expected = [m["id"] for m in snapshot.manifest if m["version"] in versions]
    got = walk_ids(taxii, OBJECTS, {"match[version]": ",".join(sorted(versions))})
    assert got == expected


def test_match_version_exact_timestamp_of_no_version_is_empty(taxii, snapshot):
    ind = snapshot.indicators()[7]
    other = "2001-01-01T00:00:00.000Z"
    r = taxii.ok(OBJECTS, params={"match[version]": other, "match[id]": ind["id"]})
    assert "objects" not in r.json()


# --- match[spec_version] ---------------------------------------------------------------------

@pytest.mark.parametrize("spec,everything", [("2.1", True), ("2.0", False), ("2.0,2.1", True), ("2.1,2.0", True)])
def test_match_spec_version(taxii, snapshot, spec, everything):
    for endpoint in (OBJECTS, MANIFEST):
        got = walk_ids(taxii, endpoint, {"match[spec_version]": spec})
        assert got == ([o["id"] for o in snapshot.objects] if everything else []), f"{endpoint} spec_version={spec}"


def test_every_object_is_spec_version_2_1(snapshot):
    bad = [o["id"] for o in snapshot.objects if o.get("spec_version") != "2.1"]
    assert not bad, bad[:5]


# --- combinations and unknown fields ---------------------------------------------------------

def test_match_fields_are_anded(taxii, snapshot):
    ind = snapshot.indicators()[5]
    identity = snapshot.objects[0]
    assert walk_ids(taxii, OBJECTS, {"match[type]": "indicator", "match[id]": ind["id"]}) == [ind["id"]]
    assert walk_ids(taxii, OBJECTS, {"match[type]": "indicator", "match[id]": identity["id"]}) == []
    assert walk_ids(taxii, OBJECTS, {"match[type]": "identity", "match[id]": f"{identity['id']},{ind['id']}"}) \
        == [identity["id"]]
    assert walk_ids(taxii, OBJECTS, {"match[id]": ind["id"], "match[spec_version]": "2.0"}) == []
    assert walk_ids(taxii, OBJECTS, {"match[id]": ind["id"], "match[spec_version]": "2.1",
                                     "match[version]": "last", "match[type]": "indicator"}) == [ind["id"]]


def test_match_type_with_added_after(taxii, snapshot):
    cut = snapshot.manifest[3000]
    expected = [m["id"] for m in snapshot.manifest[3001:]]
    got = walk_ids(taxii, OBJECTS, {"match[type]": "indicator", "added_after": cut["date_added"]})
    assert got == expected
    got = walk_ids(taxii, MANIFEST, {"match[type]": "identity", "added_after": cut["date_added"]})
    assert got == []


def test_unknown_match_field_is_ignored(taxii, snapshot):
    got = walk_ids(taxii, OBJECTS, {"match[x_colour]": "blue"})
    assert got == [o["id"] for o in snapshot.objects]
    got = walk_ids(taxii, MANIFEST, {"match[x_colour]": "blue", "match[type]": "identity"})
    assert got == [snapshot.objects[0]["id"]]


def test_filtered_pages_carry_their_own_date_added_headers(taxii, snapshot):
    added = snapshot.date_added
    for r in taxii.walk(OBJECTS, params={"match[type]": "indicator"}, limit=700):
        objs = objects_of(r)
        assert r.headers["X-TAXII-Date-Added-First"] == added[objs[0]["id"]]
        assert r.headers["X-TAXII-Date-Added-Last"] == added[objs[-1]["id"]]
