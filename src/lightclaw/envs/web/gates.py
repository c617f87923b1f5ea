"""Gates: what on a page blocks a safe dry-run, judged from what blocks, not what is mentioned.

A Cloudflare interstitial or a page whose only content is a challenge is a ``bot_check``; a
passive bot-management script on a normal page is not. A captcha widget or captcha iframe the
applicant must pass is a ``captcha``; a reCAPTCHA notice or the invisible reCAPTCHA script is
not. A visible password field is ``login``, a visible file input ``upload``, visible card
fields ``payment``, and a form that would send applicant data ``submit`` (on its first submit
control, whatever its label says). Order: gates that replace the page first, then document
order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from lightclaw.envs.web.model import Element, Form, Gate

THIN_TEXT = 1200
"""Below this many characters of readable text (and no job), a page holds nothing but its
challenge or its sign-in form."""

_TITLE_MARKERS = re.compile(
    r"just a moment|attention required|checking your browser|security check"
    r"|verify(?:ing)? (?:that )?you are (?:a )?human|one more step|ddos-guard|are you a robot",
    re.IGNORECASE,
)
_PHRASES = re.compile(
    r"checking your browser before accessing|checking if the site connection is secure"
    r"|verify(?:ing)? (?:that )?you are (?:a )?human|enable javascript and cookies to continue"
    r"|needs to review the security of your connection|please complete the security check",
    re.IGNORECASE,
)
_CHALLENGE_SELECTOR = (
    "#challenge-form, form.challenge-form, #challenge-running, #challenge-stage, "
    "#challenge-body-text, #cf-challenge-running, .cf-browser-verification, #cf-please-wait, "
    "#trk_jschal_js, #cf-chl-widget, .cf-challenge"
)
_CHALLENGE_CODE = re.compile(
    r"cf_chl_opt|__cf_chl_|/cdn-cgi/challenge-platform/h/[^\"']*orchestrate|jschl[-_]answer"
    r"|cf-challenge",
    re.IGNORECASE,
)
_PERSONAL = re.compile(
    r"name|e-?mail|phone|mobile|resume|cv\b|cover|linkedin|address|birth|salary|portfolio"
    r"|github|website|gender|veteran|disability|visa|sponsor|authori[sz]",
    re.IGNORECASE,
)
_PERSONAL_TYPES = frozenset({"email", "tel", "file", "textarea", "password", "date"})


@dataclass(frozen=True)
class PageFacts:
    """What the gate rules read, as :mod:`lightclaw.envs.web.parse` found it."""

    tree: LexborHTMLParser
    title: str
    text: str
    elements: tuple[Element, ...]
    forms: tuple[Form, ...]
    has_jobs: bool
    order: Mapping[str, int]
    """Element (and form) id -> document position."""
    html_ids: Mapping[str, str]
    """Element id -> the element's own ``id`` attribute, where it has one."""
    captcha_classes: Mapping[str, str]
    """Element id -> the captcha class of a captcha container (``g-recaptcha``...)."""

    @property
    def thin(self) -> bool:
        return len(self.text) < THIN_TEXT and not self.has_jobs


def selector(element: Element, facts: PageFacts) -> str:
    html_id = facts.html_ids.get(element.id)
    if element.tag == "input":
        kind = {"file": "file", "password": "password", "email": "email", "tel": "tel"}
        base = f"input[type={kind[element.role]}]" if element.role in kind else "input"
    else:
        base = element.tag
    if html_id:
        return f"{base}#{html_id}"
    if element.name:
        return f'{base}[name="{element.name}"]'
    return f'{base} "{element.text}"' if element.text else base


def bot_check(facts: PageFacts) -> Gate | None:
    """A challenge interstitial (Cloudflare's or a page whose only content is a challenge)."""
    tree = facts.tree
    marker = tree.css_first(_CHALLENGE_SELECTOR)
    evidence: str | None = None
    if marker is not None:
        html_id = marker.attributes.get("id")
        classes = (marker.attributes.get("class") or "").split()
        evidence = f"{marker.tag}#{html_id}" if html_id else f"{marker.tag}.{classes[0]}"
    else:
        for script in tree.css("script"):
            found = _CHALLENGE_CODE.search(script.text(deep=True))
            if found:
                evidence = f"script {found.group(0)!r}"
                break
        for form in facts.forms:
            if evidence is None and "__cf_chl" in form.action:
                evidence = "form action __cf_chl"
    if evidence is None and any(e.role == "captcha" and not e.hidden for e in facts.elements):
        return None  # the challenge is a captcha widget: the captcha gate is what blocks
    title_marker = _TITLE_MARKERS.search(facts.title)
    everything = tree.root.text(deep=True) if tree.root is not None else ""
    phrase = _PHRASES.search(everything)
    if evidence and (title_marker or facts.thin):
        return Gate("bot_check", evidence, None, blocks_page=True)
    if title_marker and (phrase or facts.thin):
        return Gate("bot_check", f'title "{facts.title[:60]}"', None, blocks_page=True)
    if phrase and facts.thin:
        return Gate("bot_check", f'text "{phrase.group(0)}"', None, blocks_page=True)
    return None


def visible(facts: PageFacts, role: str) -> list[Element]:
    return [e for e in facts.elements if e.role == role and not e.hidden]


def captcha_gates(facts: PageFacts, replaced: bool) -> list[Gate]:
    gates: list[Gate] = []
    places: set[str | None] = set()
    for element in visible(facts, "captcha"):
        if element.form in places:
            continue
        if element.tag != "iframe" and is_invisible_widget(facts, element):
            continue
        places.add(element.form)
        blocks = replaced or (
            facts.thin
            and not any(
                f.id != element.form and any(not x.hidden for x in f.fields) for f in facts.forms
            )
        )
        if element.tag == "iframe":
            evidence = f"iframe[src*={captcha_host(element.href or '')}]"
        elif element.id in facts.captcha_classes:
            evidence = f"{element.tag}.{facts.captcha_classes[element.id]}"
        else:
            evidence = f"{element.tag}[data-sitekey]"
        gates.append(Gate("captcha", evidence, element.id, blocks_page=blocks))
    return gates


def captcha_host(src: str) -> str:
    for host in ("recaptcha", "hcaptcha.com", "challenges.cloudflare.com"):
        if host in src:
            return host
    return src[:40]


def is_invisible_widget(facts: PageFacts, element: Element) -> bool:
    """An invisible reCAPTCHA binding (``data-size=invisible``): it runs on submit, and the
    submit gate stops before that."""
    html_id = facts.html_ids.get(element.id)
    for node in facts.tree.css(".g-recaptcha, .h-captcha, .cf-turnstile, [data-sitekey]"):
        same = html_id and node.attributes.get("id") == html_id
        if (same or not html_id) and (node.attributes.get("data-size") or "") == "invisible":
            return True
    return False


def login_gates(facts: PageFacts) -> list[Gate]:
    """One gate per visible password field (a sign-up form's confirmation field too)."""
    gates: list[Gate] = []
    for element in visible(facts, "password"):
        form = next((f for f in facts.forms if f.id == element.form), None)
        others = (
            [f for f in form.fields if not f.hidden and f.type not in ("password", "checkbox")]
            if form
            else []
        )
        wall = not facts.has_jobs and len(others) <= 2
        gates.append(Gate("login", selector(element, facts), element.id, blocks_page=wall))
    return gates


def payment_gates(facts: PageFacts) -> list[Gate]:
    """One gate per form with visible card fields, on its first card field."""
    gates: list[Gate] = []
    places: set[str | None] = set()
    for element in visible(facts, "payment"):
        if element.form in places:
            continue
        places.add(element.form)
        gates.append(Gate("payment", selector(element, facts), element.id))
    return gates


def sends_applicant_data(form: Form, facts: PageFacts) -> bool:
    """POST (with something to send it), or any form with personal fields; a GET search or
    filter form (keywords, location, department) sends nothing of the applicant's."""
    shown = [f for f in form.fields if not f.hidden]
    personal = any(
        f.type in _PERSONAL_TYPES
        or (
            bool(_PERSONAL.search(f"{f.name or ''} {f.label}"))
            and f.type not in ("search", "select", "checkbox", "radio")
        )
        for f in shown
    )
    if personal:
        return True
    if form.method == "POST":
        return bool(shown or form.submit_ids or form.auto_submit)
    return False


def submit_gates(facts: PageFacts, challenge: bool, challenge_forms: set[str]) -> list[Gate]:
    """One gate per form that would send applicant data; the form of a challenge (a bot
    check's hidden form, the form around a captcha that replaces the page) is the challenge."""
    gates: list[Gate] = []
    for form in facts.forms:
        if form.id in challenge_forms or not sends_applicant_data(form, facts):
            continue
        if challenge and not any(not f.hidden for f in form.fields):
            continue  # the challenge's own form: the bot_check gate covers it
        controls = [e for e in facts.elements if e.id in form.submit_ids]
        shown = [e for e in controls if not e.hidden]
        if not controls and not form.auto_submit:
            continue  # nothing submits it: no submit control, no script
        target = shown or controls
        if target:
            evidence = f"{selector(target[0], facts)} submits {form.method} {short(form.action)}"
            element_id: str | None = target[0].id
        else:
            evidence = f"form {form.method} {short(form.action)} (no submit control)"
            element_id = form.id
        if form.auto_submit:
            evidence += " (auto-submits on load)"
        gates.append(Gate("submit", evidence, element_id))
    return gates


def short(url: str) -> str:
    return url if len(url) <= 60 else url[:57] + "..."


def detect_gates(facts: PageFacts) -> tuple[Gate, ...]:
    """The page's gates: page-replacing ones first, then in document order."""
    challenge = bot_check(facts)
    gates: list[Gate] = [challenge] if challenge else []
    gates += captcha_gates(facts, replaced=challenge is not None)
    logins = login_gates(facts)
    payments = payment_gates(facts)
    uploads = [Gate("upload", selector(e, facts), e.id) for e in visible(facts, "file")]
    challenge_forms = {
        facts_form
        for gate in gates
        if gate.type == "captcha" and gate.blocks_page
        for facts_form in [next((e.form for e in facts.elements if e.id == gate.element_id), None)]
        if facts_form
    }
    submits = submit_gates(facts, challenge is not None, challenge_forms)
    gates += logins + payments + uploads + submits
    end = len(facts.order) + 1
    ranked = sorted(
        enumerate(gates),
        key=lambda pair: (
            not pair[1].blocks_page,
            facts.order.get(pair[1].element_id or "", end) if not pair[1].blocks_page else 0,
            pair[0],
        ),
    )
    return tuple(gate for _, gate in ranked)
