//! `zlib@openssh.com`: one zlib stream per direction, each packet's payload flushed with a
//! partial flush, starting once authentication has succeeded.

use crate::Error;
use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

/// Appends the compressed form of `input` to `out`.
pub fn deflate_into(z: &mut Compress, input: &[u8], out: &mut Vec<u8>) {
    let mut consumed = 0;
    loop {
        out.reserve(input.len() - consumed + 64);
        let before = z.total_in();
        let status = z.compress_vec(&input[consumed..], out, FlushCompress::Partial);
        consumed += (z.total_in() - before) as usize;
        // Done when all input is in and the flush left room to spare (nothing more pending).
        if status.is_err() || (consumed >= input.len() && out.len() < out.capacity()) {
            return;
        }
    }
}

/// Inflates one packet's payload; more than `limit` bytes out is an error (a zip bomb).
pub fn inflate(z: &mut Decompress, input: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    // One byte of room past the limit, so that a payload of exactly `limit` bytes still
    // leaves the spare room that shows the flush is complete.
    let cap = limit.saturating_add(1);
    let mut out = Vec::with_capacity((input.len() * 4).max(64).min(cap));
    let mut consumed = 0;
    loop {
        if out.len() == out.capacity() {
            if out.len() >= cap {
                return Err(Error::protocol("decompressed packet over the size limit"));
            }
            // Doubling, but never past the limit (and never a panicking clamp near it).
            out.reserve_exact(out.len().max(256).min(cap - out.len()));
        }
        let (before_in, before_out) = (z.total_in(), out.len());
        let status = z
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
            .map_err(|e| Error::protocol(format!("zlib: {e}")))?;
        consumed += (z.total_in() - before_in) as usize;
        if consumed >= input.len() && out.len() < out.capacity() {
            if out.len() > limit {
                return Err(Error::protocol("decompressed packet over the size limit"));
            }
            return Ok(out);
        }
        if status == Status::StreamEnd
            || (z.total_in() == before_in && out.len() == before_out && out.len() < out.capacity())
        {
            return Err(Error::protocol("zlib stream ended or stalled"));
        }
    }
}

pub fn new_deflate() -> Box<Compress> {
    Box::new(Compress::new(flate2::Compression::new(6), true))
}

pub fn new_inflate() -> Box<Decompress> {
    Box::new(Decompress::new(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_round_trip_packet_by_packet() {
        let (mut d, mut i) = (new_deflate(), new_inflate());
        for n in [0usize, 1, 100, 40_000, 3] {
            let payload: Vec<u8> = (0..n).map(|k| (k % 7) as u8).collect();
            let mut wire = Vec::new();
            deflate_into(&mut d, &payload, &mut wire);
            assert_eq!(inflate(&mut i, &wire, 1 << 20).unwrap(), payload, "{n}");
        }
    }

    #[test]
    fn growth_near_the_limit() {
        for (n, limit, ok) in [
            (290usize, 300usize, true),
            (300, 300, true),
            (1000, 300, false),
            (10, 1, false),
            (0, 0, true),
        ] {
            let mut wire = Vec::new();
            deflate_into(&mut new_deflate(), &vec![0u8; n], &mut wire);
            let r = inflate(&mut new_inflate(), &wire, limit);
            assert_eq!(r.is_ok(), ok, "{n} into {limit}: {r:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn random_input_never_panics(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            limit in 0usize..4096,
        ) {
            let mut z = new_inflate();
            if let Ok(out) = inflate(&mut z, &data, limit) {
                proptest::prop_assert!(out.len() <= limit);
            }
        }
    }

    #[test]
    fn bombs_and_garbage_are_errors() {
        let mut d = new_deflate();
        let mut wire = Vec::new();
        deflate_into(&mut d, &vec![0u8; 100_000], &mut wire);
        assert!(inflate(&mut new_inflate(), &wire, 10_000).is_err());
        assert!(inflate(&mut new_inflate(), b"\xff\xff\xff\xff garbage", 10_000).is_err());
    }
}
