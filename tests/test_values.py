"""values: money, dates and probabilities read the way a person wrote them.

Unit tests of the readers, then the same values inside a deal file so the exact problem
text (with line and column, counted by hand) is pinned.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from generator.model import Deal, DealFile
from generator.pipeline import load_repo
from generator.values import BadValue, parse_amount, parse_date, parse_probability

from conftest import check_one, write_repo

AMOUNT_HINT = "write the amount as a plain number such as 4800 or 4800.50"
RATES = "currency: USD\nrates: {EUR: 1.08, GBP: 1.27}\n"


def deal(value: str, extra: str = "") -> str:
    """A valid open deal whose `value` is on line 6 (column 8); `extra` lines start at 7."""
    return (
        "---\n"  # 1
        "title: Shopify store redesign\n"  # 2
        "stage: proposal\n"  # 3
        "created: 2026-09-14\n"  # 4
        "next_step: Call\n"  # 5
        f"value: {value}\n"  # 6
        f"{extra}"  # 7...
        "---\n"
    )


def dated(created: str) -> str:
    """A valid open deal whose `created` is on line 4 (column 10)."""
    return (
        "---\n"  # 1
        "title: Shopify store redesign\n"  # 2
        "stage: lead\n"  # 3
        f"created: {created}\n"  # 4
        "next_step: Call\n"  # 5
        "---\n"
    )


# --- money: the readers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "amount", "named"),
    [
        ("4800", "USD", Decimal("4800"), None),
        ("4800.50", "USD", Decimal("4800.50"), None),
        ("4,800", "USD", Decimal("4800"), None),
        ("4,800.50", "USD", Decimal("4800.50"), None),
        ("1,234,567", "USD", Decimal("1234567"), None),
        ("4 800", "USD", Decimal("4800"), None),
        ("$4,800", "USD", Decimal("4800"), "USD"),
        ("$ 4,800", "USD", Decimal("4800"), "USD"),
        ("4.8k", "USD", Decimal("4800"), None),
        ("4.8K", "EUR", Decimal("4800"), None),
        ("12k", "USD", Decimal("12000"), None),
        ("1.5m", "USD", Decimal("1500000"), None),
        ("EUR 1.234,50", "EUR", Decimal("1234.50"), "EUR"),
        ("EUR 1.234,50", "USD", Decimal("1234.50"), "EUR"),
        ("1.234,50 EUR", "EUR", Decimal("1234.50"), "EUR"),
        ("€1.234,50", "EUR", Decimal("1234.50"), "EUR"),
        ("£950", "USD", Decimal("950"), "GBP"),
        ("4800 eur", "USD", Decimal("4800"), "EUR"),
        ("0", "USD", Decimal("0"), None),
        ("010", "USD", Decimal("10"), None),  # YAML 1.1 would read octal 8
    ],
)
def test_amounts_in_every_shape(
    text: str, currency: str, amount: Decimal, named: str | None
) -> None:
    got, got_named = parse_amount(text, currency)
    assert (got, got_named) == (amount, named)
    assert str(got) == str(amount)  # no exponent such as 4.8E+3


def test_amounts_are_exact_decimals() -> None:
    a, _ = parse_amount("1100.10", "USD")
    b, _ = parse_amount("2200.20", "USD")
    assert isinstance(a, Decimal)
    assert a + b == Decimal("3300.30")
    assert str(a + b) == "3300.30"


@pytest.mark.parametrize(
    ("text", "currency", "message", "hint"),
    [
        (
            "9,99",
            "USD",
            "'9,99' is ambiguous: is the comma a decimal point?",
            "write 9.99 for a decimal, or 999 for a whole number (a dot for decimals, "
            "no thousands separator)",
        ),
        (
            "1,234",
            "EUR",
            "'1,234' is ambiguous with EUR: thousands or decimals?",
            "write 1234 or 1.234 (a dot for decimals, no thousands separator)",
        ),
        (
            "1.234",
            "EUR",
            "'1.234' is ambiguous with EUR: thousands or decimals?",
            "write 1234 or 1.234 (a dot for decimals, no thousands separator)",
        ),
        ("-500", "USD", "'-500' is negative", "a deal's value is 0 or more"),
        ("1:30", "USD", "'1:30' is not an amount", AMOUNT_HINT),
        ("lots", "USD", "'lots' is not an amount", AMOUNT_HINT),
        ("4,80,0", "USD", "'4,80,0' is not an amount", AMOUNT_HINT),
        ("", "USD", "'' is not an amount", AMOUNT_HINT),
    ],
)
def test_bad_amounts_say_how_to_write_them(
    text: str, currency: str, message: str, hint: str
) -> None:
    with pytest.raises(BadValue) as exc:
        parse_amount(text, currency)
    assert (exc.value.message, exc.value.hint) == (message, hint)


def test_ambiguous_amount_with_k_keeps_the_k_in_the_hint() -> None:
    # "4,8k" means 4800 to whoever wrote it; a hint to write "4.8" would lose a factor 1000
    with pytest.raises(BadValue) as exc:
        parse_amount("4,8k", "USD")
    assert exc.value.message == "'4,8k' is ambiguous: is the comma a decimal point?"
    assert "4.8k" in exc.value.hint and "write 4.8 " not in exc.value.hint


def test_currency_in_the_text_decides_what_a_lone_dot_means() -> None:
    # "EUR 1.234" is 1234 euros written the German way, or 1.234 euros the English way
    with pytest.raises(BadValue) as exc:
        parse_amount("EUR 1.234", "USD")
    assert exc.value.message == "'EUR 1.234' is ambiguous with EUR: thousands or decimals?"


# --- money: inside a deal file ----------------------------------------------------------


def test_money_shapes_in_a_deal(tmp_path: Path) -> None:
    for i, (text, value) in enumerate(
        [
            ("4800", "4800"),
            ('"4,800"', "4800"),
            ('"$4,800"', "4800"),
            ("4.8k", "4800"),
            ("4800.50", "4800.50"),
            ("010", "10"),
        ]
    ):
        result, problems, _ = check_one(tmp_path / str(i), deal(text), config=RATES)
        assert problems == [], text
        assert isinstance(result, Deal)
        assert str(result.value) == value, text
        assert result.currency == "USD"


def test_value_with_a_currency_in_the_text_sets_the_deal_currency(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, deal('"EUR 1.234,50"'), config=RATES)
    assert problems == []
    assert isinstance(result, Deal)
    assert (result.value, result.currency) == (Decimal("1234.50"), "EUR")
    assert result.base_value == Decimal("1333.2600")  # 1234.50 * 1.08, exact


def test_sum_of_deal_values_is_exact(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"deals/a.md": deal("1100.10"), "deals/b.md": deal("2200.20")})
    loaded = load_repo(root)
    assert loaded.problems == []
    total = sum((d.base_value for d in loaded.deals if d.base_value is not None), Decimal(0))
    assert total == Decimal("3300.30")
    assert str(total) == "3300.30"


def test_nine_comma_ninety_nine_is_ambiguous(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, deal('"9,99"'))
    assert problems == [
        "deals/acme.md:6:8: error: value: '9,99' is ambiguous: is the comma a decimal point?"
    ]
    assert hints == [
        "write 9.99 for a decimal, or 999 for a whole number "
        "(a dot for decimals, no thousands separator)"
    ]
    assert isinstance(result, DealFile)


def test_thousands_comma_with_a_decimal_comma_currency_configured(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, deal("1,234"), config="currency: EUR\n")
    assert problems == [
        "deals/acme.md:6:8: error: value: '1,234' is ambiguous with EUR: thousands or decimals?"
    ]
    assert hints == ["write 1234 or 1.234 (a dot for decimals, no thousands separator)"]


def test_thousands_comma_with_a_decimal_comma_currency_on_the_deal(tmp_path: Path) -> None:
    # currency on line 7; the value is still line 6, column 8
    _, problems, _ = check_one(tmp_path, deal('"1,234"', "currency: EUR\n"), config=RATES)
    assert problems == [
        "deals/acme.md:6:8: error: value: '1,234' is ambiguous with EUR: thousands or decimals?"
    ]


def test_negative_value(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, deal("-500"))
    assert problems == ["deals/acme.md:6:8: error: value: '-500' is negative"]
    assert hints == ["a deal's value is 0 or more"]


def test_sexagesimal_value_is_not_ninety(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, deal("1:30"))
    assert problems == ["deals/acme.md:6:8: error: value: '1:30' is not an amount"]
    assert hints == [AMOUNT_HINT]
    assert isinstance(result, DealFile)


def test_leading_zero_value_is_ten_not_octal_eight(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, deal("010"))
    assert problems == []
    assert isinstance(result, Deal) and result.value == Decimal(10)


def test_value_that_is_a_list(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, deal("[4800]"))
    assert problems == ["deals/acme.md:6:8: error: value: must be an amount"]
    assert hints == ["write e.g. 'value: 4800'"]


def test_value_currency_disagrees_with_the_currency_field(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, deal('"GBP 4800"', "currency: EUR\n"), config=RATES)
    assert problems == ["deals/acme.md:6:8: error: value: says GBP but 'currency' is EUR"]
    assert hints == ["remove the currency from the value or fix 'currency'"]


# --- dates ------------------------------------------------------------------------------


def test_parse_date() -> None:
    assert parse_date("2026-09-14") == (date(2026, 9, 14), False)
    assert parse_date("2028-02-29") == (date(2028, 2, 29), False)
    assert parse_date("2026-09-14T10:30:00+02:00") == (date(2026, 9, 14), True)
    assert parse_date("2026-09-14 23:30:00 -05:00") == (date(2026, 9, 14), True)
    assert parse_date("2026-09-14 10:30") == (date(2026, 9, 14), True)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "2026-02-30",
            "'2026-02-30' is not a date: February 2026 has 28 days",
            "check the day of the month",
        ),
        (
            "2026-02-29",
            "'2026-02-29' is not a date: February 2026 has 28 days",
            "check the day of the month",
        ),
        (
            "2026-04-31",
            "'2026-04-31' is not a date: April 2026 has 30 days",
            "check the day of the month",
        ),
        (
            "2026-13-01",
            "'2026-13-01' is not a date: there is no month 13",
            "write dates as YYYY-MM-DD, month between 01 and 12",
        ),
        ("14/09/2026", "'14/09/2026' is not a date", "write dates as YYYY-MM-DD, e.g. 2026-09-14"),
        ("2026-9-14", "'2026-9-14' is not a date", "write dates as YYYY-MM-DD, e.g. 2026-09-14"),
        ("next week", "'next week' is not a date", "write dates as YYYY-MM-DD, e.g. 2026-09-14"),
    ],
)
def test_bad_dates(text: str, message: str, hint: str) -> None:
    with pytest.raises(BadValue) as exc:
        parse_date(text)
    assert (exc.value.message, exc.value.hint) == (message, hint)


def test_remembered_amounts_depend_on_the_currency_and_bad_ones_keep_failing() -> None:
    assert parse_amount("1.234", "USD") == (Decimal("1.234"), None)
    for _ in range(2):  # the same text with a decimal-comma currency is ambiguous, each time
        with pytest.raises(BadValue, match="ambiguous with EUR"):
            parse_amount("1.234", "EUR")
    assert parse_amount("1.234", "USD") == (Decimal("1.234"), None)


def test_remembered_dates_stay_right_and_bad_ones_keep_failing() -> None:
    # parse_date keeps what it has read; equal dates come back as one object
    first, again = parse_date("2026-09-14"), parse_date(" 2026-09-14 ")
    assert first == again == (date(2026, 9, 14), False) and first[0] is again[0]
    assert parse_date("2026-09-14 10:30") == (date(2026, 9, 14), True)
    for _ in range(2):  # a bad date raises each time, with its own text in the message
        with pytest.raises(BadValue) as exc:
            parse_date(" 2026-02-30")
        assert exc.value.message == "'2026-02-30' is not a date: February 2026 has 28 days"
    with pytest.raises(BadValue) as exc:
        parse_date("2026-02-31")
    assert exc.value.message == "'2026-02-31' is not a date: February 2026 has 28 days"


def test_impossible_date_names_file_line_field_and_month_length(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, dated("2026-02-30"))
    assert problems == [
        "deals/acme.md:4:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days"
    ]
    assert hints == ["check the day of the month"]
    assert isinstance(result, DealFile)


def test_wrongly_formatted_date(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, dated("14/09/2026"))
    assert problems == ["deals/acme.md:4:10: error: created: '14/09/2026' is not a date"]
    assert hints == ["write dates as YYYY-MM-DD, e.g. 2026-09-14"]


def test_date_with_time_and_zone_is_a_warning_and_the_date_is_kept(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, dated("2026-09-14T23:30:00-05:00"))
    assert problems == [
        "deals/acme.md:4:10: warning: created: '2026-09-14T23:30:00-05:00' has a time; "
        "only the date 2026-09-14 is used"
    ]
    assert hints == ["write the date alone as YYYY-MM-DD"]
    # the date as typed, not shifted to UTC (YAML 1.1 would make it 2026-09-15)
    assert isinstance(result, Deal) and result.created == date(2026, 9, 14)


def test_bad_optional_dates_name_their_field(tmp_path: Path) -> None:
    text = deal("4800", "expected_close: 2026-11-31\nnext_step_due: tomorrow\n")
    # line 7 "expected_close: " is 16 characters; line 8 "next_step_due: " is 15
    _, problems, _ = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:7:17: error: expected_close: '2026-11-31' is not a date: "
        "November 2026 has 30 days",
        "deals/acme.md:8:16: error: next_step_due: 'tomorrow' is not a date",
    ]


def test_date_that_is_a_list(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, dated("[2026-09-14]"))
    assert problems == ["deals/acme.md:4:10: error: created: must be a date"]
    assert hints == ["write dates as YYYY-MM-DD, e.g. 2026-09-14"]


# --- probability ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.4", Decimal("0.4")),
        ("40%", Decimal("0.4")),
        ("40 %", Decimal("0.4")),
        ("0", Decimal(0)),
        ("1", Decimal(1)),
        ("100%", Decimal(1)),
        ("12.5%", Decimal("0.125")),
    ],
)
def test_parse_probability(text: str, expected: Decimal) -> None:
    assert parse_probability(text) == expected


def test_probability_in_a_deal_both_forms(tmp_path: Path) -> None:
    for i, text in enumerate(["0.4", "40%"]):
        result, problems, _ = check_one(tmp_path / str(i), deal("4800", f"probability: {text}\n"))
        assert problems == []
        assert isinstance(result, Deal) and result.probability == Decimal("0.4")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5", "'1.5' is outside 0..1"),
        ("140%", "'140%' is outside 0..1"),
        ("40", "'40' is outside 0..1"),
        ("-0.1", "'-0.1' is outside 0..1"),
        ("likely", "'likely' is not a probability"),
    ],
)
def test_probability_out_of_range(tmp_path: Path, text: str, message: str) -> None:
    # line 7 "probability: " is 13 characters
    result, problems, hints = check_one(tmp_path, deal("4800", f"probability: {text}\n"))
    assert problems == [f"deals/acme.md:7:14: error: probability: {message}"]
    assert hints == ["write a probability between 0 and 1 (0.4) or as a percentage (40%)"]
    assert isinstance(result, DealFile)
