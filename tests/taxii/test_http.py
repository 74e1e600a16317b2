"""Status codes, Content-Type, error bodies, authentication, Accept negotiation and trailing
slashes (taxii-notes §1.2 checklist; C-rules 4, 5, 6, 10)."""

import base64
import uuid

import pytest
import requests

from taxii_helpers import ALIAS, TAXII_CT, assert_error, assert_taxii_response, describe

COL = f"/taxii2/collections/{ALIAS}"
PUBLIC = ["/taxii2/", "/taxii2/collections/", f"{COL}/"]


def protected(snapshot):
    ind = snapshot.indicators()[0]
    return [f"{COL}/objects/", f"{COL}/manifest/", f"{COL}/objects/{ind['id']}/",
            f"{COL}/objects/{ind['id']}/versions/", f"{COL}/objects/{snapshot.ip_of(ind)}/"]


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- 401 and the ways to authenticate --------------------------------------------------------

def test_protected_endpoints_without_key_are_401_with_basic_challenge(taxii, snapshot):
    paths = protected(snapshot) + [f"/taxii2/status/{uuid.uuid4()}/"]
    for path in paths:
        r = taxii.get(path, auth=None)
        assert_error(r, 401)
        challenge = r.headers.get("WWW-Authenticate", "")
        assert challenge.lower().startswith("basic"), f"WWW-Authenticate={challenge!r} on {path}"
        assert "realm=" in challenge, f"WWW-Authenticate without realm: {challenge!r}"


@pytest.mark.parametrize("header", [
    lambda k: {"Authorization": "Bearer not-a-key"},
    lambda k: {"Authorization": "Bearer " + k + "x"},
    lambda k: {"x-api-key": "not-a-key"},
    lambda k: {"Authorization": basic("someone", "not-a-key")},
    lambda k: {"Authorization": basic("not-a-key", "")},
    lambda k: {"Authorization": "Basic !!!notbase64"},
    lambda k: {"Authorization": "Token " + k[:-1]},
    lambda k: {"Authorization": "Bearer"},
], ids=["bearer-wrong", "bearer-extended", "x-api-key-wrong", "basic-password-wrong", "basic-user-wrong",
        "basic-garbage", "other-scheme", "bearer-empty"])
def test_wrong_credentials_are_401(taxii, header):
    r = taxii.get(f"{COL}/objects/", auth=None, headers=header(taxii.key))
    assert_error(r, 401)
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic")


@pytest.mark.parametrize("form", ["bearer", "bearer-lowercase-scheme", "x-api-key", "X-API-Key", "basic-password",
                                  "basic-password-empty-user", "basic-user-empty-password", "basic-user-any-password",
                                  "requests-basic-auth"])
def test_every_auth_form_is_accepted(taxii, snapshot, form):
    k = taxii.key
    headers = {
        "bearer": {"Authorization": f"Bearer {k}"},
        "bearer-lowercase-scheme": {"Authorization": f"bearer {k}"},
        "x-api-key": {"x-api-key": k},
        "X-API-Key": {"X-API-Key": k},
        "basic-password": {"Authorization": basic("opencti", k)},
        "basic-password-empty-user": {"Authorization": basic("", k)},
        "basic-user-empty-password": {"Authorization": basic(k, "")},
        "basic-user-any-password": {"Authorization": basic(k, "x")},
        "requests-basic-auth": {},
    }[form]
    extra = {"http_auth": requests.auth.HTTPBasicAuth("sentinel", k)} if form == "requests-basic-auth" else {}
    for path in protected(snapshot):
        r = taxii.request("GET", path, auth=None, headers=headers, **extra)
        assert r.status_code == 200, f"{form}: {describe(r)}"
        assert_taxii_response(r)


# --- 403 / 404 / 405 -------------------------------------------------------------------------

def test_post_objects_is_403(taxii, snapshot):
    envelope = {"objects": [snapshot.indicators()[0]]}
    for path in (f"{COL}/objects/", f"/taxii2/collections/{snapshot.collection['id']}/objects/"):
        r = taxii.request("POST", path, json=envelope, headers={"Content-Type": TAXII_CT})
        assert_error(r, 403)


def test_delete_object_is_403(taxii, snapshot):
    ind = snapshot.indicators()[0]
    r = taxii.request("DELETE", f"{COL}/objects/{ind['id']}/")
    assert_error(r, 403)
    # and it is still there
    r = taxii.ok(f"{COL}/objects/{ind['id']}/")
    assert [o["id"] for o in r.json()["objects"]] == [ind["id"]]


def test_status_ids_are_404(taxii):
    for sid in (uuid.uuid4(), "not-a-uuid"):
        assert_error(taxii.get(f"/taxii2/status/{sid}/"), 404)


@pytest.mark.parametrize("path", [
    "/taxii2/collections/00000000-0000-4000-8000-000000000000/",
    "/taxii2/collections/00000000-0000-4000-8000-000000000000/objects/",
    "/taxii2/collections/00000000-0000-4000-8000-000000000000/manifest/",
    "/taxii2/collections/no-such-alias/objects/",
    "/taxii2/collections/no-such-alias/",
    f"{COL}/objects/indicator--00000000-0000-4000-8000-000000000000/",
    f"{COL}/objects/indicator--00000000-0000-4000-8000-000000000000/versions/",
    f"{COL}/objects/malware--00000000-0000-4000-8000-000000000000/",
    "/taxii2/no-such-resource/",
    "/taxii2/collections/sikker-threat-intel/objects/x/y/z/",
])
def test_unknown_things_are_404(taxii, path):
    assert_error(taxii.get(path), 404)


@pytest.mark.parametrize("method,path", [
    ("POST", "/taxii2/"), ("PUT", "/taxii2/"), ("DELETE", "/taxii2/"),
    ("POST", "/taxii2/collections/"), ("DELETE", f"{COL}/"), ("PUT", f"{COL}/objects/"),
    ("PATCH", f"{COL}/objects/"), ("POST", f"{COL}/manifest/"), ("DELETE", f"{COL}/manifest/"),
    ("POST", "OBJECT/versions/"), ("PUT", "OBJECT/"),
])
def test_wrong_method_is_405(taxii, snapshot, method, path):
    path = path.replace("OBJECT", f"{COL}/objects/{snapshot.indicators()[0]['id']}")
    r = taxii.request(method, path, json={})
    assert_error(r, 405)


# --- 406 and Accept leniency -----------------------------------------------------------------

SERVED_ACCEPTS = [
    "application/taxii+json;version=2.1",
    "application/taxii+json",
    "application/taxii+json; version=2.1",
    "APPLICATION/TAXII+JSON;VERSION=2.1",
    "application/taxii+json;version=2.0, application/taxii+json;version=2.1",
    "application/json, text/plain, */*",
    "*/*",
    "application/json",
    "application/*",
    "application/taxii+json;version=2.1,application/stix+json;version=2.1",
    "application/taxii+json;version=2.1;q=0.9",
    None,
]


@pytest.mark.parametrize("accept", SERVED_ACCEPTS)
def test_accept_variants_are_served(taxii, snapshot, accept):
    for path in PUBLIC + protected(snapshot)[:2]:
        r = taxii.get(path, accept=accept)
        assert r.status_code == 200, f"Accept={accept!r}: {describe(r)}"
        assert_taxii_response(r)


@pytest.mark.parametrize("accept", ["application/taxii+json;version=2.0", "application/taxii+json;version=3.0",
                                    "application/taxii+json;version=2.0, application/taxii+json;version=1.0"])
def test_explicit_other_version_is_406(taxii, snapshot, accept):
    for path in PUBLIC + protected(snapshot)[:2]:
        assert_error(taxii.get(path, accept=accept), 406)


def test_no_user_agent_is_served(taxii):
    r = requests.get(taxii.url("/taxii2/"), headers={"User-Agent": None, "Accept": TAXII_CT}, timeout=30)
    assert r.status_code == 200
    assert "User-Agent" not in r.request.headers


# --- trailing slash --------------------------------------------------------------------------

def test_paths_served_with_and_without_trailing_slash(taxii, snapshot):
    for path in PUBLIC + protected(snapshot) + [f"/taxii2/collections/{snapshot.collection['id']}/"]:
        with_slash = taxii.get(path, params={"limit": 5}, allow_redirects=False)
        without = taxii.get(path.rstrip("/"), params={"limit": 5}, allow_redirects=False)
        assert with_slash.status_code == 200, describe(with_slash)
        assert without.status_code == 200, describe(without)
        assert_taxii_response(with_slash)
        assert_taxii_response(without)
        a, b = with_slash.json(), without.json()
        a.pop("next", None), b.pop("next", None)  # tokens may carry an issue time
        assert a == b, path


def test_errors_keep_the_content_type_without_slash(taxii):
    assert_error(taxii.get(f"{COL}/objects", auth=None), 401)
    assert_error(taxii.get("/taxii2/collections/no-such-alias/objects"), 404)
    assert_error(taxii.get(f"{COL}/objects", params={"limit": "0"}), 400)


# --- everything answers with the exact Content-Type ------------------------------------------

def test_every_success_has_the_exact_content_type(taxii, snapshot):
    for path in PUBLIC + protected(snapshot) + [f"/taxii2/collections/{snapshot.collection['id']}/"]:
        r = taxii.get(path)
        assert r.status_code == 200, describe(r)
        assert r.headers.get("Content-Type") == TAXII_CT, describe(r)
