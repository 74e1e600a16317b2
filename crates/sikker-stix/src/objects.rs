//! The feed's fixed objects: the producer identity and the TLP:CLEAR marking.

use serde_json::{json, Value};

/// The producer identity every indicator names in `created_by_ref`.
pub const IDENTITY_ID: &str = "identity--e681e343-b8cc-4ed5-b4f0-be8846ec0b72";

/// The STIX 2.1 predefined TLP:WHITE marking, which TLP 2.0 calls TLP:CLEAR.
/// Its id is fixed by the STIX specification; validators accept only the predefined ids.
pub const TLP_CLEAR_ID: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";

/// The identity object. It never changes, so it has one version.
pub fn identity_object() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY_ID,
        "created": "2026-11-24T00:00:00.000Z",
        "modified": "2026-11-24T00:00:00.000Z",
        "name": "sikker",
        "description": "sikker honeypot network: indicators of IP addresses observed attacking its sensors",
        "identity_class": "organization",
        "sectors": ["technology"],
        "object_marking_refs": [TLP_CLEAR_ID]
    })
}

/// The predefined marking-definition object, exactly as the STIX 2.1 specification gives it.
pub fn tlp_clear_marking() -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_CLEAR_ID,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": "TLP:WHITE",
        "definition": { "tlp": "white" }
    })
}
