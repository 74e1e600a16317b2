//! STIX 2.1 objects and TAXII 2.1 resources as sikker publishes them.
//!
//! Pure data and formatting: no HTTP, no storage. The server renders what the store keeps
//! ([`IndicatorInputs`] per indicator version) into STIX through this crate, and builds every
//! TAXII resource (discovery, API root, collection, envelope, manifest, versions, error) here.
//!
//! Invariants:
//! - Indicator ids are `indicator--` + UUIDv5 of the canonical IP under sikker's own namespace
//!   ([`SIKKER_NAMESPACE`]), never the SCO namespace, so one IP is always one indicator.
//! - STIX timestamps carry milliseconds and `Z`; TAXII timestamps carry microseconds and `Z`.
//! - No empty lists are ever emitted: an empty optional list is omitted.

mod indicator;
mod objects;
pub mod taxii;

pub use indicator::{
    indicator_id, indicator_pattern, IndicatorInputs, IndicatorType, KillChainPhase, Technique,
};
pub use objects::{identity_object, tlp_clear_marking, IDENTITY_ID, TLP_CLEAR_ID};
pub use sikker_event::Timestamp;

/// Media type of every TAXII 2.1 response.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// Media type of the STIX 2.1 objects a collection holds.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// sikker's UUIDv5 namespace for deterministic SDO ids (a random v4, fixed forever).
pub const SIKKER_NAMESPACE: uuid::Uuid = uuid::uuid!("9ab70c65-fdb8-4279-958e-f2e1bd01cef8");

/// Renders a STIX timestamp: RFC 3339, UTC, exactly three fraction digits.
pub fn stix_time(t: Timestamp) -> String {
    t.to_rfc3339_millis()
}

/// Renders a TAXII timestamp: RFC 3339, UTC, exactly six fraction digits.
pub fn taxii_time(t: Timestamp) -> String {
    t.to_rfc3339_micros()
}
