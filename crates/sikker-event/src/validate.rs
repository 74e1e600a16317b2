//! Batch parsing and validation. A batch is rejected whole only when it cannot be split into
//! events at all; otherwise every event stands or falls on its own, with a reason.

use crate::{Event, EventData};
use serde_json::value::RawValue;
use thiserror::Error;

/// Bounds an event must respect; anything larger is rejected with a reason, never truncated.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_events: usize,
    pub max_event_bytes: usize,
    pub max_text: usize,
    pub max_sensor_name: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 50_000,
            max_event_bytes: 2 * 1024 * 1024,
            max_text: 256 * 1024,
            max_sensor_name: 128,
        }
    }
}

/// Why one event of a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("event {index}{}: {reason}", id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
pub struct EventError {
    /// Position in the batch, from 0 (for NDJSON: the line number, from 0, blank lines counted).
    pub index: usize,
    /// The event's `id` when it could be read.
    pub id: Option<String>,
    pub reason: String,
}

/// One element of a parsed batch.
pub type BatchItem = Result<Event, EventError>;

/// Splits a JSON array or NDJSON body into events and validates each.
/// Errors only when the body as a whole is unreadable (bad array syntax, too many events).
pub fn parse_batch(body: &[u8], limits: &Limits) -> Result<Vec<BatchItem>, String> {
    let text = std::str::from_utf8(body).map_err(|e| {
        format!(
            "body is not UTF-8: invalid byte at offset {}",
            e.valid_up_to()
        )
    })?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err("empty body: expected a JSON array of events or NDJSON".into());
    }
    if trimmed.starts_with('[') {
        let raws: Vec<&RawValue> = serde_json::from_str(trimmed).map_err(|e| {
            format!(
                "body is not a JSON array of events (line {}, column {}): {e}",
                e.line(),
                e.column()
            )
        })?;
        if raws.len() > limits.max_events {
            return Err(format!(
                "batch has {} events; the limit is {}",
                raws.len(),
                limits.max_events
            ));
        }
        Ok(raws
            .iter()
            .enumerate()
            .map(|(i, raw)| parse_one(i, raw.get(), limits))
            .collect())
    } else {
        let mut out = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if out.len() >= limits.max_events {
                return Err(format!("batch has more than {} events", limits.max_events));
            }
            out.push(parse_one(i, line, limits));
        }
        if out.is_empty() {
            return Err("no events in body".into());
        }
        Ok(out)
    }
}

fn parse_one(index: usize, text: &str, limits: &Limits) -> BatchItem {
    let fail = |id: Option<String>, reason: String| EventError { index, id, reason };
    if text.len() > limits.max_event_bytes {
        return Err(fail(
            None,
            format!(
                "event is {} bytes; the limit is {}",
                text.len(),
                limits.max_event_bytes
            ),
        ));
    }
    match serde_json::from_str::<Event>(text) {
        Ok(event) => {
            let id = event.id.to_string();
            validate(&event, limits).map_err(|reason| fail(Some(id), reason))?;
            Ok(event)
        }
        Err(e) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned));
            Err(fail(id, e.to_string()))
        }
    }
}

/// Checks what serde cannot: sizes, non-empty names, sane times and ports.
pub fn validate(e: &Event, limits: &Limits) -> Result<(), String> {
    if e.sensor.is_empty() || e.sensor.len() > limits.max_sensor_name {
        return Err(format!(
            "sensor name must be 1..={} bytes",
            limits.max_sensor_name
        ));
    }
    if e.sensor.chars().any(char::is_control) {
        return Err("sensor name contains control characters".into());
    }
    // 2000-01-01 .. 2100-01-01: anything else is a broken clock, not an event.
    if !(946_684_800_000_000..4_102_444_800_000_000).contains(&e.ts.0) {
        return Err(format!("ts {} is outside 2000..2100", e.ts));
    }
    if e.id.is_nil() || e.session.is_nil() {
        return Err("id and session must not be the nil UUID".into());
    }
    let text_ok = |what: &str, s: &str| {
        if s.len() > limits.max_text {
            Err(format!(
                "{what} is {} bytes; the limit is {}",
                s.len(),
                limits.max_text
            ))
        } else {
            Ok(())
        }
    };
    match &e.data {
        EventData::Connect => Ok(()),
        EventData::Auth(a) => {
            text_ok("username", &a.username)?;
            text_ok("password", a.password.as_deref().unwrap_or(""))?;
            text_ok(
                "key_fingerprint",
                a.key_fingerprint.as_deref().unwrap_or(""),
            )
        }
        EventData::Input { .. } | EventData::Output { .. } => Ok(()),
        EventData::Command { line } => text_ok("line", line),
        EventData::Request(r) => {
            text_ok("method", r.method.as_deref().unwrap_or(""))?;
            text_ok("target", r.target.as_deref().unwrap_or(""))?;
            if r.headers.len() > 256 || r.args.len() > 4096 || r.fields.len() > 256 {
                return Err("request has too many headers, args or fields".into());
            }
            Ok(())
        }
        EventData::Upload(t) | EventData::Download(t) => {
            text_ok("url", t.url.as_deref().unwrap_or(""))?;
            text_ok("name", t.name.as_deref().unwrap_or(""))?;
            if let Some(h) = &t.sha256 {
                if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("sha256 must be 64 hex digits".into());
                }
            }
            Ok(())
        }
        EventData::Disconnect(d) => text_ok("reason", &d.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"0190c7b4-0000-7000-8000-000000000001","sensor":"s1","session":"0190c7b4-0000-7000-8000-0000000000aa","ts":"2026-11-24T07:00:00Z","protocol":"ssh","src_ip":"203.0.113.9","src_port":40000,"dst_port":22,"kind":"command","line":"id"}"#;

    #[test]
    fn array_with_one_bad_event_keeps_the_rest() {
        let bad = GOOD.replace("\"ssh\"", "\"gopher\"");
        let body = format!("[{GOOD},{bad}]");
        let items = parse_batch(body.as_bytes(), &Limits::default()).unwrap();
        assert!(items[0].is_ok());
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.index, 1);
        assert_eq!(
            err.id.as_deref(),
            Some("0190c7b4-0000-7000-8000-000000000001")
        );
        assert!(err.reason.contains("gopher"), "{}", err.reason);
    }

    #[test]
    fn ndjson_lines_are_independent() {
        let body = format!("{GOOD}\n{{not json\n\n{GOOD}\n");
        let items = parse_batch(body.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[2].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().index, 1);
    }

    #[test]
    fn whole_body_errors_are_precise() {
        let limits = Limits::default();
        assert!(parse_batch(b"", &limits).unwrap_err().contains("empty"));
        assert!(parse_batch(b"[{\"id\":", &limits)
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_batch(&[0xff, 0xfe], &limits)
            .unwrap_err()
            .contains("UTF-8"));
        let small = Limits {
            max_events: 1,
            ..Limits::default()
        };
        let two = format!("[{GOOD},{GOOD}]");
        assert!(parse_batch(two.as_bytes(), &small)
            .unwrap_err()
            .contains("limit is 1"));
    }

    #[test]
    fn semantic_checks() {
        let old = GOOD.replace("2026-11-24", "1970-01-02");
        let items = parse_batch(old.as_bytes(), &Limits::default()).unwrap();
        assert!(items[0].as_ref().unwrap_err().reason.contains("outside"));
        let long = GOOD.replace("\"id\"}", &format!("\"{}\"}}", "a".repeat(300_000)));
        let items = parse_batch(long.as_bytes(), &Limits::default()).unwrap();
        assert!(items[0].as_ref().unwrap_err().reason.contains("line is"));
    }
}
