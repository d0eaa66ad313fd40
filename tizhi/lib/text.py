"""The one normaliser for text that comes in, typed or imported.

Word and WPS put vertical tabs and other control characters into pasted text; openpyxl refuses
to write them, PostgreSQL refuses NUL, and an XML file with U+FFFE in it does not open in Excel.
Everything a user types or imports passes through `clean_text` once, on the way in, so writing a
row or a file never has to clean again. Codes, numbers and phones pass through `clean_digits`.
"""

import re
import unicodedata

# C0 and C1 control characters except tab and newline (handled below), lone surrogates, and
# the two XML non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What a multi-line field turns into a line break: vertical tab (Word's manual line break),
# form feed, and the Unicode line and paragraph separators.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\u2028\u2029\x85]")
_SPACES = re.compile("[\t\n]+")
# Any C0 or C1 control character, tab and line breaks included: none belongs in a URL path.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ASCII_DIGITS = frozenset("0123456789")


def clean_text(value: object, *, multiline: bool = False, strip: bool = True) -> str:
    """`value` as text fit to store and to write into any file.

    Control characters are removed. In multi-line text a vertical tab, form feed, carriage
    return or Unicode line separator becomes a newline and tabs stay; in single-line text
    every line break or tab becomes one space.
    """
    if value is None:
        return ""
    text = _BREAKS.sub("\n", str(value))
    text = _CONTROL.sub("", text)
    if not multiline:
        text = _SPACES.sub(" ", text)
    return text.strip() if strip else text


def has_control(value: str) -> bool:
    """Whether `value` holds a C0 or C1 control character (tab and line breaks included)."""
    return _ANY_CONTROL.search(value) is not None


class OtherScriptDigits(ValueError):
    """Digits of another script (Arabic-Indic, Devanagari …) where 0–9 are expected."""

    message = "请使用阿拉伯数字0-9填写。"


def clean_digits(value: object) -> str:
    """A code, number or phone as typed: NFKC turns full-width digits and hyphens from a
    Chinese input method into ASCII. Digits of any other script are refused (Python would
    read "٣" as 3, and a code must not have two spellings)."""
    text = unicodedata.normalize("NFKC", clean_text(value))
    if any(unicodedata.category(ch) == "Nd" and ch not in _ASCII_DIGITS for ch in text):
        raise OtherScriptDigits(OtherScriptDigits.message)
    return text


_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value: object) -> int | None:
    """A hidden integer field or an id in a query: ASCII digits only, at most 18 of them
    (so "²", "٣" or 5,000 digits are refused here instead of raising deep inside int())."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    return int(value)
