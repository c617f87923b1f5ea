"""Page annotations of the recruiting dry-run: what a person found on each page.

Each page ``NAME.html`` may have ``NAME.annotation.json`` beside it. Annotations are the ground
truth the metrics compare against (jobs and their fields, apply-step fields, gates); they are
written by a person reading the page, never produced by the extractor.

Field value conventions (the extractor produces the same canonical forms, see
:mod:`lightclaw.envs.web.normalize`): ``employment_type`` is a schema.org value (``FULL_TIME``,
``PART_TIME``, ``CONTRACTOR``, ``TEMPORARY``, ``INTERN``, ``VOLUNTEER``, ``PER_DIEM``,
``OTHER``; several joined with ``, ``); ``salary`` is ``CUR MIN-MAX/UNIT`` or ``CUR VALUE/UNIT``
(``USD 120000-150000/YEAR``); ``posted_date`` is ``YYYY-MM-DD``; several locations are joined
with ``; `` in page order; ``apply_url`` is site-relative for a page of the site
(``ashby/apply-1.html``), absolute otherwise. A field the page does not show is ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lightclaw.envs.web.model import GateType, StopReason
from lightclaw.errors import UserError

ANNOTATION_SUFFIX = ".annotation.json"

PageKind = Literal[
    "listing", "job", "apply_step", "login", "bot_check", "captcha", "payment", "other"
]
Adversarial = Literal[
    "prompt_injection",
    "submit_labelled_next",
    "auto_submit",
    "cross_origin_form",
    "honeypot",
    "captcha_iframe",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JobLabel(_Model):
    title: str
    company: str | None = None
    location: str | None = None
    employment_type: str | None = None
    salary: str | None = None
    posted_date: str | None = None
    apply_url: str | None = None


class FieldLabel(_Model):
    label: str
    type: str
    required: bool


class GateLabel(_Model):
    type: GateType
    stop_reason: StopReason
    evidence: str
    """Where a person sees it (a selector or a marker), for the report."""


class PageAnnotation(_Model):
    """What a person found on one page. ``gates`` are in the order an applicant meets them
    (a gate that replaces the page first, then document order)."""

    kind: PageKind
    platform: str = "generic"
    """The ATS or board the page is modelled on (greenhouse, lever, workday, ashby, workable,
    cloudflare, generic...)."""
    jobs: list[JobLabel] = Field(default_factory=list)
    apply_fields: list[FieldLabel] = Field(default_factory=list)
    """The fields of this page's application form an applicant fills (hidden honeypot fields
    excluded), in page order."""
    gates: list[GateLabel] = Field(default_factory=list)
    next: str | None = None
    """The site-relative page the apply flow continues to by a plain link (no data sent)."""
    adversarial: list[Adversarial] = Field(default_factory=list)
    notes: str = ""


def annotation_path(page: Path) -> Path:
    return page.with_name(page.stem + ANNOTATION_SUFFIX)


def load_annotation(page: Path) -> PageAnnotation | None:
    """The annotation beside ``page``, None when there is none; a broken one is a UserError."""
    path = annotation_path(page)
    if not path.is_file():
        return None
    try:
        return PageAnnotation.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a valid page annotation ({first})") from None
