"""`markdown.escape`: every value from a manifest or an engine error, made inert."""

from __future__ import annotations

import pytest

from reconciler.report.markdown import escape


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("acme-data", "acme-data"),
        (
            "</details><img src=x onerror=alert(1)>",
            "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;",
        ),
        ("a & b", "a &amp; b"),
        ("`code` span", "&#96;code&#96; span"),
        ("ping @acme-ml/admins", "ping &#64;acme-ml/admins"),
        ("cell | break", "cell \\| break"),
        ("two\nlines\r\nhere", "two lines here"),
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        ("**bold** ~~s~~ INVALID_NAME", "\\*\\*bold\\*\\* \\~\\~s\\~\\~ INVALID_NAME"),
        ("# heading (not at a line start)", "# heading (not at a line start)"),
        ("back\\slash", "back\\\\slash"),
        ('quote "x"', "quote &quot;x&quot;"),
        ("![img](x)", "!\\[img\\](x)"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_escaped_text_has_no_markup_characters_left() -> None:
    hostile = "</details>`@team`<b>|\n[x](y)"
    escaped = escape(hostile)
    assert not set("<>`\n") & set(escaped)
    assert "@team" not in escaped
