"""How figures read on the site: money, percentages, days, multiples, dates.

Shared by `charts` and `render` so a number reads the same in a tile, a table and a chart.
Formatting is fixed (not the machine's locale) so builds are the same everywhere.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def money(value: Decimal | int | float | None, currency: str = "", cents: bool = False) -> str:
    """$4,800 / €1,234.50 / 3,000 CHF. Whole units unless `cents` or the amount has them."""
    if value is None:
        return "–"
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    places = 2 if cents or d != d.to_integral_value() else 0
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {currency}".strip()


def short_money(value: Decimal | int | float | None, currency: str = "") -> str:
    """$4.8k / $1.2M, for chart labels and tight tiles."""
    if value is None:
        return "–"
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1000), "k")):
        if abs(d) >= size:
            q = (d / size).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            text = f"{q:,.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{d.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}".strip()


def percent(value: Decimal | float | None, places: int = 0) -> str:
    if value is None:
        return "–"
    d = Decimal(str(value)) * 100
    return f"{d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def days(value: Decimal | float | int | None) -> str:
    if value is None:
        return "–"
    d = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{d}".rstrip("0").rstrip(".") if "." in f"{d}" else f"{d}"
    return f"{text} day" + ("" if text == "1" else "s")


def multiple(value: Decimal | float | None) -> str:
    if value is None:
        return "–"
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{d}×"


def day(value: date | None) -> str:
    """2026-11-20 -> 20 Nov 2026 (English month names, whatever the locale)."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def month(key: str) -> str:
    """'2026-11' -> 'Nov 2026'; other keys ('unscheduled') unchanged."""
    if len(key) == 7 and key[4] == "-":
        return f"{MONTHS[int(key[5:]) - 1]} {key[:4]}"
    return key
