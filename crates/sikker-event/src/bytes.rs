//! Raw bytes on the wire: standard base64 in JSON, so no byte the attacker sent is lost.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct RawBytes(pub Vec<u8>);

impl RawBytes {
    /// The bytes as text, with invalid UTF-8 replaced; for matching, never for storage.
    pub fn to_text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl std::fmt::Debug for RawBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawBytes({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl From<Vec<u8>> for RawBytes {
    fn from(v: Vec<u8>) -> Self {
        RawBytes(v)
    }
}

impl From<&[u8]> for RawBytes {
    fn from(v: &[u8]) -> Self {
        RawBytes(v.to_vec())
    }
}

impl Serialize for RawBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for RawBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(s.as_bytes())
            .map(RawBytes)
            .map_err(|e| serde::de::Error::custom(format!("bytes must be standard base64: {e}")))
    }
}
