//! `echo`: the bash builtin (and /usr/bin/echo): `-n`, `-e`, `-E`, and the `-e` escapes.

use super::{both, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[both("echo", run)];

/// Interprets backslash escapes as `echo -e` does; returns the bytes and whether `\c` stopped
/// output.
pub(crate) fn escapes(s: &str, printf_octal: bool) -> (Vec<u8>, bool) {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        i += 1;
        match c {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'c' => return (out, true),
            b'e' | b'E' => out.push(27),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'0'..=b'7' if printf_octal || c == b'0' => {
                // echo: \0NNN (up to three digits after the 0); printf: \NNN.
                let mut v: u32 = if printf_octal { u32::from(c - b'0') } else { 0 };
                let max = if printf_octal { 2 } else { 3 };
                let mut k = 0;
                while k < max && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let mut v: u32 = 0;
                let mut k = 0;
                while k < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    out.push(v as u8);
                }
            }
            b'u' | b'U' => {
                let max = if c == b'u' { 4 } else { 8 };
                let mut v: u32 = 0;
                let mut k = 0;
                while k < max && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    out.push(b'\\');
                    out.push(c);
                } else {
                    let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    (out, false)
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut newline = true;
    let mut interpret = false;
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)) {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => interpret = true,
                    _ => interpret = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let text = args[i..].join(" ");
    let mut out = if interpret {
        let (bytes, stop) = escapes(&text, false);
        if stop {
            ctx.out(bytes);
            return 0;
        }
        bytes
    } else {
        text.into_bytes()
    };
    if newline {
        out.push(b'\n');
    }
    ctx.out(out);
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn echo_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "echo -e '\\x41\\0102\\n' x").0, "AB\n x\n");
        assert_eq!(run(&mut sh, "echo -n hi; echo").0, "hi\n");
        assert_eq!(run(&mut sh, "echo -x a").0, "-x a\n");
        assert_eq!(run(&mut sh, "echo -e 'a\\cb'").0, "a");
    }
}
