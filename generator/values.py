"""Reading single values the way a person wrote them: money, dates, probabilities.

Used by `validate` for deal files and the config. Each reader takes the text as typed and
returns a value, or raises ValueError with (message, hint) saying how to write it.
"""

from __future__ import annotations

import calendar
import difflib
import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_QUOTED = 60  # characters of a value repeated in a message; the line and column say where
# Control characters and the invisible marks that reorder text (bidi overrides, embeddings,
# isolates): written out as escapes wherever a value is repeated, so a message can neither
# run a terminal escape sequence nor show its words in another order than the file has them.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible(text: str) -> str:
    """`text` with control and text-direction characters as escapes (\\x1b, \\u202e)."""
    return _INVISIBLE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _ESCAPES:
        return _ESCAPES[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """A value as a message repeats it: in quotes, on one line, at most `limit` characters."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "'" + visible(text) + "'"


class BadValue(ValueError):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# Currencies whose amounts are usually written with a decimal comma ("1.234,50"). For these a
# lone "1,234" or "1.234" could mean either thing, so it is refused rather than guessed.
DECIMAL_COMMA_CURRENCIES = frozenset(
    [
        "EUR",
        "BRL",
        "ARS",
        "CLP",
        "COP",
        "DKK",
        "NOK",
        "SEK",
        "IDR",
        "TRY",
        "RUB",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "VND",
        "UAH",
    ]
)
SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "A$": "AUD",
    "C$": "CAD",
    "CHF": "CHF",
    "zł": "PLN",
    "kr": None,
}

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"\s*(?:[Zz]|[+-]\d{1,2}(?::?\d{2})?)?$"
)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MIN_YEAR, MAX_YEAR = 1900, 2200


def parse_date(text: str) -> tuple[date, bool]:
    """A YYYY-MM-DD date. Returns (date, had_time): a time after the date is dropped."""
    return _parse_date(text.strip())


# A pipeline writes the same few hundred dates again and again (every touch has one): each
# is read once, and equal dates are then one object, which also keeps the build cache small.
# A bad date raises every time (lru_cache keeps only what is returned).
@functools.lru_cache(maxsize=8192)
def _parse_date(text: str) -> tuple[date, bool]:
    had_time = False
    m = _DATE.match(text)
    if not m:
        m = _DATETIME.match(text)
        had_time = bool(m)
    q = quoted(text)
    if not m:
        raise BadValue(f"{q} is not a date", "write dates as YYYY-MM-DD, e.g. 2026-09-14")
    year, month, day = (int(g) for g in m.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadValue(
            f"{q} is out of range (year {year})", f"use a year between {MIN_YEAR} and {MAX_YEAR}"
        )
    if not 1 <= month <= 12:
        raise BadValue(
            f"{q} is not a date: there is no month {month}",
            "write dates as YYYY-MM-DD, month between 01 and 12",
        )
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        raise BadValue(f"{q} is not a date: there is no day 0", "check the day of the month")
    if day > last:
        raise BadValue(
            f"{q} is not a date: {_MONTHS[month - 1]} {year} has {last} days",
            "check the day of the month",
        )
    return date(year, month, day), had_time


MAX_AMOUNT_TEXT = 50
_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


_CODE_FIRST = re.compile(r"^([A-Za-z]{3})\s*(\d.*)$")
_CODE_LAST = re.compile(r"^(.*\d)\s*([A-Za-z]{3})$")
_AMOUNT_CHARS = re.compile(r"[\d.,' ]+")
_SYMBOLS_LONGEST_FIRST = sorted(SYMBOLS, key=len, reverse=True)


def parse_amount(text: str, currency: str | None) -> tuple[Decimal, str | None]:
    """An amount of money as typed: "4800", "4,800", "$4,800", "4.8k", "EUR 1.234,50".

    Returns (amount, currency named in the text or None). `currency` is the one the deal
    is in (for deciding what a lone comma means).
    """
    return _parse_amount(text, currency)


# Amounts repeat too (4800, 12k); a bad one raises every time, as with dates
@functools.lru_cache(maxsize=8192)
def _parse_amount(text: str, currency: str | None) -> tuple[Decimal, str | None]:
    original = quoted(text)
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    how = "write the amount as a plain number such as 4800 or 4800.50"
    if len(s) > MAX_AMOUNT_TEXT:  # no amount below the maximum is written this long
        raise BadValue(f"{original} is not an amount", how)
    named: str | None = None
    # a currency code or symbol before or after the number
    m = _CODE_FIRST.match(s)
    if m:
        named, s = m.group(1).upper(), m.group(2)
    else:
        m = _CODE_LAST.match(s)
        if m:
            named, s = m.group(2).upper(), m.group(1)
    if named is None:
        for sym in _SYMBOLS_LONGEST_FIRST:
            if s.startswith(sym) or s.endswith(sym):
                named = SYMBOLS[sym]
                s = (s[len(sym) :] if s.startswith(sym) else s[: -len(sym)]).strip()
                break
    if s.startswith("-") or s.startswith("(") or s.startswith("\u2212"):
        raise BadValue(f"{original} is negative", "a deal's value is 0 or more")
    multiplier, suffix = Decimal(1), ""
    if s[-1:] in ("k", "K"):
        multiplier, suffix, s = Decimal(1000), s[-1], s[:-1].strip()
    elif s[-1:] in ("m", "M"):
        multiplier, suffix, s = Decimal(1_000_000), s[-1], s[:-1].strip()
    if not s or not _AMOUNT_CHARS.fullmatch(s) or not s[0].isdigit() or not s[-1].isdigit():
        raise BadValue(f"{original} is not an amount", how)
    s = s.replace("'", " ")
    if " " in s:
        groups = s.split(" ")
        if not all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            raise BadValue(f"{original} is not an amount", how)
        s = "".join(groups[:-1]) + groups[-1]
    decimal_comma = (named or currency or "") in DECIMAL_COMMA_CURRENCIES
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        dec_sep = "," if s.rfind(",") > s.rfind(".") else "."
        group_sep = "." if dec_sep == "," else ","
        whole, _, frac = s.rpartition(dec_sep)
        if whole.count(dec_sep) or not _grouped(whole, group_sep):
            raise BadValue(f"{original} is not an amount", how)
        number = whole.replace(group_sep, "") + "." + frac
    elif commas or dots:
        sep = "," if commas else "."
        parts = s.split(sep)
        if len(parts) > 2:
            if not _grouped(s, sep):
                raise BadValue(f"{original} is not an amount", how)
            number = s.replace(sep, "")
        else:
            whole, frac = parts
            thousands_like = len(frac) == 3 and 1 <= len(whole) <= 3
            if sep == "," and not thousands_like:
                raise BadValue(
                    f"{original} is ambiguous: is the comma a decimal point?",
                    f"write {whole}.{frac}{suffix} for a decimal, or {whole}{frac}{suffix} "
                    "for a whole "
                    "number (a dot for decimals, no thousands separator)",
                )
            if thousands_like and (
                (sep == "," and decimal_comma) or (sep == "." and decimal_comma)
            ):
                raise BadValue(
                    f"{original} is ambiguous with {named or currency}: thousands or decimals?",
                    f"write {whole}{frac}{suffix} or {whole}.{frac}{suffix} (a dot for "
                    "decimals, no thousands separator)",
                )
            number = whole + frac if sep == "," else whole + "." + frac
    else:
        number = s
    if not _NUMBER.match(number):
        raise BadValue(f"{original} is not an amount", how)
    try:
        amount = Decimal(number) * multiplier
    except InvalidOperation as exc:  # pragma: no cover - the regex above rules this out
        raise BadValue(f"{original} is not an amount", how) from exc
    if amount > Decimal(10) ** 12:
        raise BadValue(f"{original} is too large", "a deal's value must be below 1,000,000,000,000")
    return _tidy(amount), named


def _grouped(s: str, sep: str) -> bool:
    """Digits in groups of three (1,234,567), or with a comma the Indian way, in lakhs and
    crores (4,80,000 and 1,23,45,678): neither can be read as decimals."""
    groups = s.split(sep)
    if not all(g.isdigit() for g in groups):
        return False
    if 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return True
    return (
        sep == ","
        and len(groups) >= 3
        and 1 <= len(groups[0]) <= 2
        and all(len(g) == 2 for g in groups[1:-1])
        and len(groups[-1]) == 3
    )


def _tidy(d: Decimal) -> Decimal:
    """4.8k is 4800, not 4.8E+3, and 1e3 is 1000: an exact integer keeps no exponent."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d


def parse_probability(text: str) -> Decimal:
    """0..1, or a percentage such as 40%."""
    s = text.strip()
    how = "write a probability between 0 and 1 (0.4) or as a percentage (40%)"
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    sign = s[:1] if s[:1] in ("-", "+", "\u2212") else ""
    if not _NUMBER.match(s[len(sign) :]):
        raise BadValue(f"{quoted(text)} is not a probability", how)
    p = Decimal(s[len(sign) :]) * (-1 if sign and sign != "+" else 1)
    if percent:
        p = p / 100
    if not 0 <= p <= 1:
        raise BadValue(f"{quoted(text)} is outside 0..1", how)
    return _tidy(p) if p in (0, 1) else p


def parse_whole(text: str, low: int = 0) -> int:
    s = text.strip()
    if not re.fullmatch(r"\d+", s):
        raise BadValue(
            f"{quoted(text)} is not a whole number", f"write a whole number of {low} or more"
        )
    if int(s) < low:
        raise BadValue(
            f"{quoted(text)} is less than {low}", f"write a whole number of {low} or more"
        )
    return int(s)


def suggest(word: str, choices: list[str], n: int = 2, cutoff: float = 0.6) -> list[str]:
    """Close matches for a misspelt key or stage ("did you mean ...?")."""
    return list(_suggest(word.lower(), tuple(choices), n, cutoff))


@functools.lru_cache(maxsize=4096)  # the same extra keys recur in every file of a pipeline
def _suggest(word: str, choices: tuple[str, ...], n: int, cutoff: float) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(word, choices, n=n, cutoff=cutoff))


def quote_list(items: list[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
