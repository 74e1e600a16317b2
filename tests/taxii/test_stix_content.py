"""The STIX content: stix2-validator with default options finds zero errors in any object,
stix2-patterns accepts every pattern, and each indicator carries the fields the issue lists
(issue 2 §6; taxii-notes §3)."""

import ipaddress
import re
import uuid
from collections import Counter

from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from taxii_helpers import REPORT, STIX_TS_MS, TLP_CLEAR, parse_ts

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
INDICATOR_TYPES = {"anomalous-activity", "anonymization", "benign", "compromised", "malicious-activity",
                   "attribution", "unknown"}


def warning_kind(text: str) -> str:
    """`indicator--…: {103} Given ID value indicator--… is …` → `{103} Given ID value <id> is …`."""
    m = re.search(r"\{\d+\}.*", text)
    text = m.group(0) if m else text
    return re.sub(r"[a-z0-9-]+--[0-9a-f-]{36}", "<id>", text)[:100]


def test_every_object_passes_stix2_validator_with_zero_errors(snapshot):
    options = ValidationOptions(version="2.1")
    failures, warnings, warned_objects = [], Counter(), 0
    for obj in snapshot.objects:
        result = validate_instance(obj, options)
        if result.errors or not result.is_valid:
            failures.append((obj["id"], [str(e) for e in result.errors]))
        if result.warnings:
            warned_objects += 1
            for w in result.warnings:
                warnings[warning_kind(str(w))] += 1
    REPORT.append(f"stix2-validator (default options, 2.1): {len(snapshot.objects)} objects, "
                  f"{len(failures)} with errors, {warned_objects} with warnings, {sum(warnings.values())} warnings")
    for text, n in warnings.most_common(10):
        REPORT.append(f"  warning x{n}: {text}")
    assert not failures, f"{len(failures)} objects fail stix2-validator; first: {failures[:3]}"


def test_every_pattern_passes_stix2_patterns(snapshot):
    bad = []
    for ind in snapshot.indicators():
        errs = run_validator(ind["pattern"], stix_version="2.1")
        if errs:
            bad.append((ind["pattern"], errs))
    assert not bad, f"{len(bad)} patterns rejected; first: {bad[:3]}"


def test_patterns_name_one_canonical_address(snapshot):
    families = Counter()
    for ind in snapshot.indicators():
        pattern = ind["pattern"]
        text = snapshot.ip_of(ind)
        ip = ipaddress.ip_address(text)
        if ip.version == 6:
            assert ip.ipv4_mapped is None, f"IPv4-mapped address must be published as IPv4: {pattern}"
            assert text == ip.compressed and text == text.lower(), f"not RFC 5952 canonical: {pattern}"
            assert pattern == f"[ipv6-addr:value = '{text}']", pattern
        else:
            assert text == str(ip), f"not a canonical dotted quad: {pattern}"
            assert pattern == f"[ipv4-addr:value = '{text}']", pattern
        families[ip.version] += 1
    assert families[4] > 0 and families[6] > 0, f"the simulation should cover both families: {dict(families)}"


def test_indicator_ids_are_uuid5_one_per_ip(snapshot):
    ips = {}
    for ind in snapshot.indicators():
        prefix, _, raw = ind["id"].partition("--")
        assert prefix == "indicator"
        u = uuid.UUID(raw)
        assert str(u) == raw
        assert u.version == 5 and u.variant == uuid.RFC_4122, f"indicator id must be a UUIDv5: {ind['id']}"
        ip = snapshot.ip_of(ind)
        for name in (ip, '{"value":"%s"}' % ip):
            assert u != uuid.uuid5(SCO_NAMESPACE, name), f"indicator id made in the SCO namespace: {ind['id']}"
        assert ip not in ips, f"two indicators for {ip}: {ips[ip]} and {ind['id']}"
        ips[ip] = ind["id"]


def test_indicator_required_fields(snapshot):
    identity = snapshot.objects[0]
    problems = []
    for ind in snapshot.indicators():
        def need(cond, what):
            if not cond:
                problems.append(f"{ind['id']}: {what}")
        need(ind.get("spec_version") == "2.1", "spec_version")
        need(isinstance(ind.get("name"), str) and ind["name"], "name")
        need(isinstance(ind.get("description"), str) and ind["description"], "description")
        need(ind.get("pattern_type") == "stix", "pattern_type")
        need(ind.get("pattern_version") == "2.1", "pattern_version")
        for key in ("created", "modified", "valid_from", "valid_until"):
            need(isinstance(ind.get(key), str) and STIX_TS_MS.match(ind[key]), f"{key} not a millisecond STIX timestamp: {ind.get(key)}")
        if all(isinstance(ind.get(k), str) and STIX_TS_MS.match(ind[k]) for k in ("created", "modified", "valid_from", "valid_until")):
            need(parse_ts(ind["modified"]) >= parse_ts(ind["created"]), "modified < created")
            need(parse_ts(ind["valid_until"]) > parse_ts(ind["valid_from"]), "valid_until <= valid_from")
        types = ind.get("indicator_types")
        need(isinstance(types, list) and types and set(types) <= INDICATOR_TYPES, f"indicator_types {types}")
        conf = ind.get("confidence")
        need(isinstance(conf, int) and not isinstance(conf, bool) and 0 <= conf <= 100, f"confidence {conf}")
        need(ind.get("created_by_ref") == identity["id"], f"created_by_ref {ind.get('created_by_ref')}")
        need(TLP_CLEAR in (ind.get("object_marking_refs") or []), f"object_marking_refs {ind.get('object_marking_refs')}")
        if len(problems) > 20:
            break
    assert not problems, "\n".join(problems[:20])


def test_indicator_context_fields(snapshot):
    """labels, kill_chain_phases and external_references: present on the feed, well formed
    wherever present (an indicator with no behaviour may omit a list rather than send it empty)."""
    counts = Counter()
    problems = []
    for ind in snapshot.indicators():
        for key in ("labels", "kill_chain_phases", "external_references"):
            if key in ind:
                counts[key] += 1
        for label in ind.get("labels", []):
            if not (isinstance(label, str) and label):
                problems.append(f"{ind['id']}: label {label!r}")
        for phase in ind.get("kill_chain_phases", []):
            name, pname = phase.get("kill_chain_name", ""), phase.get("phase_name", "")
            if not (name and pname and name == name.lower() and pname == pname.lower() and " " not in name + pname):
                problems.append(f"{ind['id']}: kill chain phase {phase}")
        for ref in ind.get("external_references", []):
            if not ref.get("source_name") or not ({"url", "external_id", "description"} & set(ref)):
                problems.append(f"{ind['id']}: external reference {ref}")
    n = len(snapshot.indicators())
    types = Counter(t for ind in snapshot.indicators() for t in ind.get("indicator_types", []))
    confidences = sorted(ind.get("confidence", -1) for ind in snapshot.indicators())
    REPORT.append(f"indicator_types: {dict(types)}; confidence min/median/max: "
                  f"{confidences[0]}/{confidences[n // 2]}/{confidences[-1]}")
    REPORT.append(f"indicators with labels: {counts['labels']}/{n}, kill_chain_phases: "
                  f"{counts['kill_chain_phases']}/{n}, external_references: {counts['external_references']}/{n}")
    assert not problems, "\n".join(problems[:20])
    for key in ("labels", "kill_chain_phases", "external_references"):
        assert counts[key] > 0, f"no indicator carries {key}"


def test_identity_object(snapshot):
    ident = snapshot.objects[0]
    assert ident["type"] == "identity"
    assert isinstance(ident.get("name"), str) and ident["name"]
    assert ident.get("identity_class") == "organization", ident
    for key in ("created", "modified"):
        assert STIX_TS_MS.match(ident.get(key, "")), f"identity {key}: {ident.get(key)}"


def test_stix_timestamps_are_utc_milliseconds_everywhere(snapshot):
    bad = []
    for obj in snapshot.objects:
        for key in ("created", "modified", "valid_from", "valid_until"):
            if key in obj and not STIX_TS_MS.match(obj[key]):
                bad.append((obj["id"], key, obj[key]))
    assert not bad, bad[:5]
