//! `printf`: format reuse over extra arguments, `%b`, widths and precisions, `\xHH` / `\NNN`.

use super::echo::escapes;
use super::{both, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[both("printf", run)];

fn number(ctx: &mut Ctx<'_>, s: &str, failed: &mut bool) -> i64 {
    let t = s.trim_start();
    if t.is_empty() {
        return 0;
    }
    if let Some(c) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return c.chars().next().map(|c| c as i64).unwrap_or(0);
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse::<i64>()
    };
    match parsed {
        Ok(v) => if neg { -v } else { v },
        Err(_) => {
            // Leading digits still count, like strtol.
            let lead: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}printf: {s}: invalid number\n"));
            *failed = true;
            let v = lead.parse::<i64>().unwrap_or(0);
            if neg { -v } else { v }
        }
    }
}

fn pad(s: String, width: Option<usize>, left: bool, zero: bool) -> String {
    match width {
        Some(w) if s.chars().count() < w => {
            let fill = w - s.chars().count();
            if left {
                format!("{s}{}", " ".repeat(fill))
            } else if zero {
                let (sign, rest) = if let Some(r) = s.strip_prefix('-') { ("-", r.to_owned()) } else { ("", s.clone()) };
                format!("{sign}{}{rest}", "0".repeat(fill))
            } else {
                format!("{}{s}", " ".repeat(fill))
            }
        }
        _ => s,
    }
}

/// Formats once through `fmt`, consuming from `args`; returns (bytes, consumed any, stop).
fn format_once(ctx: &mut Ctx<'_>, fmt: &[u8], args: &mut std::collections::VecDeque<String>, failed: &mut bool) -> (Vec<u8>, bool, bool) {
    let mut out = Vec::new();
    let mut used = false;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c == b'\\' {
            // One escape at a time through the shared escape decoder.
            let mut j = i + 1;
            if j < fmt.len() {
                match fmt[j] {
                    b'x' => {
                        j += 1;
                        let mut k = 0;
                        while k < 2 && j < fmt.len() && fmt[j].is_ascii_hexdigit() {
                            j += 1;
                            k += 1;
                        }
                    }
                    b'0'..=b'7' => {
                        let mut k = 0;
                        while k < 3 && j < fmt.len() && (b'0'..=b'7').contains(&fmt[j]) {
                            j += 1;
                            k += 1;
                        }
                    }
                    b'u' | b'U' => {
                        let max = if fmt[j] == b'u' { 4 } else { 8 };
                        j += 1;
                        let mut k = 0;
                        while k < max && j < fmt.len() && fmt[j].is_ascii_hexdigit() {
                            j += 1;
                            k += 1;
                        }
                    }
                    b'c' => return (out, used, true),
                    _ => j += 1,
                }
            }
            let piece = String::from_utf8_lossy(&fmt[i..j]).into_owned();
            out.extend(escapes(&piece, true).0);
            i = j;
            continue;
        }
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i < fmt.len() && fmt[i] == b'%' {
            out.push(b'%');
            i += 1;
            continue;
        }
        let mut left = false;
        let mut zero = false;
        let mut plus = false;
        let mut space = false;
        let mut alt = false;
        while i < fmt.len() && b"-0+ #".contains(&fmt[i]) {
            match fmt[i] {
                b'-' => left = true,
                b'0' => zero = true,
                b'+' => plus = true,
                b' ' => space = true,
                _ => alt = true,
            }
            i += 1;
        }
        let mut width = None;
        if i < fmt.len() && fmt[i] == b'*' {
            i += 1;
            let w = args.pop_front().unwrap_or_default();
            used = true;
            let n = number(ctx, &w, failed);
            if n < 0 {
                left = true;
            }
            width = Some((n.unsigned_abs() as usize).min(4096));
        } else {
            let st = i;
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                i += 1;
            }
            if i > st {
                width = std::str::from_utf8(&fmt[st..i]).ok().and_then(|s| s.parse::<usize>().ok()).map(|w| w.min(4096));
            }
        }
        let mut prec = None;
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            if i < fmt.len() && fmt[i] == b'*' {
                i += 1;
                let p = args.pop_front().unwrap_or_default();
                used = true;
                prec = Some((number(ctx, &p, failed).max(0) as usize).min(4096));
            } else {
                let st = i;
                while i < fmt.len() && fmt[i].is_ascii_digit() {
                    i += 1;
                }
                prec = Some(std::str::from_utf8(&fmt[st..i]).ok().and_then(|s| s.parse::<usize>().ok()).unwrap_or(0).min(4096));
            }
        }
        while i < fmt.len() && b"hlLqjzt".contains(&fmt[i]) {
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else {
            out.push(b'%');
            break;
        };
        i += 1;
        let arg = args.pop_front();
        if arg.is_some() {
            used = true;
        }
        let arg = arg.unwrap_or_default();
        let s = match conv {
            b's' => {
                let mut s = arg;
                if let Some(p) = prec {
                    s = s.chars().take(p).collect();
                }
                pad(s, width, left, false)
            }
            b'b' => {
                let (bytes, stop) = escapes(&arg, false);
                let s = String::from_utf8_lossy(&bytes).into_owned();
                out.extend(pad(s, width, left, false).into_bytes());
                if stop {
                    return (out, used, true);
                }
                continue;
            }
            b'c' => pad(arg.chars().next().map(String::from).unwrap_or_default(), width, left, false),
            b'd' | b'i' => {
                let n = number(ctx, &arg, failed);
                let mut s = n.abs().to_string();
                if let Some(p) = prec {
                    while s.len() < p {
                        s.insert(0, '0');
                    }
                }
                let sign = if n < 0 { "-" } else if plus { "+" } else if space { " " } else { "" };
                pad(format!("{sign}{s}"), width, left, zero && prec.is_none())
            }
            b'u' | b'x' | b'X' | b'o' => {
                let n = number(ctx, &arg, failed) as u64;
                let mut s = match conv {
                    b'x' => format!("{n:x}"),
                    b'X' => format!("{n:X}"),
                    b'o' => format!("{n:o}"),
                    _ => n.to_string(),
                };
                if let Some(p) = prec {
                    while s.len() < p {
                        s.insert(0, '0');
                    }
                }
                if alt && n != 0 {
                    s = match conv {
                        b'x' => format!("0x{s}"),
                        b'X' => format!("0X{s}"),
                        b'o' => format!("0{s}"),
                        _ => s,
                    };
                }
                pad(s, width, left, zero && prec.is_none())
            }
            b'f' | b'F' | b'e' | b'E' | b'g' | b'G' => {
                let v: f64 = arg.trim().parse().unwrap_or_else(|_| {
                    if !arg.is_empty() {
                        let p = ctx.st.err_prefix();
                        ctx.err(format!("{p}printf: {arg}: invalid number\n"));
                        *failed = true;
                    }
                    0.0
                });
                let p = prec.unwrap_or(6);
                let s = match conv {
                    b'e' | b'E' => {
                        let s = format!("{v:.p$e}");
                        // Rust writes 1.5e2; C writes 1.500000e+02.
                        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                        let ev: i32 = e.parse().unwrap_or(0);
                        let r = format!("{m}e{}{:02}", if ev < 0 { '-' } else { '+' }, ev.abs());
                        if conv == b'E' { r.to_uppercase() } else { r }
                    }
                    b'g' | b'G' => {
                        let s = format!("{v}");
                        if conv == b'G' { s.to_uppercase() } else { s }
                    }
                    _ => format!("{v:.p$}"),
                };
                let s = if plus && v >= 0.0 { format!("+{s}") } else { s };
                pad(s, width, left, zero)
            }
            other => {
                ctx.err(format!("printf: %{}: invalid format character\n", other as char));
                *failed = true;
                return (out, used, true);
            }
        };
        out.extend(s.into_bytes());
    }
    (out, used, false)
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut rest: Vec<String> = args[1..].to_vec();
    let mut var = None;
    if rest.first().map(String::as_str) == Some("-v") && rest.len() >= 2 {
        var = Some(rest[1].clone());
        rest.drain(..2);
    }
    if rest.first().map(String::as_str) == Some("--") {
        rest.remove(0);
    }
    if rest.is_empty() {
        ctx.err("printf: usage: printf [-v var] format [arguments]\n");
        return 2;
    }
    let fmt = rest.remove(0).into_bytes();
    let mut queue: std::collections::VecDeque<String> = rest.into();
    let mut failed = false;
    let mut out = Vec::new();
    let limit = ctx.limit();
    loop {
        let (bytes, used, stop) = format_once(ctx, &fmt, &mut queue, &mut failed);
        out.extend(bytes);
        if stop || !used || queue.is_empty() || out.len() > limit {
            break;
        }
    }
    out.truncate(limit);
    match var {
        Some(v) => ctx.st.set_var(&v, &String::from_utf8_lossy(&out)),
        None => ctx.out(out),
    }
    i32::from(failed)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn printf_forms() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "printf '\\x41\\102%s-%5d|%-3s|\\n' x 42 ab").0, "ABx-   42|ab |\n");
        assert_eq!(run(&mut sh, "printf '%s\\n' a b c").0, "a\nb\nc\n");
        assert_eq!(run(&mut sh, "printf '%x %o %05.1f' 255 8 3.14159").0, "ff 10 003.1");
        let (o, c) = run(&mut sh, "printf '%d' abc");
        assert_eq!((o.as_str(), c), ("-bash: printf: abc: invalid number\n0", 1));
    }
}
