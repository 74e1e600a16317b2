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
    let mut out = Vec::with_capacity((input.len() * 4).clamp(64, limit));
    let mut consumed = 0;
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err(Error::protocol("decompressed packet over the size limit"));
            }
            out.reserve((out.len()).clamp(256, limit - out.len()));
        }
        let (before_in, before_out) = (z.total_in(), out.len());
        let status = z
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
            .map_err(|e| Error::protocol(format!("zlib: {e}")))?;
        consumed += (z.total_in() - before_in) as usize;
        if consumed >= input.len() && out.len() < out.capacity() {
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
    fn bombs_and_garbage_are_errors() {
        let mut d = new_deflate();
        let mut wire = Vec::new();
        deflate_into(&mut d, &vec![0u8; 100_000], &mut wire);
        assert!(inflate(&mut new_inflate(), &wire, 10_000).is_err());
        assert!(inflate(&mut new_inflate(), b"\xff\xff\xff\xff garbage", 10_000).is_err());
    }
}
