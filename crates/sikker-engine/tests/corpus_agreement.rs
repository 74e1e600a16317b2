//! The benchmark's realistic corpus as a test: every fast path (cold, line cache) must agree
//! with the naive one-primitive-at-a-time classifier on every generated session, and the
//! corpus must stay realistic (most sessions classify to a behavior).

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use proptest::prelude::*;
use sikker_engine::Engine;
use sikker_event::Event;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fn agree(events: &[Event]) -> Result<(), TestCaseError> {
    let naive = engine().classify_naive(events);
    prop_assert_eq!(&engine().classify_uncached(events), &naive);
    prop_assert_eq!(&engine().classify(events), &naive);
    Ok(())
}

#[test]
fn fast_paths_agree_with_naive_on_the_corpus() {
    let sessions = corpus::sessions(0x5EED_2024, 512);
    let mut classified = 0;
    for (scenario, events) in &sessions {
        let naive = engine().classify_naive(events);
        assert_eq!(engine().classify_uncached(events), naive, "{scenario:?}");
        assert_eq!(engine().classify(events), naive, "{scenario:?}");
        classified += usize::from(naive.outcome.behavior().is_some());
    }
    assert!(
        classified * 10 >= sessions.len() * 8,
        "only {classified} of {} corpus sessions classify: the corpus or the catalog drifted",
        sessions.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any seed, and any subset of two sessions' events glued together (so behaviors mix and
    /// exact-set matching is exercised on sets no scenario produces on its own).
    #[test]
    fn fast_paths_agree_with_naive_on_generated_sessions(
        seed in any::<u64>(),
        keep in prop::collection::vec(any::<bool>(), 42),
    ) {
        let mut rng = corpus::Rng::new(seed);
        let (_, a) = corpus::session(&mut rng, uuid::Uuid::from_u128(1));
        let (_, b) = corpus::session(&mut rng, uuid::Uuid::from_u128(1));
        agree(&a)?;
        let mixed: Vec<Event> = a
            .iter()
            .chain(b.iter())
            .zip(keep.iter().cycle())
            .filter(|(_, k)| **k)
            .map(|(e, _)| e.clone())
            .collect();
        agree(&mixed)?;
    }
}
