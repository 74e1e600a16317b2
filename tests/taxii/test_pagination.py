"""limit and next (TAXII §3.4, §3.5; taxii-notes C-rules 1-3)."""

import base64

import pytest

from taxii_helpers import ALIAS, assert_error, objects_of

OBJECTS = f"/taxii2/collections/{ALIAS}/objects/"
MANIFEST = f"/taxii2/collections/{ALIAS}/manifest/"


@pytest.mark.parametrize("endpoint", [OBJECTS, MANIFEST])
@pytest.mark.parametrize("limit,served", [(None, 100), (1, 1), (7, 7), (1000, 1000), (1001, 1000), (5000, 1000),
                                          (10**12, 1000)])
def test_limit_default_and_clamp(taxii, snapshot, endpoint, limit, served):
    params = {} if limit is None else {"limit": limit}
    body = taxii.ok(endpoint, params=params).json()
    objs = body["objects"]
    assert len(objs) == served, f"limit={limit}: {len(objs)} objects"
    assert [o["id"] for o in objs] == [o["id"] for o in snapshot.objects[:served]]
    assert body.get("more") is True
    assert isinstance(body.get("next"), str) and body["next"]


@pytest.mark.parametrize("endpoint", [OBJECTS, MANIFEST])
@pytest.mark.parametrize("limit", ["0", "-1", "-1000", "abc", "1.5", "1e3", "0x10"])
def test_bad_limit_is_400(taxii, endpoint, limit):
    assert_error(taxii.get(endpoint, params={"limit": limit}), 400)


def test_limit_equal_to_the_rest_ends_without_more(taxii, snapshot):
    total = len(snapshot.objects)
    cut = snapshot.manifest[total - 11]["date_added"]  # exactly 10 objects are later
    body = taxii.ok(OBJECTS, params={"added_after": cut, "limit": 10}).json()
    assert len(body["objects"]) == 10
    assert body.get("more", False) is False, "everything fitted under the limit, so more must be false"


@pytest.mark.parametrize("limit", [100, 999])
def test_next_followed_without_the_original_filters(taxii, snapshot, limit):
    """Elastic sends only next and limit on follow-up requests."""
    cut = snapshot.manifest[1234]
    params = {"match[type]": "indicator", "added_after": cut["date_added"]}
    expected = [m["id"] for m in snapshot.manifest[1235:] if m["id"].startswith("indicator--")]
    with_filters = [o["id"] for r in taxii.walk(OBJECTS, params, limit, follow_with_filters=True) for o in objects_of(r)]
    without = [o["id"] for r in taxii.walk(OBJECTS, params, limit, follow_with_filters=False) for o in objects_of(r)]
    assert with_filters == expected
    assert without == expected


def test_next_without_limit(taxii, snapshot):
    first = taxii.ok(OBJECTS, params={"limit": 50}).json()
    r = taxii.ok(OBJECTS, params={"next": first["next"]})
    objs = objects_of(r)
    assert objs, "next without limit returned nothing"
    ids = [o["id"] for o in snapshot.objects]
    assert [o["id"] for o in objs] == ids[50:50 + len(objs)], "next without limit must continue after page 1"
    assert len(objs) <= 1000


def test_next_on_the_manifest_without_filters(taxii, snapshot):
    params = {"match[type]": "identity,marking-definition"}
    pages = taxii.walk(MANIFEST, params, limit=1, follow_with_filters=False)
    assert [o["id"] for r in pages for o in objects_of(r)] == [o["id"] for o in snapshot.objects[:2]]


def test_next_can_be_reused(taxii, snapshot):
    """Stateless: the same token twice gives the same page (OpenCTI retries a page after a failure)."""
    token = taxii.ok(OBJECTS, params={"limit": 300}).json()["next"]
    a = taxii.ok(OBJECTS, params={"limit": 300, "next": token}).json()["objects"]
    b = taxii.ok(OBJECTS, params={"limit": 300, "next": token}).json()["objects"]
    assert a == b
    assert [o["id"] for o in a] == [o["id"] for o in snapshot.objects[300:600]]


def test_next_with_another_limit(taxii, snapshot):
    token = taxii.ok(OBJECTS, params={"limit": 100}).json()["next"]
    objs = taxii.ok(OBJECTS, params={"limit": 20, "next": token}).json()["objects"]
    assert [o["id"] for o in objs] == [o["id"] for o in snapshot.objects[100:120]]


def test_next_taken_at_the_start_of_the_run_still_works(taxii, snapshot):
    assert snapshot.first_next
    objs = taxii.ok(OBJECTS, params={"limit": 1000, "next": snapshot.first_next}).json()["objects"]
    assert [o["id"] for o in objs] == [o["id"] for o in snapshot.objects[1000:2000]]


@pytest.mark.parametrize("token", ["garbage", "!!!", "AAAAAAAAAAAAAAAA", "1707300000000:203.0.113.42", "null",
                                   "%00", "a" * 5000])
@pytest.mark.parametrize("endpoint", [OBJECTS, MANIFEST])
def test_garbage_next_is_400(taxii, endpoint, token):
    assert_error(taxii.get(endpoint, params={"next": token, "limit": 10}), 400)


def flip(token: str, at: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    c = token[at]
    replacement = alphabet[(alphabet.index(c) + 1) % len(alphabet)] if c in alphabet else "A"
    return token[:at] + replacement + token[at + 1:]


@pytest.mark.parametrize("where", ["start", "middle", "end-3"])
def test_tampered_next_is_400(taxii, where):
    """The token is signed: a changed character must not be trusted."""
    token = taxii.ok(OBJECTS, params={"limit": 10}).json()["next"]
    at = {"start": 0, "middle": len(token) // 2, "end-3": len(token) - 3}[where]
    bad = flip(token, at)
    assert bad != token
    assert_error(taxii.get(OBJECTS, params={"next": bad, "limit": 10}), 400)


def test_truncated_next_is_400(taxii):
    token = taxii.ok(OBJECTS, params={"limit": 10}).json()["next"]
    assert_error(taxii.get(OBJECTS, params={"next": token[: len(token) // 2], "limit": 10}), 400)


def test_forged_next_is_400(taxii):
    forged = base64.urlsafe_b64encode(b'{"date_added":"2000-01-01T00:00:00.000000Z","id":"x"}').decode()
    assert_error(taxii.get(OBJECTS, params={"next": forged, "limit": 10}), 400)


@pytest.mark.parametrize("original,contradicting", [
    ({"match[type]": "indicator"}, {"match[type]": "identity"}),
    ({"match[id]": "A"}, {"match[id]": "B"}),
    ({"match[spec_version]": "2.1"}, {"match[spec_version]": "2.0"}),
    ({"added_after": "OLD"}, {"added_after": "NEW"}),
])
def test_next_with_contradictory_filters_is_400(taxii, snapshot, original, contradicting):
    ind = snapshot.indicators()
    values = {"A": f"{ind[0]['id']},{ind[1]['id']},{ind[2]['id']}", "B": ind[3]["id"],
              "OLD": snapshot.manifest[10]["date_added"], "NEW": snapshot.manifest[20]["date_added"]}
    original = {k: values.get(v, v) for k, v in original.items()}
    contradicting = {k: values.get(v, v) for k, v in contradicting.items()}
    body = taxii.ok(OBJECTS, params=dict(original, limit=1)).json()
    assert body.get("more") is True and body.get("next"), body
    # the same filters are fine, the contradicting ones are not
    taxii.ok(OBJECTS, params=dict(original, limit=1, next=body["next"]))
    assert_error(taxii.get(OBJECTS, params=dict(contradicting, limit=1, next=body["next"])), 400)


def test_next_from_objects_is_not_a_manifest_token_of_another_query(taxii, snapshot):
    """A token used on the manifest of the same query continues at the same place (or is refused
    with 400); it never silently restarts or skips."""
    body = taxii.ok(OBJECTS, params={"limit": 10}).json()
    r = taxii.get(MANIFEST, params={"limit": 10, "next": body["next"]})
    if r.status_code == 400:
        assert_error(r, 400)
    else:
        assert r.status_code == 200
        assert [m["id"] for m in objects_of(r)] == [o["id"] for o in snapshot.objects[10:20]]
