"""Computation tools: units, currency (fixed rate table), safe arithmetic, and a live-rates
service that never answers in this closed sandbox. None of them touch the state."""

import ast
import asyncio
import math
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from lightclaw.suites.arith import BINARY_OPERATORS
from lightclaw.tools import tool

# Units per canonical symbol: (dimension, factor to the dimension's base unit). Temperatures are
# handled separately (offsets, not factors).
_UNITS: dict[str, tuple[str, float]] = {
    "km": ("length", 1000.0),
    "m": ("length", 1.0),
    "mi": ("length", 1609.344),
    "ft": ("length", 0.3048),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237),
    "oz": ("mass", 0.028349523125),
    "l": ("volume", 1.0),
    "ml": ("volume", 0.001),
    "gal": ("volume", 3.785411784),
    "c": ("temperature", 1.0),
    "f": ("temperature", 1.0),
    "k": ("temperature", 1.0),
}
_ALIASES = {
    "kilometers": "km",
    "meters": "m",
    "miles": "mi",
    "feet": "ft",
    "kilograms": "kg",
    "grams": "g",
    "pounds": "lb",
    "ounces": "oz",
    "liters": "l",
    "milliliters": "ml",
    "gallons": "gal",
    "celsius": "c",
    "fahrenheit": "f",
    "kelvin": "k",
}
Unit = Literal[
    "km", "kilometers", "m", "meters", "mi", "miles", "ft", "feet",
    "kg", "kilograms", "g", "grams", "lb", "pounds", "oz", "ounces",
    "l", "liters", "ml", "milliliters", "gal", "gallons",
    "c", "celsius", "f", "fahrenheit", "k", "kelvin",
]  # fmt: skip

# Units of each currency per 1 US dollar: a fixed table, never live.
RATES_PER_USD: dict[str, float] = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 149.5,
    "CHF": 0.88,
    "CAD": 1.36,
    "AUD": 1.52,
    "INR": 83.2,
    "CNY": 7.19,
    "SEK": 10.45,
    "NOK": 10.6,
    "MXN": 17.1,
}


def _to_kelvin(value: float, unit: str) -> float:
    if unit == "c":
        return value + 273.15
    if unit == "f":
        return (value - 32.0) * 5.0 / 9.0 + 273.15
    return value


def _from_kelvin(value: float, unit: str) -> float:
    if unit == "c":
        return value - 273.15
    if unit == "f":
        return (value - 273.15) * 9.0 / 5.0 + 32.0
    return value


@tool
def convert_units(value: float, from_unit: Unit, to_unit: Unit) -> dict[str, float | str]:
    """Convert a quantity between units of length, mass, volume or temperature.

    Args:
        value: The quantity to convert.
        from_unit: Unit of ``value`` (symbol or name, e.g. "km" or "kilometers").
        to_unit: Unit to convert to.
    """
    source, target = _ALIASES.get(from_unit, from_unit), _ALIASES.get(to_unit, to_unit)
    (dimension, factor), (target_dimension, target_factor) = _UNITS[source], _UNITS[target]
    if dimension != target_dimension:
        raise ValueError(
            f"cannot convert {dimension} ({from_unit}) to {target_dimension} ({to_unit})"
        )
    if dimension == "temperature":
        kelvin = _to_kelvin(value, source)
        if kelvin < 0:
            raise ValueError(f"{value} {from_unit} is below absolute zero")
        result = _from_kelvin(kelvin, target)
    else:
        result = value * factor / target_factor
    return {"value": round(result, 4), "unit": target}


def _currency(code: str) -> str:
    normalized = code.strip().upper()
    if normalized not in RATES_PER_USD:
        supported = ", ".join(sorted(RATES_PER_USD))
        raise ValueError(f"unknown currency code {code!r}; supported: {supported}")
    return normalized


@tool
def convert_currency(
    amount: Annotated[float, Field(gt=0, le=1_000_000_000)],
    from_currency: Annotated[str, Field(min_length=3, max_length=3)],
    to_currency: Annotated[str, Field(min_length=3, max_length=3)],
) -> dict[str, float | str]:
    """Convert money between currencies with the fixed reference rate table (not live rates).

    Args:
        amount: The amount of money in ``from_currency``.
        from_currency: ISO 4217 code of the amount, e.g. "EUR".
        to_currency: ISO 4217 code to convert to, e.g. "USD".
    """
    source, target = _currency(from_currency), _currency(to_currency)
    rate = RATES_PER_USD[target] / RATES_PER_USD[source]
    return {"amount": round(amount * rate, 2), "currency": target, "rate": round(rate, 6)}


@tool(timeout=0.3)
async def fetch_live_rates(
    base: Annotated[str, Field(min_length=3, max_length=3)],
) -> dict[str, float]:
    """Fetch live exchange rates for a base currency from the remote rates service.

    Live rates may be unavailable (the service often does not answer); convert_currency
    works offline with the fixed reference table.

    Args:
        base: ISO 4217 code of the base currency, e.g. "USD".
    """
    await asyncio.sleep(30)
    raise ConnectionError(f"the live rates service did not answer for {base}")


_BINARY = BINARY_OPERATORS
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
}
_MAX_EXPONENT = 100
_MAX_INT = 10**100


def _checked(value: object) -> float:
    """Reject complex results and absurdly large integers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"the result {value!r} is not a real number")
    if isinstance(value, int) and abs(value) > _MAX_INT:
        raise ValueError("the result is too large")
    return value


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"exponent {right} is too large (limit {_MAX_EXPONENT})")
        return _checked(_BINARY[type(node.op)](left, right))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        args = [_evaluate(arg) for arg in node.args]
        try:
            return _checked(_FUNCTIONS[node.func.id](*args))
        except ValueError as exc:
            raise ValueError(f"{node.func.id}() of {args}: {exc}") from None
    raise ValueError(f"unsupported element {ast.unparse(node)!r}")


@tool
def calculate(expression: Annotated[str, Field(min_length=1, max_length=200)]) -> float:
    """Evaluate an arithmetic expression safely.

    Supports numbers, + - * / // % ** and parentheses, and the functions abs, round, min,
    max and sqrt. Thousands separators are not allowed (write 2340, not 2,340).

    Args:
        expression: The expression, e.g. "184.50 * 1.18 / 6".
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"{expression!r} is not a valid arithmetic expression") from None
    try:
        result = _evaluate(tree)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"division by zero in {expression!r}") from None
    except (TypeError, OverflowError) as exc:
        raise ValueError(f"cannot evaluate {expression!r}: {exc}") from None
    if isinstance(result, float):
        if not math.isfinite(result):
            raise ValueError(f"{expression!r} does not evaluate to a finite number")
        return round(result, 10)
    return result
