"""The one check for text people type: names, short fields and free text.

Plain Python, used by every schema (core/schemas.py), every staff form (staff/auth.py
``check_csrf``), the supplier pages and the questionnaire rules. Text we store ends up in Word
documents (XML 1.0 forbids most control characters: python-docx then fails), CSVs and mail
headers, so what can't be printed is refused at the door, in words a person can act on.
"""

from __future__ import annotations

import unicodedata

# Tab, newline and carriage return are how multi-line text is typed; nothing else from the
# control ranges (C0, DEL, C1) is.
_LINE_BREAKS = frozenset("\t\n\r")
# Characters that show nothing: a name made only of these is an empty name.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that are drawn as nothing (fillers, the blank Braille pattern).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Bidirectional overrides and isolates reorder what follows them: in a name they make one
# supplier look like another, so a name may not carry them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why this text can't be stored as typed, or None when it can."""
    for char in value:
        if char == "\x00":
            return "text must not contain NUL (\\x00) characters"
        category = unicodedata.category(char)
        if category == "Cc" and (single_line or char not in _LINE_BREAKS):
            what = "tabs or line breaks" if char in _LINE_BREAKS else \
                f"control characters (U+{ord(char):04X})"
            return f"text must not contain {what}"
        if category == "Cs" or char in "\ufffe\uffff":
            return f"text must not contain the character U+{ord(char):04X}"
        if single_line and category in ("Zl", "Zp"):
            return "text must not contain line breaks"
    return None


def is_blank(value: str) -> bool:
    """True when nothing would show: empty, spaces, or only zero-width/format characters."""
    return all(unicodedata.category(c) in _INVISIBLE or c in _BLANK_GLYPHS for c in value)


def check_name(value: str) -> str:
    """A name: one line, printable, and something visible in it."""
    problem = text_problem(value, single_line=True)
    if problem:
        raise ValueError(problem)
    if is_blank(value):
        raise ValueError("must not be empty (it holds only invisible characters)")
    if any(c in _BIDI_CONTROLS for c in value):
        raise ValueError("must not contain right-to-left or left-to-right override characters")
    return value


def check_line(value: str) -> str:
    """A short one-line field that may be empty."""
    problem = text_problem(value, single_line=True)
    if problem:
        raise ValueError(problem)
    return value


def check_text(value: str) -> str:
    """Free text: line breaks and tabs allowed, other control characters not."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value
