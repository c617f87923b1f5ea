"""HTML -> :class:`Page`: interactive elements, forms, readable text, then gates and jobs.

One parse of the document (selectolax's Lexbor parser) and one walk of its tree give every
element's document order and visibility; the interactive elements are the matches of
:data:`INTERACTIVE_SELECTOR`, numbered ``e1``, ``e2``... in document order unless the browser
backend already tagged them with ``data-lc-id`` (it tags the live DOM with the same selector).
:func:`parse_page` never raises: input that cannot be read as HTML gives a Page with ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from lightclaw.envs.web.extract import child_nodes, extract_jobs
from lightclaw.envs.web.gates import PageFacts, detect_gates
from lightclaw.envs.web.model import Element, Form, FormField, Page, Role
from lightclaw.envs.web.session import resolve

_CAPTCHA_CLASSES = ("g-recaptcha", "h-captcha", "cf-turnstile")
CAPTCHA_SELECTOR = ".g-recaptcha, .h-captcha, .cf-turnstile, [data-sitekey]"
INTERACTIVE_SELECTOR = (
    "a[href], button, input, select, textarea, form, iframe, [role=button], [role=link], "
    + CAPTCHA_SELECTOR
)
"""What gets an element id; Chromium's ``querySelectorAll`` understands it too."""

CAPTCHA_FRAME = re.compile(
    r"recaptcha/api2/(anchor|bframe)|recaptcha/enterprise/(anchor|bframe)|hcaptcha\.com"
    r"|challenges\.cloudflare\.com",
    re.IGNORECASE,
)
_CAPTCHA_WORD = re.compile(r"captcha|turnstile", re.IGNORECASE)
_CARD_NAME = re.compile(
    r"card[-_ ]?num|cardnumber|cc[-_]?(num|number|exp|csc|cvc|cvv)|\bcvc\b|\bcvv\b|cvc2|cvv2"
    r"|security[-_ ]?code|expiry|exp[-_]?(date|month|year)|card[-_ ]?exp",
    re.IGNORECASE,
)
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
_NOT_LABEL_TEXT = frozenset({"select", "textarea", "script", "style", "input", "label", "button"})
_FIELD_TAGS = frozenset({"input", "select", "textarea"})
_NOT_FIELDS = frozenset({"submit", "image", "button", "reset"})
_WS = re.compile(r"\s+")
_MAX_LABEL = 100
_OFFSCREEN = re.compile(r"(?:left|top|text-indent)\s*:\s*-\d{3,}", re.IGNORECASE)
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|!|$)",
    re.IGNORECASE,
)
_CSS_RULE = re.compile(r"([^{}@]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^[a-zA-Z0-9]*(?:[.#][\w-]+)+$")


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


_LABEL_NOISE = re.compile(
    r"[*\u2731\u2217\uff0a]|\(required\)|\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b",
    re.IGNORECASE,
)


def clip_label(text: str) -> str:
    """A label as a person reads it: no required-marker ``*`` or "(required)" (``required``
    says it), no machine token such as Greenhouse's hex disambiguator, at most 100 chars."""
    return collapse(_LABEL_NOISE.sub(" ", text))[:_MAX_LABEL].strip()


def hides(style: str) -> bool:
    """An inline style that takes an element away from a person's eyes."""
    return bool(_HIDING_STYLE.search(style) or _OFFSCREEN.search(style))


def decode_html(data: str | bytes) -> tuple[str, str | None]:
    """Text to parse and an error (binary or empty input). Bytes are decoded by their BOM, else
    their declared charset, else UTF-8 (undecodable bytes become replacement characters)."""
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:].decode("utf-8", errors="replace")
    elif isinstance(data, bytes) and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", errors="replace")
    if isinstance(data, bytes):
        head = data[:1024].lower()
        charset = re.search(rb"charset=[\"']?([a-z0-9_-]+)", head)
        encoding = charset.group(1).decode("ascii") if charset else "utf-8"
        try:
            text = data.decode(encoding, errors="replace")
        except LookupError:
            text = data.decode("utf-8", errors="replace")
    else:
        text = data
    if not text.strip():
        return "", "empty page"
    sample = text[:4096]
    controls = sum(1 for ch in sample if ch < "\x20" and ch not in "\t\n\r\f")
    if (
        "\x00" in sample
        or controls > len(sample) // 10
        or sample.count("\ufffd") > len(sample) // 4
    ):
        return "", "not an HTML page (binary content)"
    return text, None


@dataclass
class Walk:
    """What one pass over the tree learns: document order, visibility, readable text."""

    order: dict[int, int] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)
    text: list[str] = field(default_factory=list)


def css_hidden(tree: LexborHTMLParser) -> set[int]:
    """Elements hidden by a simple rule of the page's own ``<style>`` blocks (``.hp {display:
    none}``); rules inside ``@media`` and complex selectors are ignored."""
    found: set[int] = set()
    for style in tree.css("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text(deep=True), flags=re.S)
        css = re.sub(r"@[^{]+\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
        for selectors, body in _CSS_RULE.findall(css):
            if not hides(body):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if _SIMPLE_SELECTOR.match(selector):
                    try:
                        found.update(node.mem_id for node in tree.css(selector))
                    except Exception:  # a selector selectolax rejects is skipped
                        continue
    return found


def self_hidden(node: LexborNode, by_css: set[int]) -> bool:
    attrs = node.attributes
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if node.tag == "input" and (attrs.get("type") or "").strip().lower() == "hidden":
        return True
    return hides(attrs.get("style") or "") or node.mem_id in by_css


def walk(root: LexborNode, by_css: set[int]) -> Walk:
    """Iterative depth-first walk (deeply nested pages cannot overflow the stack)."""
    seen = Walk()
    stack: list[tuple[LexborNode, bool, bool]] = [(root, False, False)]
    while stack:
        node, hidden_above, skip_text = stack.pop()
        tag = node.tag
        if tag == "-text":
            if not hidden_above and not skip_text:
                seen.text.append(node.text_content or "")
            continue
        if tag is None or tag.startswith("-"):
            continue
        seen.order[node.mem_id] = len(seen.order)
        hidden = hidden_above or self_hidden(node, by_css)
        if hidden:
            seen.hidden.add(node.mem_id)
        skip = skip_text or tag in _SKIP_TEXT
        children: list[tuple[LexborNode, bool, bool]] = []
        child = node.child
        while child is not None:
            children.append((child, hidden, skip))
            child = child.next
        stack.extend(reversed(children))
        if tag in ("br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "section"):
            seen.text.append(" ")
    return seen


def role_of(node: LexborNode, in_form: bool) -> Role:
    attrs = node.attributes
    tag = node.tag or ""
    kind = (attrs.get("type") or "").strip().lower()
    if node.css_matches(CAPTCHA_SELECTOR):
        return "captcha"
    if tag == "iframe":
        names = " ".join(attrs.get(key) or "" for key in ("title", "name", "id"))
        captcha = CAPTCHA_FRAME.search(attrs.get("src") or "") or _CAPTCHA_WORD.search(names)
        return "captcha" if captcha or _CAPTCHA_WORD.search(attrs.get("src") or "") else "iframe"
    if tag == "a":
        return "link"
    if tag == "button":
        if kind == "submit" or (not kind and in_form):
            return "submit"
        return "button"
    if tag in _FIELD_TAGS and is_card_field(node):
        return "payment"
    if tag == "input":
        simple: dict[str, Role] = {
            "hidden": "hidden",
            "submit": "submit",
            "image": "submit",
            "button": "button",
            "reset": "button",
            "email": "email",
            "tel": "tel",
            "password": "password",
            "file": "file",
            "checkbox": "checkbox",
            "radio": "radio",
        }
        return simple.get(kind, "textbox")
    if tag == "select":
        return "select"
    if tag == "textarea":
        return "textarea"
    return "link" if (attrs.get("role") or "").strip().lower() == "link" else "button"


def is_card_field(node: LexborNode) -> bool:
    attrs = node.attributes
    if (attrs.get("autocomplete") or "").strip().lower().startswith("cc-"):
        return True
    names = " ".join(attrs.get(key) or "" for key in ("name", "id", "data-stripe"))
    return bool(_CARD_NAME.search(names))


@dataclass
class Labels:
    """``<label for>`` texts by target id, and element texts by id (aria-labelledby)."""

    tree: LexborHTMLParser
    by_for: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, tree: LexborHTMLParser) -> Labels:
        labels = cls(tree)
        for label in tree.css("label[for]"):
            target = (label.attributes.get("for") or "").strip()
            if target and target not in labels.by_for:
                labels.by_for[target] = label_text(label)
        return labels

    def by_ids(self, ids: str) -> str:
        parts: list[str] = []
        for ref in ids.split():
            found = self.tree.css_first(f'[id="{ref}"]') if '"' not in ref else None
            if found is not None:
                parts.append(found.text(deep=True))
        return " ".join(parts)


def label_text(label: LexborNode) -> str:
    """A label's own words, without the text of the controls it wraps."""
    parts: list[str] = []
    stack = [label]
    while stack:
        node = stack.pop()
        if node.tag == "-text":
            parts.append(node.text_content or "")
            continue
        if node is not label and node.tag in _NOT_LABEL_TEXT:
            continue
        stack.extend(reversed(child_nodes(node)))
    return clip_label(" ".join(parts))


def control_label(node: LexborNode, labels: Labels) -> str:
    attrs = node.attributes
    html_id = (attrs.get("id") or "").strip()
    if html_id and labels.by_for.get(html_id):
        return labels.by_for[html_id]
    parent = node.parent
    while parent is not None and parent.tag not in ("form", "body", "html"):
        if parent.tag == "label":
            text = label_text(parent)
            if text:
                return text
            break
        parent = parent.parent
    for candidate in (
        attrs.get("aria-label"),
        labels.by_ids(attrs.get("aria-labelledby") or ""),
        attrs.get("placeholder"),
        caption_before(node),
        attrs.get("name"),
    ):
        text = clip_label(candidate or "")
        if text:
            return text
    return ""


_CONTROLS = "input, select, textarea, button"


def caption_before(node: LexborNode) -> str:
    """Short text just before the field or its container that is not a ``<label>`` (Lever's
    ``<div class="application-label">Resume/CV</div><div><input type=file></div>``)."""
    current: LexborNode | None = node
    for _ in range(2):
        if current is None:
            return ""
        before = current.prev
        while before is not None and (before.tag or "").startswith("-"):
            if before.tag == "-text" and (before.text_content or "").strip():
                break
            before = before.prev
        if before is not None:
            is_control = before.tag in ("input", "select", "textarea", "button", "form")
            if not is_control and before.css_first(_CONTROLS) is None:
                text = clip_label(
                    before.text(deep=True) if before.tag != "-text" else before.text_content or ""
                )
                return text if len(text) <= 80 else ""
            return ""
        current = current.parent
    return ""


def element_text(node: LexborNode, role: Role, labels: Labels) -> str:
    attrs = node.attributes
    tag = node.tag or ""
    if tag in _FIELD_TAGS and role not in ("submit", "button"):
        return control_label(node, labels)
    if tag == "input":
        return clip_label(attrs.get("value") or attrs.get("aria-label") or "Submit")
    if tag == "iframe":
        return clip_label(attrs.get("title") or attrs.get("name") or "")
    text = clip_label(node.text(deep=True, separator=" "))
    if not text:
        image = node.css_first("img[alt]")
        text = clip_label(
            attrs.get("aria-label")
            or labels.by_ids(attrs.get("aria-labelledby") or "")
            or attrs.get("title")
            or (image.attributes.get("alt") if image is not None else "")
            or attrs.get("value")
            or ""
        )
    return text


def form_of(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None:
        if parent.tag == "form":
            return parent
        parent = parent.parent
    return None


def origin_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def parse_page(
    html: str | bytes,
    url: str,
    *,
    status: int = 200,
    boxes: Mapping[str, tuple[float, float, float, float]] | None = None,
) -> Page:
    """The :class:`Page` of ``html`` loaded from ``url``; never raises."""
    text, error = decode_html(html)
    if error:
        return Page(url=url, status=status, error=error)
    try:
        return build_page(text, url, status, boxes or {})
    except Exception as exc:  # a page that breaks the parser is data
        return Page(
            url=url, status=status, error=f"could not parse the page ({type(exc).__name__})"
        )


def build_page(
    html: str, url: str, status: int, boxes: Mapping[str, tuple[float, float, float, float]]
) -> Page:
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is None:
        return Page(url=url, status=status, error="not an HTML page")
    seen = walk(root, css_hidden(tree))
    labels = Labels.of(tree)
    title_node = tree.css_first("title")
    title = collapse(title_node.text(deep=True)) if title_node is not None else ""

    unique = {n.mem_id: n for n in tree.css(INTERACTIVE_SELECTOR)}
    matches = sorted(unique.values(), key=lambda n: seen.order.get(n.mem_id, 0))
    ids: dict[int, str] = {}
    used: set[str] = set()
    for number, node in enumerate(matches, start=1):
        tagged = (node.attributes.get("data-lc-id") or "").strip()
        element_id = tagged if tagged and tagged not in used else f"e{number}"
        used.add(element_id)
        ids[node.mem_id] = element_id
    forms_by_html_id = {
        (n.attributes.get("id") or "").strip(): n for n in matches if n.tag == "form"
    }

    elements: list[Element] = []
    members: dict[str, list[tuple[LexborNode, Element]]] = {}
    for node in matches:
        if node.tag == "form":
            continue
        form_node = form_of(node)
        owner_ref = (node.attributes.get("form") or "").strip()
        if owner_ref and owner_ref in forms_by_html_id:
            form_node = forms_by_html_id[owner_ref]
        form_id = ids.get(form_node.mem_id) if form_node is not None else None
        role = role_of(node, form_id is not None)
        href: str | None = None
        if node.tag == "a" or (node.tag == "iframe" and node.attributes.get("src")):
            raw = (node.attributes.get("href") or node.attributes.get("src") or "").strip()
            href = resolve(raw, url) if raw else None
        attrs = node.attributes
        element = Element(
            id=ids[node.mem_id],
            tag=node.tag or "",
            role=role,
            text=element_text(node, role, labels),
            href=href,
            form=form_id,
            name=(attrs.get("name") or None),
            required="required" in attrs
            or (attrs.get("aria-required") or "").strip().lower() == "true",
            hidden=node.mem_id in seen.hidden,
            bbox=boxes.get(ids[node.mem_id]),
        )
        elements.append(element)
        if form_id is not None:
            members.setdefault(form_id, []).append((node, element))

    code = [s.text(deep=True) for s in tree.css("script") if not s.attributes.get("src")]
    code += [n.attributes.get("onload") or "" for n in tree.css("[onload]")]
    forms = tuple(
        build_form(node, ids[node.mem_id], url, members.get(ids[node.mem_id], []))
        for node in matches
        if node.tag == "form"
    )
    forms = mark_auto_submit(forms, matches, ids, code)
    page_text = collapse(" ".join(seen.text))
    jobs = extract_jobs(tree, url)
    elements_t = tuple(elements)
    order = {ids[n.mem_id]: position for position, n in enumerate(matches)}
    html_ids = {
        ids[n.mem_id]: (n.attributes.get("id") or "").strip()
        for n in matches
        if (n.attributes.get("id") or "").strip()
    }
    captcha_classes = {
        ids[n.mem_id]: next(c for c in _CAPTCHA_CLASSES if c in classes)
        for n in matches
        if (classes := (n.attributes.get("class") or "").split())
        and any(c in classes for c in _CAPTCHA_CLASSES)
    }
    facts = PageFacts(
        tree, title, page_text, elements_t, forms, bool(jobs), order, html_ids, captcha_classes
    )
    gates = detect_gates(facts)
    return Page(
        url=url,
        title=title,
        status=status,
        elements=elements_t,
        forms=forms,
        gates=gates,
        text=page_text,
        jobs=jobs,
    )


def build_form(
    node: LexborNode,
    form_id: str,
    url: str,
    controls: list[tuple[LexborNode, Element]],
) -> Form:
    attrs = node.attributes
    action = resolve((attrs.get("action") or "").strip(), url)
    fields: list[FormField] = []
    submits: list[str] = []
    for control, element in controls:
        kind = (control.attributes.get("type") or "").strip().lower()
        if element.role == "submit":
            submits.append(element.id)
            continue
        if control.tag not in _FIELD_TAGS or (control.tag == "input" and kind in _NOT_FIELDS):
            continue
        field_type = kind or "text" if control.tag == "input" else control.tag or ""
        fields.append(
            FormField(
                element_id=element.id,
                label=element.text,
                type=field_type,
                required=element.required,
                name=element.name,
                hidden=element.hidden,
            )
        )
    action_origin = origin_of(action)
    cross = action_origin[0] in ("http", "https", "mailto") and action_origin != origin_of(url)
    return Form(
        id=form_id,
        action=action,
        method=(attrs.get("method") or "GET").strip().upper() or "GET",
        fields=tuple(fields),
        submit_ids=tuple(submits),
        cross_origin=cross,
    )


_SUBMIT_CALL = re.compile(r"\.\s*(?:requestSubmit\s*\([^()]*\)|submit\s*\(\s*\))")
_FIRST_FORM = re.compile(
    r"forms\s*\[\s*0\s*\]|querySelector\s*\(\s*[\"']form[\"']\s*\)"
    r"|getElementsByTagName\s*\(\s*[\"']form[\"']\s*\)\s*\[\s*0\s*\]"
)


def mark_auto_submit(
    forms: tuple[Form, ...], matches: list[LexborNode], ids: dict[int, str], code: list[str]
) -> tuple[Form, ...]:
    """Forms a script submits without a click (``form.submit()``, ``requestSubmit()``): the
    form the submitting script names by id or name, or the first form for ``forms[0]`` /
    ``querySelector('form')``. A script that binds a handler (``.submit(fn)``) submits nothing."""
    if not forms:
        return forms
    chosen: set[str] = set()
    form_nodes = [node for node in matches if node.tag == "form"]
    for chunk in code:
        if not _SUBMIT_CALL.search(chunk):
            continue
        for node in form_nodes:
            for key in ("id", "name"):
                value = (node.attributes.get(key) or "").strip()
                if value and re.search(rf"[\"'#]{re.escape(value)}[\"'\]]", chunk):
                    chosen.add(ids[node.mem_id])
        if _FIRST_FORM.search(chunk) or re.search(r"\bthis\s*\.\s*submit\s*\(", chunk):
            chosen.add(forms[0].id)
    if not chosen:
        return forms
    return tuple(
        Form(
            id=f.id,
            action=f.action,
            method=f.method,
            fields=f.fields,
            submit_ids=f.submit_ids,
            auto_submit=f.id in chosen,
            cross_origin=f.cross_origin,
        )
        for f in forms
    )
