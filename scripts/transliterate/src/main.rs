//! Prints one line per code point U+0080..=U+10FFFF (surrogates excluded):
//! the code point as 4-6 upper-case hex digits, a tab, and
//! `deunicode::deunicode_char` as a JSON value: a string, or `null` where it
//! returns `None` (the main crate treats `None` as "").

use std::io::{self, BufWriter, Write};

fn main() -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for c in '\u{80}'..=char::MAX {
        write!(out, "{:04X}\t", u32::from(c))?;
        match deunicode::deunicode_char(c) {
            Some(s) => write_json_string(&mut out, s)?,
            None => out.write_all(b"null")?,
        }
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `s` as a JSON string literal; non-ASCII is written as-is (UTF-8).
fn write_json_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for ch in s.chars() {
        match ch {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c))?,
            c => write!(out, "{c}")?,
        }
    }
    out.write_all(b"\"")
}
