#!/usr/bin/env python3
"""Generate the OVERRIDES table of src/domain/transliterate.rs.

Reads the dump of the `transliterate-dump` binary (this folder's Cargo
project: one line per code point U+0080..=U+10FFFF, surrogates excluded,
"HEX<TAB>JSON" where JSON is deunicode_char's string or null for None), computes
Python `unidecode(chr(cp))` with Unidecode 1.4.0 for each code point, and
writes the Rust `const OVERRIDES` block, formatted as committed.

The rule (also in the table's doc comment):

* deunicode's None counts as "", as in `transliterate_char`.
* A code point differs when the two outputs disagree after mapping each char
  outside [A-Za-z0-9_'] to a space and collapsing space runs.
* Differing code points where Unidecode gives "" form "" ranges; such a range
  runs on over code points where both sides give exactly "" (so it may span
  those) and stops at any other code point. It starts and ends on a differing
  code point.
* Every other differing code point gets Unidecode's exact output; adjacent
  code points with the same output share one range.

Usage (scripts/transliterate/regenerate.sh does all of this):

    target/release/transliterate-dump | python generate.py              # print the block
    target/release/transliterate-dump | python generate.py --rewrite F  # replace it in F

Needs Unidecode 1.4.0 (pip install unidecode==1.4.0); refuses any other version.
"""

import argparse
import importlib.metadata
import json
import re
import sys

UNIDECODE_VERSION = "1.4.0"
FIRST, LAST = 0x80, 0x10FFFF
SURROGATES = range(0xD800, 0xE000)
HEADER = "const OVERRIDES: &[(u32, u32, &str)] = &["
FOOTER = "];"
MAX_WIDTH = 100  # rustfmt's default; a longer line would be reformatted

NOT_WORD = re.compile(r"[^A-Za-z0-9_']")
SPACES = re.compile(r" +")


def observable(s):
    """What the scorer can see of a transliteration."""
    return SPACES.sub(" ", NOT_WORD.sub(" ", s))


def read_dump(lines):
    """{code point: deunicode output}, None mapped to ""; checks completeness."""
    out = {}
    for n, line in enumerate(lines, 1):
        hex_cp, sep, value = line.rstrip("\n").partition("\t")
        if not sep:
            sys.exit(f"generate.py: dump line {n} has no tab: {line!r}")
        value = json.loads(value)
        if value is not None and not isinstance(value, str):
            sys.exit(f"generate.py: dump line {n}: not a string or null: {line!r}")
        out[int(hex_cp, 16)] = value or ""
    expected = set(range(FIRST, LAST + 1)) - set(SURROGATES)
    if out.keys() != expected:
        missing, extra = expected - out.keys(), out.keys() - expected
        sys.exit(
            f"generate.py: dump has {len(missing)} missing and {len(extra)} unexpected code points"
        )
    return out


def overrides(deunicode):
    from unidecode import unidecode

    ranges = []  # [first, last, replacement]
    empty = None  # the open "" range, [first, last, ""]
    for cp in sorted(deunicode):
        theirs, ours = unidecode(chr(cp)), deunicode[cp]
        if observable(theirs) == observable(ours):
            if theirs == "" and ours == "":
                continue  # an open "" range may span this code point
            if empty:
                ranges.append(empty)
                empty = None
        elif theirs == "":
            if empty:
                empty[1] = cp
            else:
                empty = [cp, cp, ""]
        else:
            if empty:
                ranges.append(empty)
                empty = None
            if ranges and ranges[-1][2] == theirs and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp, theirs])
    if empty:
        ranges.append(empty)
    return ranges


def rust_str(s):
    escaped = []
    for ch in s:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif " " <= ch <= "~":
            escaped.append(ch)
        else:
            escaped.append(f"\\u{{{ord(ch):x}}}")
    return '"' + "".join(escaped) + '"'


def block(ranges):
    lines = [HEADER]
    for first, last, replacement in ranges:
        line = f"    (0x{first:04X}, 0x{last:04X}, {rust_str(replacement)}),"
        if len(line) > MAX_WIDTH:
            sys.exit(f"generate.py: line longer than rustfmt allows: {line}")
        lines.append(line)
    lines.append(FOOTER)
    return "\n".join(lines) + "\n"


def rewrite(path, new_block):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.find(HEADER + "\n")
    end = text.find("\n" + FOOTER + "\n", start)
    if start < 0 or end < 0:
        sys.exit(f"generate.py: no OVERRIDES block in {path}")
    end += len(FOOTER) + 2
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:start] + new_block + text[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", default="-", help="the dumper's output (default: stdin)")
    parser.add_argument("--rewrite", metavar="FILE", help="replace the block in FILE")
    args = parser.parse_args()

    version = importlib.metadata.version("unidecode")
    if version != UNIDECODE_VERSION:
        sys.exit(f"generate.py: needs Unidecode {UNIDECODE_VERSION}, found {version}")
    if args.dump == "-":
        deunicode = read_dump(sys.stdin)
    else:
        with open(args.dump, encoding="utf-8") as f:
            deunicode = read_dump(f)
    new_block = block(overrides(deunicode))
    if args.rewrite:
        rewrite(args.rewrite, new_block)
    else:
        sys.stdout.write(new_block)


if __name__ == "__main__":
    main()
