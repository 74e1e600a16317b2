//! Encodings and digests: `base64`, `md5sum`, `sha1sum`, `sha256sum`, `sha512sum`.

use super::{bin, Ctx, Spec};
use base64::Engine;
use sha2::{Digest, Sha256, Sha512};

pub(crate) static SPECS: &[Spec] = &[bin("base64", base64_cmd), bin("md5sum", md5sum), bin("sha1sum", sha1sum), bin("sha256sum", sha256sum), bin("sha512sum", sha512sum)];

fn base64_cmd(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut decode = false;
    let mut wrap = 76usize;
    let mut files = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-d" | "--decode" | "-D" => decode = true,
            "-i" | "--ignore-garbage" => {}
            "-w" => {
                wrap = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(76);
                i += 1;
            }
            a if a.starts_with("--wrap=") => wrap = a[7..].parse().unwrap_or(76),
            a if a.starts_with("-w") => wrap = a[2..].parse().unwrap_or(76),
            a if a.starts_with('-') && a.len() > 1 => {
                ctx.err(format!("base64: invalid option -- '{}'\nTry 'base64 --help' for more information.\n", a.chars().nth(1).unwrap_or('-')));
                return 1;
            }
            a => files.push(a.to_owned()),
        }
        i += 1;
    }
    let (inputs, ok) = ctx.inputs("base64", &files);
    if !ok {
        return 1;
    }
    let data: Vec<u8> = inputs.into_iter().flat_map(|(_, d)| d).collect();
    if decode {
        let clean: Vec<u8> = data.into_iter().filter(|b| !b.is_ascii_whitespace()).collect();
        // Decode as much as is valid, then report, as coreutils does.
        let valid_len = clean.iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/' || *b == b'=')).unwrap_or(clean.len());
        let engine = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, base64::engine::GeneralPurposeConfig::new().with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent).with_decode_allow_trailing_bits(true));
        let body = &clean[..valid_len];
        let usable = body.len() - body.len() % 4;
        let mut out = engine.decode(&body[..usable]).unwrap_or_default();
        let rest = &body[usable..];
        if !rest.is_empty() {
            if let Ok(d) = engine.decode(rest) {
                out.extend(d);
            }
        }
        ctx.out(out);
        if valid_len < clean.len() || body.len() % 4 == 1 {
            ctx.err("base64: invalid input\n");
            return 1;
        }
        return 0;
    }
    let enc = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut out = String::new();
    if wrap == 0 {
        out.push_str(&enc);
    } else {
        for chunk in enc.as_bytes().chunks(wrap) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
    }
    ctx.out(out);
    0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 1321.
pub(crate) fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
    let k: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32).collect();
    let (mut a0, mut b0, mut c0, mut d0) = (0x6745_2301u32, 0xefcd_ab89u32, 0x98ba_dcfeu32, 0x1032_5476u32);
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk.chunks(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, v) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// FIPS 180-4 SHA-1.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[i * 4], chunk[i * 4 + 1], chunk[i * 4 + 2], chunk[i * 4 + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn digest_cmd(ctx: &mut Ctx<'_>, args: &[String], name: &str, f: fn(&[u8]) -> String) -> i32 {
    let files: Vec<String> = args[1..].iter().filter(|a| !a.starts_with('-') || a.as_str() == "-").cloned().collect();
    let files = if files.is_empty() { vec!["-".to_owned()] } else { files };
    let mut status = 0;
    for file in &files {
        let data = if file == "-" {
            ctx.io.stdin.clone()
        } else {
            match ctx.read(file) {
                Ok(d) => d,
                Err(e) => {
                    ctx.err(format!("{name}: {file}: {}\n", e.message()));
                    status = 1;
                    continue;
                }
            }
        };
        ctx.out(format!("{}  {file}\n", f(&data)));
    }
    status
}

fn md5sum(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    digest_cmd(ctx, args, "md5sum", |d| hex(&md5(d)))
}
fn sha1sum(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    digest_cmd(ctx, args, "sha1sum", |d| hex(&sha1(d)))
}
fn sha256sum(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    digest_cmd(ctx, args, "sha256sum", |d| hex(&Sha256::digest(d)))
}
fn sha512sum(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    digest_cmd(ctx, args, "sha512sum", |d| hex(&Sha512::digest(d)))
}

#[cfg(test)]
mod tests {
    use super::{hex, md5, sha1};
    use crate::commands::testing::{run, shell};

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"The quick brown fox jumps over the lazy dog")), "9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn base64_round_trip() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "echo hello | base64").0, "aGVsbG8K\n");
        assert_eq!(run(&mut sh, "echo aGVsbG8K | base64 -d").0, "hello\n");
        assert_eq!(run(&mut sh, "echo -n abc | md5sum").0, "900150983cd24fb0d6963f7d28e17f72  -\n");
    }
}
