"""Writes an OASIS medallion memory-backend data file and config holding the first N indicators
of a running sikker, so both servers are walked over the very same objects.

usage: medallion_data.py SIKKER_BASE_URL API_KEY COUNT PORT OUT_DIR
Prints the medallion collection's objects URL. Standard library only (runs in any Python 3).
"""

import json
import sys
import urllib.parse
import urllib.request
import uuid

ACCEPT = "application/taxii+json;version=2.1"
USER, PASSWORD = "bench", "bench-password"
COLLECTION_ID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"  # a fixed UUIDv4


def walk(base, key, endpoint, count):
    """The first `count` indicator records of objects/ or manifest/, oldest first."""
    out, token = [], None
    while len(out) < count:
        query = {"match[type]": "indicator", "limit": "1000"}
        if token:
            query["next"] = token
        url = f"{base}/taxii2/collections/sikker-threat-intel/{endpoint}/?{urllib.parse.urlencode(query)}"
        req = urllib.request.Request(url, headers={"Accept": ACCEPT, "Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(req, timeout=600) as resp:
            page = json.load(resp)
        out.extend(page.get("objects", []))
        if not page.get("more"):
            break
        token = page["next"]
    return out[:count]


def main():
    base, key, count, port, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    objects = walk(base, key, "objects", count)
    manifest = walk(base, key, "manifest", count)
    assert [o["id"] for o in objects] == [m["id"] for m in manifest], "objects and manifest disagree"
    if len(objects) < count:
        print(f"note: sikker has only {len(objects)} indicators", file=sys.stderr)
    root = f"http://127.0.0.1:{port}/api1/"
    data = {
        "/discovery": {"title": "medallion (bench)", "default": root, "api_roots": [root]},
        "api1": {
            "information": {"title": "bench", "versions": [ACCEPT], "max_content_length": 104857600},
            "status": [],
            "collections": [{
                "id": COLLECTION_ID,
                "title": "first indicators of sikker",
                "can_read": True,
                "can_write": False,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": objects,
                "manifest": [
                    {"id": m["id"], "date_added": m["date_added"], "version": m["version"],
                     "media_type": "application/stix+json;version=2.1"}
                    for m in manifest
                ],
            }],
        },
    }
    with open(f"{out_dir}/medallion-data.json", "w") as f:
        json.dump(data, f)
    config = {
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                    "filename": f"{out_dir}/medallion-data.json",
                    # medallion's next tokens expire after 30 s by default; its first page alone can take longer
                    "session_timeout": 86400, "check_interval": 10},
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 1000},
    }
    with open(f"{out_dir}/medallion-config.json", "w") as f:
        json.dump(config, f)
    assert uuid.UUID(COLLECTION_ID).version == 4
    print(f"{root}collections/{COLLECTION_ID}/objects/")


if __name__ == "__main__":
    main()
