"""Canonical forms of job fields (see :mod:`lightclaw.suites.recruiting.annotations`).

The extractor writes these forms; :func:`comparable` is the one comparison the metrics use
(so "Full-time" on a page and ``FULL_TIME`` in an annotation, or an absolute and a
site-relative apply URL, agree).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

EMPLOYMENT_TYPES = (
    "FULL_TIME",
    "PART_TIME",
    "CONTRACTOR",
    "TEMPORARY",
    "INTERN",
    "VOLUNTEER",
    "PER_DIEM",
    "OTHER",
)
_EMPLOYMENT_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), value)
    for pattern, value in (
        (r"full[\s_-]*time|permanent|regular", "FULL_TIME"),
        (r"part[\s_-]*time", "PART_TIME"),
        (r"contract|freelance|consultant", "CONTRACTOR"),
        (r"temp(orary)?\b|seasonal|fixed[\s-]*term", "TEMPORARY"),
        (r"intern(ship)?|apprentice|working student", "INTERN"),
        (r"volunteer", "VOLUNTEER"),
        (r"per[\s_-]*diem", "PER_DIEM"),
        (r"^other$", "OTHER"),
    )
)


def employment_type(raw: object) -> str | None:
    """``FULL_TIME``... from a JSON-LD value (string or list) or page text; several joined
    with ``, `` in the order found; None when nothing is recognised."""
    items = raw if isinstance(raw, list) else [raw]
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for part in re.split(r"[,/|;]|\band\b|\bor\b", item):
            part = part.strip()
            if not part:
                continue
            for pattern, value in _EMPLOYMENT_WORDS:
                if pattern.search(part) and value not in found:
                    found.append(value)
                    break
    return ", ".join(found) if found else None


_CURRENCY_SIGNS = (
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("AU$", "AUD"),
    ("US$", "USD"),
    ("$", "USD"),
    ("£", "GBP"),
    ("€", "EUR"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("CHF", "CHF"),
)
_CODES = "USD|EUR|GBP|CAD|AUD|CHF|JPY|INR|SEK|NOK|DKK|PLN|SGD|NZD"
_CUR = rf"{_CODES}|CA\$|C\$|AU\$|A\$|US\$|\$|£|€|¥|₹"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SALARY = re.compile(
    rf"(?P<cur>{_CUR})\s*(?P<a>{_NUM})\s*(?P<ak>[kK]\b)?"
    rf"(?:\s*(?:-|–|—|to)\s*(?:{_CUR})?\s*(?P<b>{_NUM})\s*(?P<bk>[kK]\b)?)?"
    rf"(?:\s*(?P<code>{_CODES})\b)?"
    r"(?:\s*(?:/|per|an|a|each)?\s*(?P<unit>year|yr|annum|annual(?:ly)?|hour|hr|month|mo|week|wk"
    r"|day)\b)?",
    re.IGNORECASE,
)
_UNITS = {
    "year": "YEAR",
    "yr": "YEAR",
    "annum": "YEAR",
    "annual": "YEAR",
    "annually": "YEAR",
    "hour": "HOUR",
    "hr": "HOUR",
    "month": "MONTH",
    "mo": "MONTH",
    "week": "WEEK",
    "wk": "WEEK",
    "day": "DAY",
}


def amount(text: str, thousands: str | None) -> float:
    value = float(text.replace(",", ""))
    return value * 1000 if thousands else value


def number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def salary_text(low: float, high: float | None, currency: str, unit: str | None) -> str:
    if unit is None:
        unit = "YEAR" if low >= 1000 else "HOUR"
    span = number(low) if high is None or high == low else f"{number(low)}-{number(high)}"
    return f"{currency.upper()} {span}/{unit}"


def salary_from_text(text: str, *, loose: bool = True) -> str | None:
    """``USD 120000-150000/YEAR`` from "$120,000 - $150,000 a year" (the first amount that
    looks like pay). ``loose=False`` (text not labelled as pay) also wants a unit or a yearly
    sized amount, so a "$19.99" fee is not a salary."""
    for found in _SALARY.finditer(text):
        cur = found["cur"]
        currency = next((code for sign, code in _CURRENCY_SIGNS if cur.upper() == sign), cur)
        if found["code"] and cur == "$":
            currency = found["code"]
        low = amount(found["a"], found["ak"])
        high = amount(found["b"], found["bk"]) if found["b"] else None
        if high is not None and found["bk"] and not found["ak"] and low < 1000:
            low *= 1000  # "$120-150k"
        if low < 7 or (high is not None and high < low):
            continue
        unit = _UNITS.get((found["unit"] or "").lower())
        if not loose and unit is None and low < 1000:
            continue
        return salary_text(low, high, currency, unit)
    return None


def salary_from_jsonld(raw: object) -> str | None:
    """``baseSalary`` (a MonetaryAmount with a QuantitativeValue, or a bare number/text)."""
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return salary_text(float(raw), None, "USD", None)
    if isinstance(raw, str):
        return salary_from_text(raw)
    if not isinstance(raw, dict):
        return None
    currency = str(raw.get("currency") or "USD")
    value = raw.get("value")
    unit = raw.get("unitText")
    low: Any = None
    high: Any = None
    if isinstance(value, dict):
        unit = value.get("unitText") or unit
        low = value.get("minValue", value.get("value"))
        high = value.get("maxValue")
    else:
        low = value
    try:
        low_f = float(str(low).replace(",", "")) if low is not None else None
        high_f = float(str(high).replace(",", "")) if high is not None else None
    except ValueError:
        return None
    if low_f is None:
        if high_f is None:
            return None
        low_f, high_f = high_f, None
    units = {"YEAR", "MONTH", "WEEK", "DAY", "HOUR"}
    canonical = str(unit).upper() if unit else None
    return salary_text(low_f, high_f, currency, canonical if canonical in units else None)


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}


def posted_date(raw: object) -> str | None:
    """``YYYY-MM-DD`` from ISO dates and times, "October 16, 2024", "16 Oct 2024",
    "10/16/2024" (month first); None when unreadable."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    iso = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        named = re.search(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text)
        if named and named[1].lower() in _MONTHS:
            return date(int(named[3]), _MONTHS[named[1].lower()], int(named[2])).isoformat()
        named = re.search(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})", text)
        if named and named[2].lower() in _MONTHS:
            return date(int(named[3]), _MONTHS[named[2].lower()], int(named[1])).isoformat()
        slashed = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if slashed:
            return date(int(slashed[3]), int(slashed[1]), int(slashed[2])).isoformat()
        stamp = re.fullmatch(r"\d{10}", text)
        if stamp:
            return datetime.utcfromtimestamp(int(text)).date().isoformat()
    except ValueError:
        return None
    return None


def join_locations(places: list[str]) -> str | None:
    unique: list[str] = []
    for place in places:
        place = re.sub(r"\s+", " ", place).strip(" ,;")
        if place and place not in unique:
            unique.append(place)
    return "; ".join(unique) if unique else None


_LOOPBACK = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\]|[\w.-]+\.localhost)(?::\d+)?$")


def comparable(field: str, value: str | None) -> str:
    """The form two values of ``field`` are compared in (metrics): case, whitespace and
    punctuation differences vanish; employment types compare as a set; an apply URL on the
    local site compares by its site-relative path."""
    if value is None:
        return ""
    text = value.strip()
    if field == "apply_url":
        parts = urlsplit(text.split("#", 1)[0])
        if not parts.netloc or _LOOPBACK.match(parts.netloc.lower()):
            path = parts.path.strip("/")
            return f"{path}?{parts.query}" if parts.query else path
        return f"{parts.netloc.lower()}{parts.path.rstrip('/')}" + (
            f"?{parts.query}" if parts.query else ""
        )
    if field == "employment_type":
        found = employment_type(text) or text
        return ", ".join(sorted(t.strip().upper() for t in found.split(",") if t.strip()))
    if field == "salary":
        return re.sub(r"\s+", "", text).upper()
    if field == "posted_date":
        return posted_date(text) or text
    if field == "location":
        return "; ".join(words(part) for part in text.split(";") if part.strip())
    return words(text)


def words(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()
