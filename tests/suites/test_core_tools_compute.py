"""The core computation tools: units, currency, safe arithmetic and the hanging live-rates tool."""

import asyncio

import pytest
from suite_oracle_runner import invoke

from lightclaw.suites.core import RATES_PER_USD, core_registry
from lightclaw.tools import ArgumentsInvalid, ToolContext


@pytest.mark.parametrize(
    ("value", "source", "target", "expected", "symbol"),
    [
        (42.195, "km", "mi", 26.2188, "mi"),
        (42.195, "kilometers", "miles", 26.2188, "mi"),
        (1, "mi", "ft", 5280.0, "ft"),
        (15, "lb", "kg", 6.8039, "kg"),
        (3, "gal", "l", 11.3562, "l"),
        (180, "celsius", "fahrenheit", 356.0, "f"),
        (-40, "f", "c", -40.0, "c"),
        (0, "c", "k", 273.15, "k"),
    ],
)
def test_convert_units(
    value: float, source: str, target: str, expected: float, symbol: str
) -> None:
    result = invoke("convert_units", {}, value=value, from_unit=source, to_unit=target)
    assert result == {"value": pytest.approx(expected, abs=1e-4), "unit": symbol}


def test_convert_units_rejects_mixed_dimensions_and_impossible_temperatures() -> None:
    with pytest.raises(ValueError, match=r"cannot convert length \(km\) to mass \(kg\)"):
        invoke("convert_units", {}, value=1, from_unit="km", to_unit="kg")
    with pytest.raises(ValueError, match="below absolute zero"):
        invoke("convert_units", {}, value=-300, from_unit="c", to_unit="f")
    with pytest.raises(ArgumentsInvalid) as caught:
        invoke("convert_units", {}, value=1, from_unit="furlong", to_unit="m")
    assert caught.value.issues[0].kind == "enum"


def test_convert_currency_uses_the_fixed_table() -> None:
    result = invoke("convert_currency", {}, amount=250, from_currency="EUR", to_currency="usd")
    assert result == {"amount": 271.74, "currency": "USD", "rate": 1.086957}
    same = invoke("convert_currency", {}, amount=10, from_currency="GBP", to_currency="GBP")
    assert same["amount"] == 10
    assert RATES_PER_USD["USD"] == 1.0


def test_convert_currency_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown currency code 'XYZ'; supported: AUD, CAD"):
        invoke("convert_currency", {}, amount=5, from_currency="XYZ", to_currency="USD")
    with pytest.raises(ArgumentsInvalid) as caught:
        invoke("convert_currency", {}, amount=0, from_currency="USD", to_currency="EURO")
    assert {issue.loc: issue.kind for issue in caught.value.issues} == {
        "amount": "range",
        "to_currency": "range",
    }


def test_fetch_live_rates_is_an_async_tool_that_times_out() -> None:
    live = core_registry().get("fetch_live_rates")
    assert live is not None
    assert live.is_async and live.timeout == 0.3
    assert "may be unavailable" in live.description
    assert "convert_currency" in live.description
    kwargs = live.call_kwargs(live.validate({"base": "USD"}), ToolContext())

    async def call() -> object:
        return await asyncio.wait_for(live.fn(**kwargs), live.timeout)

    with pytest.raises(TimeoutError):
        asyncio.run(call())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("184.50 * 1.18 / 6", 36.285),
        ("0.15 * 2340 + 120", 471),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("-2 ** 2", -4),
        ("7 // 2 + 7 % 2", 4),
        ("sqrt(16) + abs(-3) + max(1, 2) + min(4, 5) + round(2.567, 1)", 15.6),
        ("0.1 + 0.2", 0.3),
    ],
)
def test_calculate(expression: str, expected: float) -> None:
    assert invoke("calculate", {}, expression=expression) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("expression", "error", "message"),
    [
        ("1 / (3 - 3)", ZeroDivisionError, r"division by zero in '1 / \(3 - 3\)'"),
        ("2,340 * 2", ValueError, "unsupported element"),
        ("__import__('os').getcwd()", ValueError, "unsupported element"),
        ("x + 1", ValueError, "unsupported element 'x'"),
        ("2 +", ValueError, "not a valid arithmetic expression"),
        ("10 ** 1000", ValueError, "exponent 1000 is too large"),
        ("sqrt(-1)", ValueError, "sqrt"),
        ("(-8) ** 0.5", ValueError, "not a real number"),
        ("1e308 * 10", ValueError, "finite"),
        ("'a' * 3", ValueError, "unsupported element"),
    ],
)
def test_calculate_rejects_unsafe_or_invalid_expressions(
    expression: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        invoke("calculate", {}, expression=expression)
