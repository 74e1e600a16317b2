//! A regex's dense DFA copied into a flat table, for the one question the matcher asks: does
//! the regex match anywhere in this (short, ASCII) value? Walking `regex-automata`'s DFA byte
//! by byte through its `Automaton` methods costs about 34 instructions a byte (a table view,
//! a class lookup and three range tests per step); this copy takes one lookup and one
//! comparison, like the needle automaton ([`crate::needles`]).
//!
//! States are renumbered: those that go on first, then match states, then dead ones, so a
//! walk tests "is this the end" with one comparison per byte.

use regex_automata::dfa::{dense, Automaton};
use regex_automata::util::primitives::StateID;
use std::collections::hash_map::{Entry, HashMap};

/// The copied DFA.
pub struct FlatDfa {
    /// Byte → equivalence class, as the source DFA has them.
    classes: [u8; 256],
    /// log2 of the row width (the classes, rounded up to a power of two).
    shift: u32,
    /// `table[state + class]` is the next state; states are premultiplied by the row width.
    /// The length is a power of two (unused rows pad it), so a walk masks its index with
    /// `len - 1`, which changes no index and proves it in bounds (as in [`crate::needles`]).
    table: Box<[u32]>,
    start: u32,
    /// States at or above this one end the walk: a match (below `first_dead`) or no match.
    first_special: u32,
    first_dead: u32,
    /// Per walking state (by index, not premultiplied): whether the end of the text makes a
    /// match (`$`, or a match delayed past the last byte).
    eoi_match: Box<[bool]>,
}

/// Why a DFA was not copied.
#[derive(Debug, PartialEq, Eq)]
pub enum NotCopied {
    /// It can give up on some byte (a quit state), which a plain walk cannot express.
    Quits,
    /// It has more states than [`FlatDfa::MAX_STATES`].
    TooLarge,
}

enum Kind {
    Walk,
    Match,
    Dead,
}

impl FlatDfa {
    /// Copies at most this many states.
    pub const MAX_STATES: usize = 1 << 16;

    /// Copies the part of `dfa` reachable from `start`, the state a search from the start of
    /// the text begins in.
    pub fn new(dfa: &dense::DFA<Vec<u32>>, start: StateID) -> Result<FlatDfa, NotCopied> {
        let bc = dfa.byte_classes();
        let mut classes = [0u8; 256];
        // One byte of each class, to take its transitions by.
        let mut representative: Vec<u8> = Vec::new();
        for b in 0..=255u8 {
            let c = bc.get(b);
            classes[usize::from(b)] = c;
            if usize::from(c) == representative.len() {
                representative.push(b);
            }
        }
        let stride = representative.len().next_power_of_two();

        // Breadth-first from the start state; the kind of each state as found.
        let mut index: HashMap<StateID, usize> = HashMap::new();
        let mut order: Vec<(StateID, Kind)> = Vec::new();
        let kind = |s: StateID| -> Result<Kind, NotCopied> {
            if dfa.is_quit_state(s) {
                Err(NotCopied::Quits)
            } else if dfa.is_match_state(s) {
                Ok(Kind::Match)
            } else if dfa.is_dead_state(s) {
                Ok(Kind::Dead)
            } else {
                Ok(Kind::Walk)
            }
        };
        index.insert(start, 0);
        order.push((start, kind(start)?));
        let mut next = 0;
        while let Some(&(s, ref k)) = order.get(next) {
            next += 1;
            if !matches!(k, Kind::Walk) {
                continue;
            }
            for &b in &representative {
                let t = dfa.next_state(s, b);
                if let Entry::Vacant(e) = index.entry(t) {
                    if order.len() >= Self::MAX_STATES {
                        return Err(NotCopied::TooLarge);
                    }
                    e.insert(order.len());
                    order.push((t, kind(t)?));
                }
            }
        }

        // New numbers: walking states, then match states, then dead ones.
        let rank = |k: &Kind| match k {
            Kind::Walk => 0,
            Kind::Match => 1,
            Kind::Dead => 2,
        };
        let mut renumbered: Vec<usize> = (0..order.len()).collect();
        renumbered.sort_by_key(|&i| rank(&order[i].1));
        let mut new_of = vec![0u32; order.len()];
        for (new, &old) in renumbered.iter().enumerate() {
            new_of[old] = (new * stride) as u32;
        }
        let count = |r: usize| order.iter().filter(|(_, k)| rank(k) < r).count();
        let (walking, not_dead) = (count(1), count(2));

        let mut table = vec![0u32; (order.len() * stride).next_power_of_two()];
        let mut eoi_match = vec![false; walking];
        for (new, &old) in renumbered.iter().enumerate().take(walking) {
            let s = order[old].0;
            for (c, &b) in representative.iter().enumerate() {
                let t = dfa.next_state(s, b);
                // Every target was numbered by the search above.
                table[new * stride + c] = index.get(&t).map_or(0, |&i| new_of[i]);
            }
            eoi_match[new] = dfa.is_match_state(dfa.next_eoi_state(s));
        }
        Ok(FlatDfa {
            classes,
            shift: stride.trailing_zeros(),
            table: table.into_boxed_slice(),
            start: new_of[0],
            first_special: (walking * stride) as u32,
            first_dead: (not_dead * stride) as u32,
            eoi_match: eoi_match.into_boxed_slice(),
        })
    }

    /// Whether the regex matches somewhere in `hay`.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        let (table, classes, first_special) = (&*self.table, &self.classes, self.first_special);
        let Some(mask) = table.len().checked_sub(1) else {
            return false;
        };
        // Complete by construction: every state has a full row.
        // Added as u32 (the sum is below the table's length): no zero-extension a byte.
        let step = |s: u32, b: u8| {
            table[s.wrapping_add(u32::from(classes[usize::from(b)])) as usize & mask]
        };
        let mut s = self.start;
        // Four bytes a round, as in the needle scan: the loop's counting is paid once.
        let mut chunks = hay.chunks_exact(4);
        'walk: {
            if s >= first_special {
                break 'walk;
            }
            for chunk in &mut chunks {
                for &b in chunk {
                    s = step(s, b);
                    if s >= first_special {
                        break 'walk;
                    }
                }
            }
            for &b in chunks.remainder() {
                s = step(s, b);
                if s >= first_special {
                    break 'walk;
                }
            }
        }
        if s >= first_special {
            // Match states come one byte late: reaching one means a match ended before here.
            return s < self.first_dead;
        }
        self.eoi_match
            .get((s >> self.shift) as usize)
            .copied()
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::util::{start, syntax};
    use regex_automata::Anchored;

    fn flat(pattern: &str, case_insensitive: bool) -> FlatDfa {
        let dfa = dense::Builder::new()
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(case_insensitive),
            )
            .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
            .build(pattern)
            .unwrap();
        let s = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .unwrap();
        FlatDfa::new(&dfa, s).unwrap()
    }

    const PATTERNS: &[&str] = &[
        r"^ls( .*)?$",
        r"^echo\s+\S{1,12}$",
        r"\bwget\b",
        r"(rm|>|shred).*\.bash_history",
        r"^[a-z]+://\d{1,3}(\.\d{1,3}){3}([:/]|$)",
        r"[./_-](x86|mips|arm[4-7]?)$",
        r"a*",
        r"$",
        r"^",
        r"x|^y|z$",
        r"(?-i:ABC)d",
    ];

    #[test]
    fn agrees_with_the_regex_crate_on_examples() {
        let hay = [
            "",
            "ls",
            "ls -la",
            "lsx",
            "echo ok",
            "echo 0123456789abc",
            "echo",
            "wget x",
            "xwget",
            "rm ~/.bash_history",
            "cat .bash_history",
            "http://1.2.3.4/x",
            "HTTP://1.2.3.4:80",
            "http://1.2.3/x",
            "a.mips",
            "a.arm7",
            "a.arm9",
            "y",
            "zy",
            "yz",
            "ABCd",
            "abcD",
            "\t",
            "\x7f",
            "~~~~",
        ];
        for p in PATTERNS {
            for ci in [false, true] {
                let f = flat(p, ci);
                let r = regex::RegexBuilder::new(p)
                    .case_insensitive(ci)
                    .build()
                    .unwrap();
                for h in hay {
                    assert_eq!(f.is_match(h.as_bytes()), r.is_match(h), "{p:?} {ci} {h:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_regex_crate_on_any_ascii(
            i in 0..PATTERNS.len(),
            ci: bool,
            hay in "[ -~\t\n]{0,24}",
        ) {
            let p = PATTERNS[i];
            let r = regex::RegexBuilder::new(p).case_insensitive(ci).build().unwrap();
            proptest::prop_assert_eq!(flat(p, ci).is_match(hay.as_bytes()), r.is_match(&hay));
        }
    }

    #[test]
    fn a_dfa_that_can_give_up_is_not_copied() {
        // A Unicode `\b` makes the DFA quit on non-ASCII bytes.
        let dfa = dense::Builder::new()
            .configure(dense::Config::new().unicode_word_boundary(true))
            .build(r"\bx\b")
            .unwrap();
        let s = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .unwrap();
        assert_eq!(FlatDfa::new(&dfa, s).err(), Some(NotCopied::Quits));
    }
}
