"""Characters people cannot see or tell apart, named so a message can point at them.

A Cyrillic `\u0430` in a display name, a zero-width space in a principal or a no-break space
pasted from a chat look right on screen and fail later (or, in an IAM principal, grant the
wrong account). Messages name the character by its Unicode name and position instead of
showing text that looks correct.
"""

from __future__ import annotations

import unicodedata

# Letters that render like ASCII letters in common fonts (Cyrillic and Greek), for the
# "looks like" part of a message. Not exhaustive: any non-ASCII character is named anyway.
_LOOKS_LIKE = {
    **dict(
        zip(
            "\u0430\u0441\u0435\u0456\u0458\u043e\u0440\u043a\u0445\u0443\u0455\u0501\u04bb\u051b\u051d",
            "aceijopkxysdhqw",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u0410\u0412\u0421\u0415\u041d\u0406\u0408\u041a\u041c\u041e\u0420\u0405\u0422\u0425\u0423",
            "ABCEHIJKMOPSTXY",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7",
            "abeiknoptux",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u0391\u0392\u0395\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u0396",
            "ABEHIKMNOPTYXZ",
            strict=True,
        )
    ),
    "\u0131": "i",  # dotless i
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"),  # dashes, minus
}


_CONTROLS = {"\t": "TAB", "\n": "LINE FEED (a line break)", "\r": "CARRIAGE RETURN"}


def describe(char: str) -> str:
    """`U+0430 CYRILLIC SMALL LETTER A (looks like 'a')`."""
    name = _CONTROLS.get(char) or unicodedata.name(char, "control character")
    looks = _LOOKS_LIKE.get(char)
    return f"U+{ord(char):04X} {name}" + (f" (looks like '{looks}')" if looks else "")


def looks_like(char: str) -> str | None:
    """The ASCII character `char` is easily mistaken for, if it is a known look-alike."""
    return _LOOKS_LIKE.get(char)


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
