//! One pass over a value finds every literal needle of a field: an Aho-Corasick automaton,
//! ASCII case-insensitive, compiled to a dense DFA over byte classes. Needles that only count
//! at the start of a value (EQUALS values, a wildcard's leading literal, a `^` regex's
//! prefixes) sit in the same automaton behind a virtual start-of-value symbol, which the scan
//! feeds once before the first byte: a value costs one table lookup per byte, whatever the
//! number of needles, and no separate probe for the anchored ones.
//!
//! States with outputs are numbered last, so the scan loop tests a hit with one comparison.

/// A needle a scan can report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// ASCII case is folded; other bytes match exactly.
    pub bytes: Vec<u8>,
    /// Counts only when the value starts with it.
    pub anchored: bool,
}

/// The compiled automaton.
pub struct Needles {
    /// Byte → class; ASCII letters share their lower-case class. Class 0 is "no needle uses it".
    classes: [u8; 256],
    /// log2 of the row width: the classes plus the start-of-value symbol, rounded up to a
    /// power of two so that a match state's row is found by a shift, not a division.
    shift: u32,
    /// `table[state + class]` is the next state; states are premultiplied by `stride`. The
    /// length is a power of two (unused rows pad it), so a lookup masks its index with
    /// `len - 1`: that changes no index and proves it in bounds, one instruction a byte
    /// where the bounds check took a compare and a branch.
    table: Box<[u32]>,
    /// The state after the start-of-value symbol: where every scan begins.
    start: u32,
    /// The state with nothing matched, and — when few bytes lead out of it — which ones do:
    /// the scan then skips through text no needle can start in without walking the table.
    root: u32,
    leaves_root: Option<Box<Skip>>,
    /// States at or above this one end at least one needle.
    first_match: u32,
    /// Per match state (`(state - first_match) >> shift`): its range in `out`.
    out_range: Box<[(u32, u32)]>,
    /// Needle ids, grouped by match state, each group in needle order.
    out: Box<[u32]>,
}

/// Where a scan in the root state may jump ahead: the bytes that leave it, and the byte pairs
/// (bit `first * 256 + second`) after which it is back in the root with no hit on the way.
struct Skip {
    leaves: [bool; 256],
    back_to_root: [u64; 1024],
}

/// What stops a build: a catalog whose needles would make the table too large.
#[derive(Debug)]
pub struct TooLarge {
    pub bytes: usize,
}

impl Needles {
    /// Bytes the transition table may take.
    pub const MAX_TABLE_BYTES: usize = 64 << 20;
    /// With at most this many byte values leaving the root, a scan skips ahead to the next of
    /// them instead of walking the table byte by byte (a few needles, e.g. `curl`, `wget`).
    const MAX_SKIP_BYTES: usize = 16;

    /// Compiles `needles` (ids are their positions). Empty needles are ignored: they would
    /// match everywhere, and validation rejects them anyway.
    pub fn new(needles: &[Needle]) -> Result<Needles, TooLarge> {
        let mut classes = [0u8; 256];
        let mut next_class = 1usize;
        for n in needles {
            for &b in &n.bytes {
                let b = b.to_ascii_lowercase();
                if classes[usize::from(b)] == 0 {
                    // 102 folded ASCII classes and 128 other bytes at most: always fits.
                    let class = u8::try_from(next_class).unwrap_or(u8::MAX);
                    classes[usize::from(b)] = class;
                    classes[usize::from(b.to_ascii_uppercase())] = class;
                    next_class += 1;
                }
            }
        }
        let sentinel = next_class;
        let stride = (sentinel + 1).next_power_of_two();
        const NONE: u32 = u32::MAX;

        // The trie, dense by class; state 0 is the root.
        let mut trie: Vec<u32> = vec![NONE; stride];
        let mut outputs: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, n) in needles.iter().enumerate() {
            if n.bytes.is_empty() {
                continue;
            }
            let mut s = 0usize;
            let symbols = n.anchored.then_some(sentinel).into_iter().chain(
                n.bytes
                    .iter()
                    .map(|&b| usize::from(classes[usize::from(b)])),
            );
            for c in symbols {
                let t = trie[s * stride + c];
                s = if t == NONE {
                    let new = outputs.len();
                    if (new + 1) * stride * 4 > Self::MAX_TABLE_BYTES {
                        return Err(TooLarge {
                            bytes: (new + 1) * stride * 4,
                        });
                    }
                    trie[s * stride + c] = new as u32;
                    trie.extend(std::iter::repeat_n(NONE, stride));
                    outputs.push(Vec::new());
                    new
                } else {
                    t as usize
                };
            }
            outputs[s].push(id as u32);
        }

        // Failure links in breadth-first order turn the trie into a complete DFA; each state
        // inherits the outputs of its failure state (needles that end as its suffix).
        let states = outputs.len();
        let mut fail = vec![0u32; states];
        let mut queue = std::collections::VecDeque::new();
        for next in trie.iter_mut().take(stride) {
            match *next {
                NONE => *next = 0,
                t => {
                    fail[t as usize] = 0;
                    queue.push_back(t);
                }
            }
        }
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
            for c in 0..stride {
                let t = trie[s * stride + c];
                let via_fail = trie[fail[s] as usize * stride + c];
                if t == NONE {
                    trie[s * stride + c] = via_fail;
                } else {
                    fail[t as usize] = via_fail;
                    let inherited = outputs[via_fail as usize].clone();
                    let own = &mut outputs[t as usize];
                    own.extend(inherited);
                    own.sort_unstable();
                    own.dedup();
                    queue.push_back(t);
                }
            }
        }

        // Renumber: states without outputs first, then match states; premultiply.
        let mut order: Vec<usize> = (0..states).filter(|&s| outputs[s].is_empty()).collect();
        let plain = order.len();
        order.extend((0..states).filter(|&s| !outputs[s].is_empty()));
        let mut new_id = vec![0u32; states];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = (new * stride) as u32;
        }
        // Padded to a power of two for `index_mask`; the padding's pages are never touched.
        let mut table = vec![0u32; (states * stride).next_power_of_two()];
        let mut out_range = Vec::with_capacity(states - plain);
        let mut out = Vec::new();
        for (new, &old) in order.iter().enumerate() {
            for c in 0..stride {
                table[new * stride + c] = new_id[trie[old * stride + c] as usize];
            }
            if new >= plain {
                let from = out.len() as u32;
                out.extend_from_slice(&outputs[old]);
                out_range.push((from, out.len() as u32));
            }
        }
        let root = new_id[0];
        let start = table[root as usize + sentinel];
        let mut leaves = [false; 256];
        for (b, leaves) in leaves.iter_mut().enumerate() {
            *leaves = table[root as usize + usize::from(classes[b])] != root;
        }
        let leaves_root =
            (leaves.iter().filter(|&&l| l).count() <= Self::MAX_SKIP_BYTES).then(|| {
                let mut back_to_root = [0u64; 1024];
                let first_match = (plain * stride) as u32;
                // Only pairs whose first byte leaves the root are ever looked up.
                for b0 in (0..256usize).filter(|&b| leaves[b]) {
                    let q = table[root as usize + usize::from(classes[b0])];
                    if q >= first_match {
                        continue;
                    }
                    for b1 in 0..256usize {
                        if table[q as usize + usize::from(classes[b1])] == root {
                            let bit = b0 * 256 + b1;
                            back_to_root[bit / 64] |= 1 << (bit % 64);
                        }
                    }
                }
                Box::new(Skip {
                    leaves,
                    back_to_root,
                })
            });
        Ok(Needles {
            classes,
            shift: stride.trailing_zeros(),
            table: table.into_boxed_slice(),
            start,
            root,
            leaves_root,
            first_match: (plain * stride) as u32,
            out_range: out_range.into_boxed_slice(),
            out: out.into_boxed_slice(),
        })
    }

    /// Calls `hit(needle, end)` for every occurrence of every needle in `hay` (anchored ones
    /// only at the start), in order of `end`; `end` is the byte offset just past it.
    ///
    /// The loops take the callback as `dyn`, called out of line through [`Needles::report`]:
    /// hits are rare next to the bytes scanned, and a callback inlined into the loop spills
    /// the loop's own registers. The loops themselves are inlined into the caller, which
    /// saves a call and its set-up per value scanned (about forty a session).
    #[inline]
    pub fn scan(&self, hay: &[u8], hit: &mut dyn FnMut(u32, usize)) {
        let mut sink = Report { needles: self, hit };
        self.scan_into(hay, &mut sink);
    }

    /// [`Needles::scan`] into `found`, as (match, end) pairs in order of `end`, where the
    /// needles of a match are [`Needles::needles_of`]; `None` when there are more matches than
    /// `found` holds (the caller then scans with [`Needles::scan`]). The caller walks the
    /// matches itself: no out-of-line report and indirect call per hit.
    #[inline]
    pub fn gather(&self, hay: &[u8], found: &mut [(u32, u32); GATHERED]) -> Option<usize> {
        if u32::try_from(hay.len()).is_err() {
            return None;
        }
        let mut sink = Gather { found, len: 0 };
        self.scan_into(hay, &mut sink).then_some(sink.len)
    }

    /// The needles that end where match `m` ([`Needles::gather`]) is found, in needle order.
    #[inline]
    pub fn needles_of(&self, m: u32) -> &[u32] {
        self.needles_at(self.match_number(m))
    }

    /// Match `m` ([`Needles::gather`]) numbered from 0, below [`Needles::match_count`].
    #[inline]
    pub fn match_number(&self, m: u32) -> usize {
        (m.wrapping_sub(self.first_match) >> self.shift) as usize
    }

    /// How many distinct matches there are (states that end a needle).
    pub fn match_count(&self) -> usize {
        self.out_range.len()
    }

    /// The needles of the match numbered `k`, in needle order.
    #[inline]
    pub fn needles_at(&self, k: usize) -> &[u32] {
        self.out_range
            .get(k)
            .and_then(|&(from, to)| self.out.get(from as usize..to as usize))
            .unwrap_or(&[])
    }

    /// Runs the scan that suits the automaton; false when `sink` gave up.
    #[inline(always)]
    fn scan_into<S: Sink>(&self, hay: &[u8], sink: &mut S) -> bool {
        match &self.leaves_root {
            Some(skip) => self.scan_skipping(hay, skip, sink),
            None => self.scan_dense(hay, sink),
        }
    }

    #[inline]
    fn scan_dense<S: Sink>(&self, hay: &[u8], sink: &mut S) -> bool {
        let (table, classes, first_match) = (&*self.table, &self.classes, self.first_match);
        let Some(mask) = table.len().checked_sub(1) else {
            return true;
        };
        let mut s = self.start;
        // The table is complete by construction: every state has a row of `stride`.
        // Added as u32 (the sum is below the table's length): no zero-extension a byte.
        let step = |s: u32, b: u8| {
            table[s.wrapping_add(u32::from(classes[usize::from(b)])) as usize & mask]
        };
        // Four bytes a round: the loop's own counting (four instructions) is paid once.
        let mut chunks = hay.chunks_exact(4);
        while let Some(chunk) = chunks.next() {
            for (k, &b) in chunk.iter().enumerate() {
                s = step(s, b);
                if s >= first_match {
                    // Where this chunk starts, from what is still ahead: no offset is kept
                    // in a register through the loop.
                    let at = hay.len() - 4 * (chunks.len() + 1) - chunks.remainder().len();
                    if !sink.hit(s, at + k + 1) {
                        return false;
                    }
                }
            }
        }
        let at = hay.len() - chunks.remainder().len();
        for (k, &b) in chunks.remainder().iter().enumerate() {
            s = step(s, b);
            if s >= first_match && !sink.hit(s, at + k + 1) {
                return false;
            }
        }
        true
    }

    #[inline]
    fn scan_skipping<S: Sink>(&self, hay: &[u8], skip: &Skip, sink: &mut S) -> bool {
        let mut s = self.start;
        let mut i = 0;
        while i < hay.len() {
            if s == self.root {
                // Jump to the next byte that leaves the root and does not fall straight back.
                while let Some(&b) = hay.get(i) {
                    if !skip.leaves[usize::from(b)] {
                        i += 1;
                        continue;
                    }
                    let pair = match hay.get(i + 1) {
                        Some(&next) => usize::from(b) * 256 + usize::from(next),
                        None => break,
                    };
                    if skip.back_to_root[pair / 64] & (1 << (pair % 64)) == 0 {
                        break;
                    }
                    i += 2;
                }
                if i >= hay.len() {
                    return true;
                }
            }
            s = self.step(s, hay[i]);
            i += 1;
            if s >= self.first_match && !sink.hit(s, i) {
                return false;
            }
        }
        true
    }

    /// What a caller that walks the automaton itself ([`crate::line_scan`]) needs: the
    /// table (its length a power of two), the byte classes, the state every scan of a value
    /// begins in (after the start-of-value symbol), and the first match state (states at
    /// or above it end a needle: a match [`Needles::gather`] records as `(state, end)`).
    /// The next state is `table[(state + classes[byte]) & (table.len() - 1)]`.
    #[inline]
    pub(crate) fn parts(&self) -> (&[u32], &[u8; 256], u32, u32) {
        (&self.table, &self.classes, self.start, self.first_match)
    }

    #[inline(always)]
    fn step(&self, s: u32, b: u8) -> u32 {
        let mask = self.table.len().wrapping_sub(1);
        self.table[(s as usize + usize::from(self.classes[usize::from(b)])) & mask]
    }

    #[cold]
    #[inline(never)]
    fn report(&self, s: u32, end: usize, hit: &mut dyn FnMut(u32, usize)) {
        for &n in self.needles_of(s) {
            hit(n, end);
        }
    }

    /// Bytes of the transition table.
    #[cfg(test)]
    pub fn table_bytes(&self) -> usize {
        self.table.len() * 4
    }
}

/// How many matches [`Needles::gather`] takes from one text.
pub const GATHERED: usize = 8;

/// Where a scan puts the match states it reaches; `hit` says whether to go on.
trait Sink {
    fn hit(&mut self, state: u32, end: usize) -> bool;
}

/// Each hit reported at once, needle by needle, through an out-of-line call.
struct Report<'a, 'h> {
    needles: &'a Needles,
    hit: &'h mut dyn FnMut(u32, usize),
}

impl Sink for Report<'_, '_> {
    #[inline(always)]
    fn hit(&mut self, state: u32, end: usize) -> bool {
        self.needles.report(state, end, self.hit);
        true
    }
}

/// Hits written to a small array, until it is full.
struct Gather<'a> {
    found: &'a mut [(u32, u32); GATHERED],
    len: usize,
}

impl Sink for Gather<'_> {
    #[inline(always)]
    fn hit(&mut self, state: u32, end: usize) -> bool {
        match self.found.get_mut(self.len) {
            Some(slot) => {
                // `gather` scans no text longer than u32::MAX.
                *slot = (state, end as u32);
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(needles: &[(&str, bool)], hay: &str) -> Vec<(u32, usize)> {
        let v: Vec<Needle> = needles
            .iter()
            .map(|(s, a)| Needle {
                bytes: s.as_bytes().to_vec(),
                anchored: *a,
            })
            .collect();
        let n = Needles::new(&v).unwrap();
        let mut out = Vec::new();
        n.scan(hay.as_bytes(), &mut |id, end| out.push((id, end)));
        // Gathering gives the same hits, or gives up when there are more matches than it holds.
        let mut found = [(0, 0); GATHERED];
        match n.gather(hay.as_bytes(), &mut found) {
            Some(len) => {
                let gathered: Vec<(u32, usize)> = found[..len]
                    .iter()
                    .flat_map(|&(m, end)| n.needles_of(m).iter().map(move |&id| (id, end as usize)))
                    .collect();
                assert_eq!(gathered, out, "{hay:?}");
            }
            None => {
                let matches: std::collections::BTreeSet<usize> = out.iter().map(|h| h.1).collect();
                assert!(matches.len() > GATHERED, "{hay:?}");
            }
        }
        out
    }

    /// Every occurrence, found the slow way: the oracle for the automaton.
    fn brute(needles: &[(&str, bool)], hay: &str) -> Vec<(u32, usize)> {
        let hay = hay.as_bytes();
        let mut out = Vec::new();
        for end in 1..=hay.len() {
            for (id, (s, anchored)) in needles.iter().enumerate() {
                let s = s.as_bytes();
                if s.is_empty() || s.len() > end || (*anchored && s.len() != end) {
                    continue;
                }
                if hay[end - s.len()..end].eq_ignore_ascii_case(s) {
                    out.push((id as u32, end));
                }
            }
        }
        out
    }

    #[test]
    fn overlapping_anchored_and_case_folded() {
        let needles = [
            ("chmod 777", false),
            ("777", false),
            ("cd", true),
            ("cd /tmp", true),
            ("/tmp", false),
            ("é", false),
            ("", false),
        ];
        for hay in [
            "cd /tmp; CHMOD 777 x",
            "echo cd /tmp",
            "Cd /TMP",
            "xé/tmp",
            "",
            "c",
            "777777",
        ] {
            assert_eq!(hits(&needles, hay), brute(&needles, hay), "{hay:?}");
        }
        assert_eq!(hits(&[("cd", true)], "cd cd"), [(0, 2)]);
        // More matches than one gathering holds: the scan's answer all the same.
        let many = "777 ".repeat(GATHERED + 3);
        assert_eq!(hits(&needles, &many), brute(&needles, &many));
    }

    #[test]
    fn many_first_bytes_scan_without_skipping() {
        let words: Vec<String> = ('a'..='z').map(|c| format!("{c}x{c}")).collect();
        let mut needles: Vec<(&str, bool)> = words.iter().map(|w| (w.as_str(), false)).collect();
        needles.push(("q", true));
        let v: Vec<Needle> = needles
            .iter()
            .map(|(s, a)| Needle {
                bytes: s.as_bytes().to_vec(),
                anchored: *a,
            })
            .collect();
        assert!(Needles::new(&v).unwrap().leaves_root.is_none());
        for hay in ["qxqaxa", "AXAXA bxbxb", "zxz", "q", "xqxq"] {
            assert_eq!(hits(&needles, hay), brute(&needles, hay), "{hay:?}");
        }
    }

    #[test]
    fn agrees_with_brute_force_on_many_inputs() {
        let needles = [
            ("ab", false),
            ("bab", false),
            ("a", true),
            ("abab", true),
            ("b", false),
            ("ba", true),
        ];
        // Every string over {a, b, A, x} up to length 6.
        let alphabet = ['a', 'b', 'A', 'x'];
        let mut hay = vec![String::new()];
        for _ in 0..6 {
            let next: Vec<String> = hay
                .iter()
                .flat_map(|h| alphabet.iter().map(move |c| format!("{h}{c}")))
                .collect();
            for h in &next {
                assert_eq!(hits(&needles, h), brute(&needles, h), "{h:?}");
            }
            hay = next;
        }
    }
}
