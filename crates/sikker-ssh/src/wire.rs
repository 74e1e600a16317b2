//! SSH wire encodings (RFC 4251 §5): a bounds-checked reader and append-only writers.

use crate::Error;

/// Reads SSH data types from a payload; every read is bounds-checked and names what it read.
#[derive(Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Error::Truncated(what))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        self.take(n, what)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    pub fn bool(&mut self, what: &'static str) -> Result<bool, Error> {
        Ok(self.u8(what)? != 0)
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn string(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let n = self.u32(what)? as usize;
        self.take(n, what)
    }

    /// A string that must be UTF-8 (names, user names); invalid UTF-8 is replaced, not fatal,
    /// because a honeypot wants to record what was sent.
    pub fn utf8(&mut self, what: &'static str) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(self.string(what)?).into_owned())
    }

    /// An mpint's magnitude, without leading zero bytes (negative values are rejected).
    pub fn mpint(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let s = self.string(what)?;
        if s.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(Error::Protocol(format!("{what}: negative mpint")));
        }
        let start = s.iter().position(|&b| b != 0).unwrap_or(s.len());
        Ok(&s[start..])
    }
}

pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub fn put_bool(out: &mut Vec<u8>, v: bool) {
    out.push(v as u8);
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s);
}

/// Writes an unsigned big-endian magnitude as an mpint (leading zeros stripped, a zero byte
/// added when the top bit is set).
pub fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let m = &magnitude[start..];
    if m.first().is_some_and(|b| b & 0x80 != 0) {
        put_u32(out, m.len() as u32 + 1);
        out.push(0);
    } else {
        put_u32(out, m.len() as u32);
    }
    out.extend_from_slice(m);
}

pub fn put_name_list<S: AsRef<str>>(out: &mut Vec<u8>, names: &[S]) {
    let len: usize =
        names.iter().map(|n| n.as_ref().len()).sum::<usize>() + names.len().saturating_sub(1);
    put_u32(out, len as u32);
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(n.as_ref().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_encoding_follows_rfc4251_examples() {
        let mut o = Vec::new();
        put_mpint(&mut o, &[0, 0]);
        assert_eq!(o, [0, 0, 0, 0]);
        o.clear();
        put_mpint(&mut o, &[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]);
        assert_eq!(
            o,
            [0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]
        );
        o.clear();
        put_mpint(&mut o, &[0x80]);
        assert_eq!(o, [0, 0, 0, 2, 0, 0x80]);
        let mut r = Reader::new(&o);
        assert_eq!(r.mpint("x").unwrap(), &[0x80]);
    }

    #[test]
    fn reads_are_bounds_checked() {
        let mut r = Reader::new(&[0, 0, 0, 9, 1, 2]);
        assert!(matches!(r.string("name"), Err(Error::Truncated("name"))));
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert!(r.string("huge").is_err());
        assert!(Reader::new(&[]).u8("b").is_err());
    }

    #[test]
    fn name_lists_round_trip() {
        let mut o = Vec::new();
        put_name_list(&mut o, &["a", "bc"]);
        let mut r = Reader::new(&o);
        let l = crate::algorithms::NameList::new(r.string("l").unwrap());
        assert_eq!(l.iter().collect::<Vec<_>>(), ["a", "bc"]);
        assert_eq!(l.as_str(), "a,bc");
        let empty = crate::algorithms::NameList::new(b"");
        assert!(empty.is_empty() && empty.iter().next().is_none());
        // An empty name between commas is kept, as sent; bad UTF-8 is replaced, not refused.
        let odd = crate::algorithms::NameList::new(b"a,,b\xff");
        assert_eq!(odd.iter().collect::<Vec<_>>(), ["a", "", "b\u{fffd}"]);
        assert!(odd.contains("") && !odd.contains("b"));
        assert_eq!(
            ["x", "y"]
                .iter()
                .collect::<crate::algorithms::NameList>()
                .as_str(),
            "x,y"
        );
        assert_eq!(format!("{odd:?}"), format!("{:?}", ["a", "", "b\u{fffd}"]));
    }
}
