"""Discovery, API root, collections and collection resources (TAXII §4, §5.1, §5.2)."""

import uuid

from taxii2client.v21 import ApiRoot, Collection, Server

from taxii_helpers import ALIAS, STIX_CT, TAXII_CT


def test_discovery_is_also_the_api_root(taxii):
    body = taxii.ok("/taxii2/", auth=None).json()
    # discovery (§4.1.1)
    assert isinstance(body.get("title"), str) and body["title"]
    assert body.get("api_roots") == ["/taxii2/"], body
    assert body.get("default") == "/taxii2/", body
    assert body["default"] in body["api_roots"]
    # API root (§4.2.1), same document
    assert TAXII_CT in body.get("versions", []), body
    assert isinstance(body.get("max_content_length"), int) and body["max_content_length"] > 0, body


def test_discovery_and_api_root_through_taxii2_client(taxii, server):
    srv = Server(taxii.url("/taxii2/"), user="suite", password=server.api_key)
    assert srv.title
    assert [r.url for r in srv.api_roots] == [taxii.url("/taxii2/")]
    assert srv.default.url == taxii.url("/taxii2/")
    root = ApiRoot(taxii.url("/taxii2/"), user="suite", password=server.api_key)
    assert TAXII_CT in root.versions
    assert root.max_content_length > 0
    cols = root.collections
    assert len(cols) == 1
    assert cols[0].alias == ALIAS


def test_collections_lists_one_collection_with_uuid4_id(taxii):
    body = taxii.ok("/taxii2/collections/", auth=None).json()
    cols = body.get("collections")
    assert isinstance(cols, list) and len(cols) == 1, body
    col = cols[0]
    parsed = uuid.UUID(col["id"])
    assert str(parsed) == col["id"], "collection id must be a lower-case canonical UUID"
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122, f"collection id must be a UUIDv4: {col['id']}"
    assert col.get("alias") == ALIAS
    assert isinstance(col.get("title"), str) and col["title"]
    assert col.get("can_read") is True
    assert col.get("can_write") is False
    assert STIX_CT in col.get("media_types", [STIX_CT])


def test_collections_order_is_stable(taxii):
    a = taxii.ok("/taxii2/collections/", auth=None).json()
    b = taxii.ok("/taxii2/collections/", auth=None).json()
    assert a == b


def test_collection_by_id_and_by_alias(taxii):
    listed = taxii.ok("/taxii2/collections/", auth=None).json()["collections"][0]
    by_id = taxii.ok(f"/taxii2/collections/{listed['id']}/", auth=None).json()
    by_alias = taxii.ok(f"/taxii2/collections/{ALIAS}/", auth=None).json()
    assert by_id == listed
    assert by_alias == listed


def test_collection_through_taxii2_client(taxii, server, snapshot):
    # taxii2-client checks that the id it reads is in the URL, so it can only address the
    # collection by id; the alias is covered over raw HTTP above.
    col_id = snapshot.collection["id"]
    col = Collection(taxii.url(f"/taxii2/collections/{col_id}/"), user="suite", password=server.api_key)
    assert col.id == col_id
    assert col.alias == ALIAS
    assert col.can_read is True
    assert col.can_write is False


def test_public_resources_need_no_key(taxii, snapshot):
    for path in ("/taxii2/", "/taxii2/collections/", f"/taxii2/collections/{ALIAS}/",
                 f"/taxii2/collections/{snapshot.collection['id']}/"):
        taxii.ok(path, auth=None)
