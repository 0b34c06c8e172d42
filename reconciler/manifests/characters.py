"""Characters people cannot see or tell apart, named so a message can point at them.

A Cyrillic `а` in a display name, a zero-width space in a principal or a no-break space
pasted from a chat look right on screen and fail later (or, in an IAM principal, grant the
wrong account). Messages name the character by its Unicode name and position instead of
showing text that looks correct.
"""

from __future__ import annotations

import unicodedata

# Letters that render like ASCII letters in common fonts (Cyrillic and Greek), for the
# "looks like" part of a message. Not exhaustive: any non-ASCII character is named anyway.
_LOOKS_LIKE = {
    **dict(zip("асеіјоркхуѕԁһԛԝ", "aceijopkxysdhqw", strict=True)),
    **dict(zip("АВСЕНІЈКМОРЅТХУ", "ABCEHIJKMOPSTXY", strict=True)),
    **dict(zip("αβεικνορτυχ", "abeiknoptux", strict=True)),
    **dict(zip("ΑΒΕΗΙΚΜΝΟΡΤΥΧΖ", "ABEHIKMNOPTYXZ", strict=True)),
    "\u0131": "i",  # dotless i
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
}


_CONTROLS = {"\t": "TAB", "\n": "LINE FEED (a line break)", "\r": "CARRIAGE RETURN"}


def describe(char: str) -> str:
    """`U+0430 CYRILLIC SMALL LETTER A (looks like 'a')`."""
    name = _CONTROLS.get(char) or unicodedata.name(char, "control character")
    looks = _LOOKS_LIKE.get(char)
    return f"U+{ord(char):04X} {name}" + (f" (looks like '{looks}')" if looks else "")


def is_invisible(char: str) -> bool:
    """A character that shows as nothing or as a plain space: format, separators, controls."""
    category = unicodedata.category(char)
    return category in ("Cf", "Zl", "Zp", "Cc") or (category == "Zs" and char != " ")


def first_unusual(text: str) -> tuple[int, str] | None:
    """(0-based index, character) of the first non-ASCII or invisible character, if any."""
    if text.isascii() and text.isprintable():
        return None  # the common case, answered in C
    for index, char in enumerate(text):
        if not char.isascii() or is_invisible(char):
            return index, char
    return None


def unusual_note(text: str) -> str | None:
    """`character 3 is U+0430 CYRILLIC SMALL LETTER A (looks like 'a')`, or None."""
    found = first_unusual(text)
    if found is None:
        return None
    index, char = found
    return f"character {index + 1} is {describe(char)}"
