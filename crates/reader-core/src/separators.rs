//! Separators for `readuntil`, and finding them.
//!
//! asyncio 3.13 accepts one separator or a tuple of them. With several, the
//! match that *ends* first wins, and of two matches that end at the same
//! place the shorter separator wins. asyncio gets that tie-break by sorting
//! the tuple by length; comparing (end, length) directly gives the same
//! answer without sorting, so nothing here allocates.

use crate::error::InvalidArgument;
use alloc::vec::Vec;
use memchr::{memchr, memchr2, memchr3, memmem};

/// What `readuntil` looks for: one separator, or several alternatives.
///
/// Build it from a byte string (`b"\r\n"`) for one separator, or from a
/// slice of byte strings for alternatives:
///
/// ```
/// use reader_core::Separators;
/// let one: Separators = b"\r\n".into();
/// let list: &[&[u8]] = &[b"\r\n", b"\n"];
/// let any: Separators = list.into();
/// assert_eq!(one.longest(), 2);
/// assert_eq!(any.shortest(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separators<'a> {
    /// A single separator.
    One(&'a [u8]),
    /// Several alternatives (asyncio's tuple of separators).
    Any(&'a [&'a [u8]]),
}

impl<'a> Separators<'a> {
    /// Checks the separators as asyncio does: an empty list, then an empty
    /// member.
    #[inline]
    pub fn validate(&self) -> Result<(), InvalidArgument> {
        match self {
            Separators::One([]) => Err(InvalidArgument::EmptySeparator),
            Separators::One(_) => Ok(()),
            Separators::Any([]) => Err(InvalidArgument::NoSeparators),
            Separators::Any(list) if list.iter().any(|s| s.is_empty()) => {
                Err(InvalidArgument::EmptySeparator)
            }
            Separators::Any(_) => Ok(()),
        }
    }

    /// Length of the longest separator (0 for an empty list).
    #[must_use]
    pub fn longest(&self) -> usize {
        match self {
            Separators::One(sep) => sep.len(),
            Separators::Any(list) => list.iter().map(|s| s.len()).max().unwrap_or(0),
        }
    }

    /// Length of the shortest separator (0 for an empty list).
    #[must_use]
    pub fn shortest(&self) -> usize {
        match self {
            Separators::One(sep) => sep.len(),
            Separators::Any(list) => list.iter().map(|s| s.len()).min().unwrap_or(0),
        }
    }

    fn as_slice(&self) -> &[&'a [u8]] {
        match self {
            Separators::One(sep) => core::slice::from_ref(sep),
            Separators::Any(list) => list,
        }
    }
}

impl<'a> From<&'a [u8]> for Separators<'a> {
    fn from(sep: &'a [u8]) -> Self {
        Separators::One(sep)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Separators<'a> {
    fn from(sep: &'a [u8; N]) -> Self {
        Separators::One(sep)
    }
}

impl<'a> From<&'a [&'a [u8]]> for Separators<'a> {
    fn from(list: &'a [&'a [u8]]) -> Self {
        Separators::Any(list)
    }
}

impl<'a, const N: usize> From<&'a [&'a [u8]; N]> for Separators<'a> {
    fn from(list: &'a [&'a [u8]; N]) -> Self {
        Separators::Any(list)
    }
}

/// A separator found in the buffer: `data[start..end]` is the separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The earliest-ending separator that starts at or after `from`.
///
/// Inlined so that `readline`'s constant `b"\n"` reduces it to one
/// `memchr`; the longer cases are calls.
#[inline(always)]
pub(crate) fn find(hay: &[u8], from: usize, seps: Separators<'_>) -> Option<Found> {
    match seps {
        // `readline` and every one-byte separator: a single `memchr`.
        Separators::One(&[byte]) => {
            let start = from + memchr(byte, hay.get(from..)?)?;
            Some(Found {
                start,
                end: start + 1,
            })
        }
        // `\r\n` and every two-byte separator: `memchr` for the last byte,
        // then one comparison.
        Separators::One(&[first, last]) => {
            let mut pos = from.checked_add(1)?;
            loop {
                let end = pos + memchr(last, hay.get(pos..)?)? + 1;
                if hay[end - 2] == first {
                    return Some(Found {
                        start: end - 2,
                        end,
                    });
                }
                pos = end;
            }
        }
        Separators::One(sep) => find_long(hay, from, sep),
        Separators::Any(list) => find_any(hay, from, list),
    }
}

/// [`find`] for one separator of three bytes or more.
fn find_long(hay: &[u8], from: usize, sep: &[u8]) -> Option<Found> {
    find_one(hay, from, sep).map(|start| Found {
        start,
        end: start + sep.len(),
    })
}

/// Whether a separator may start at or after offset `from` of the data
/// that `segments` hold in order, including one that straddles segments;
/// without copying the segments together. `false` is exact; `true` may
/// be a separator that starts before `from` (the caller's exact search
/// settles it).
///
/// Segments that end before `from` are not searched. Straddling matches
/// are looked for in a window of the last `longest - 1` bytes seen so far
/// and the first `longest - 1` bytes of the next segment.
pub(crate) fn may_find_in<'a>(
    segments: impl Iterator<Item = &'a [u8]>,
    from: usize,
    seps: Separators<'_>,
) -> bool {
    let reach = seps.longest().saturating_sub(1);
    let mut tail: Vec<u8> = Vec::new();
    let mut offset = 0usize;
    for seg in segments {
        let end = offset.saturating_add(seg.len());
        if end > from {
            if reach > 0 && !tail.is_empty() {
                let mut window = tail.clone();
                window.extend_from_slice(seg.get(..reach).unwrap_or(seg));
                if find(&window, 0, seps).is_some() {
                    return true;
                }
            }
            let start = from.saturating_sub(offset).min(seg.len());
            if find(seg, start, seps).is_some() {
                return true;
            }
        }
        if reach > 0 {
            tail.extend_from_slice(seg.get(seg.len().saturating_sub(reach)..).unwrap_or(seg));
            let cut = tail.len().saturating_sub(reach);
            tail.drain(..cut);
        }
        offset = end;
    }
    false
}

/// [`find`] for several separators.
///
/// Every match ends with the last byte of its separator, so one pass of
/// `memchr`/`memchr2`/`memchr3` over those (at most three distinct) bytes
/// visits the candidate ends in order; the first end where a separator
/// matches is the earliest end, and the shortest separator matching there
/// wins the tie. One pass whatever the number of separators, where
/// searching for each separator in turn would scan the whole buffer for a
/// separator that is absent, once per line.
fn find_any(hay: &[u8], from: usize, list: &[&[u8]]) -> Option<Found> {
    let mut needles = [0u8; 3];
    let mut count = 0;
    let mut shortest = usize::MAX;
    for sep in list {
        let Some(&last) = sep.last() else {
            return find_each(hay, from, list);
        };
        shortest = shortest.min(sep.len());
        if !needles[..count].contains(&last) {
            if count == needles.len() {
                return find_each(hay, from, list);
            }
            needles[count] = last;
            count += 1;
        }
    }
    if count == 0 {
        return None;
    }
    // The first place where the last byte of a separator starting at or
    // after `from` can be.
    let mut pos = from.checked_add(shortest - 1)?;
    loop {
        let rest = hay.get(pos..)?;
        let i = match count {
            1 => memchr(needles[0], rest),
            2 => memchr2(needles[0], needles[1], rest),
            _ => memchr3(needles[0], needles[1], needles[2], rest),
        }?;
        let end = pos + i + 1;
        let mut best: Option<Found> = None;
        for sep in list {
            let k = sep.len();
            if end - from >= k
                && hay[end - k..end] == **sep
                && best.map_or(true, |b| end - k > b.start)
            {
                best = Some(Found {
                    start: end - k,
                    end,
                });
            }
        }
        if best.is_some() {
            return best;
        }
        pos = end;
    }
}

/// [`find`] for several separators, searching for each in turn (any
/// number of distinct last bytes, and empty separators, which never match).
fn find_each(hay: &[u8], from: usize, list: &[&[u8]]) -> Option<Found> {
    let mut best: Option<Found> = None;
    for sep in list {
        // Only a match ending no later than the best so far can win.
        let window = best.map_or(hay.len(), |b| b.end);
        let Some(start) = find_one(&hay[..window], from, sep) else {
            continue;
        };
        let candidate = Found {
            start,
            end: start + sep.len(),
        };
        best = match best {
            Some(b) if b.end < candidate.end => Some(b),
            Some(b) if b.end == candidate.end && b.start >= candidate.start => Some(b),
            _ => Some(candidate),
        };
    }
    best
}

/// The first occurrence of `sep` in `hay` starting at or after `from`.
#[inline]
fn find_one(hay: &[u8], from: usize, sep: &[u8]) -> Option<usize> {
    let k = sep.len();
    if from >= hay.len() || hay.len() - from < k || k == 0 {
        return None;
    }
    match k {
        1 => memchr(sep[0], &hay[from..]).map(|i| from + i),
        // For short separators, looking for the last byte with memchr and
        // then checking the bytes before it beats a memmem searcher (which
        // also has to be built on every call).
        2 | 3 => {
            let last = sep[k - 1];
            let mut pos = from + k - 1;
            while let Some(i) = memchr(last, &hay[pos..]) {
                let end = pos + i + 1;
                if hay[end - k..end - 1] == sep[..k - 1] {
                    return Some(end - k);
                }
                pos = end;
            }
            None
        }
        _ => memmem::find(&hay[from..], sep).map(|i| from + i),
    }
}

/// Remembers how far a `readuntil` already searched, so that a 1 MiB line
/// arriving a byte at a time costs O(n), not O(n²).
///
/// Valid only for the buffer front it was computed for (any consumption
/// resets it) and for the very separators it was computed for (kept as a
/// copy, so a different `readuntil` starts over). It is purely an
/// optimisation: asyncio's results do not depend on where the search starts,
/// only on the whole buffer, because data that could not contain a match
/// before cannot contain one now.
#[derive(Debug, Default)]
pub(crate) struct SearchMemo {
    /// The separators the memo is for, each as its length then its bytes.
    key: Vec<u8>,
    /// No separator starts before this offset in the buffer.
    from: usize,
}

impl SearchMemo {
    /// Where to resume searching for `seps` (0 unless they are the same).
    #[inline]
    pub(crate) fn start(&self, seps: Separators<'_>) -> usize {
        // Right after a read consumed data (the common case) there is
        // nothing to compare.
        if self.from == 0 {
            return 0;
        }
        self.start_if_same(seps)
    }

    fn start_if_same(&self, seps: Separators<'_>) -> usize {
        if self.is_for(seps) {
            self.from
        } else {
            0
        }
    }

    /// Records that nothing matches before `from`.
    pub(crate) fn remember(&mut self, seps: Separators<'_>, from: usize) {
        if from == 0 {
            self.from = 0;
            return;
        }
        if !self.is_for(seps) {
            self.key.clear();
            for sep in seps.as_slice() {
                self.key.extend_from_slice(&sep.len().to_le_bytes());
                self.key.extend_from_slice(sep);
            }
        }
        self.from = from;
    }

    /// Forgets everything (the buffer front moved).
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.from = 0;
    }

    fn is_for(&self, seps: Separators<'_>) -> bool {
        let mut rest = self.key.as_slice();
        for sep in seps.as_slice() {
            let len = sep.len().to_le_bytes();
            let Some(tail) = rest.strip_prefix(len.as_slice()) else {
                return false;
            };
            let Some(tail) = tail.strip_prefix(*sep) else {
                return false;
            };
            rest = tail;
        }
        rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any<'a>(list: &'a [&'a [u8]]) -> Separators<'a> {
        Separators::Any(list)
    }

    /// `may_find_in` never misses a separator that starts at or after
    /// `from`, wherever the segment boundaries fall (straddling one or
    /// several short segments included), and is exact when the segments
    /// are one.
    #[test]
    fn may_find_in_never_misses_across_segments() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let lists: [&[&[u8]]; 5] = [
            &[b"\n"],
            &[b"\r\n"],
            &[b"aba"],
            &[b"ab", b"\n"],
            &[b"\r\n\r\n", b"b"],
        ];
        let mut straddling = 0;
        for _ in 0..20_000 {
            let len = next(12);
            let data: Vec<u8> = (0..len).map(|_| b"ab\r\n"[next(4)]).collect();
            let mut cuts: Vec<usize> = (0..next(5)).map(|_| next(len + 1)).collect();
            cuts.sort_unstable();
            let mut segments = Vec::new();
            let mut at = 0;
            for cut in cuts.into_iter().chain([len]) {
                segments.push(&data[at..cut]);
                at = cut;
            }
            let list = lists[next(lists.len())];
            let seps = if list.len() == 1 {
                Separators::One(list[0])
            } else {
                Separators::Any(list)
            };
            let from = next(len + 2);
            let there = find(&data, from, seps).is_some();
            let said = may_find_in(segments.iter().copied(), from, seps);
            assert!(
                said || !there,
                "missed in {segments:?} from {from} for {list:?}"
            );
            if there && !segments.iter().any(|s| find(s, 0, seps).is_some()) {
                straddling += 1;
            }
            assert_eq!(
                may_find_in(core::iter::once(&data[..]), from, seps),
                there,
                "one segment: {data:?} from {from} for {list:?}"
            );
        }
        assert!(straddling > 100, "too few straddling cases: {straddling}");
    }

    #[test]
    fn earliest_end_wins() {
        // asyncio's own example: (DEF, BCDE) on ABCDEFG → ABCDE.
        let f = find(b"ABCDEFG", 0, any(&[b"DEF", b"BCDE"])).unwrap();
        assert_eq!((f.start, f.end), (1, 5));
    }

    #[test]
    fn tie_on_end_goes_to_shorter() {
        let f = find(b"xxabc", 0, any(&[b"abc", b"c"])).unwrap();
        assert_eq!((f.start, f.end), (4, 5));
        let f = find(b"xxabc", 0, any(&[b"c", b"abc"])).unwrap();
        assert_eq!((f.start, f.end), (4, 5));
    }

    #[test]
    fn one_pass_agrees_with_each_in_turn() {
        // Every list of 1..=4 separators over a small alphabet, on every
        // short haystack and start offset: the single pass (up to three
        // distinct last bytes) must find what searching each separator in
        // turn finds.
        let seps: [&[u8]; 8] = [b"a", b"b", b"ab", b"ba", b"aa", b"bab", b"c", b"cab"];
        let mut hay = [0u8; 6];
        for code in 0..3usize.pow(6) {
            let mut c = code;
            for byte in hay.iter_mut() {
                *byte = b"abc"[c % 3];
                c /= 3;
            }
            for mask in 1..(1u32 << seps.len()) {
                if mask.count_ones() > 4 {
                    continue;
                }
                let list: alloc::vec::Vec<&[u8]> = (0..seps.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| seps[i])
                    .collect();
                for from in 0..=hay.len() + 1 {
                    assert_eq!(
                        find_any(&hay, from, &list),
                        find_each(&hay, from, &list),
                        "{hay:?} {list:?} from {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn short_separators_by_last_byte() {
        assert_eq!(find_one(b"a\rb\r\n", 0, b"\r\n"), Some(3));
        assert_eq!(find_one(b"\n\r\n", 0, b"\r\n"), Some(1));
        assert_eq!(find_one(b"aaab", 1, b"aab"), Some(1));
        assert_eq!(find_one(b"aaab", 2, b"aab"), None);
        assert_eq!(find_one(b"ENDEND", 1, b"END"), Some(3));
        assert_eq!(find_one(b"abcd", 0, b"abcde"), None);
        assert_eq!(find_one(b"xxabcde", 0, b"abcde"), Some(2));
    }

    #[test]
    fn memo_is_keyed_by_separators() {
        let mut memo = SearchMemo::default();
        let crlf: Separators = b"\r\n".into();
        memo.remember(crlf, 7);
        assert_eq!(memo.start(crlf), 7);
        assert_eq!(memo.start(b"\n".into()), 0);
        assert_eq!(memo.start(any(&[b"\r\n"])), 7);
        assert_eq!(memo.start(any(&[b"\r\n", b"\n"])), 0);
        memo.reset();
        assert_eq!(memo.start(crlf), 0);
    }

    #[test]
    fn validation_order() {
        assert_eq!(any(&[]).validate(), Err(InvalidArgument::NoSeparators));
        assert_eq!(
            any(&[b"a", b""]).validate(),
            Err(InvalidArgument::EmptySeparator)
        );
        assert_eq!(
            Separators::One(b"").validate(),
            Err(InvalidArgument::EmptySeparator)
        );
        assert_eq!(Separators::One(b"\n").validate(), Ok(()));
    }
}
