"""The guard refuses gated actions from markup, whatever the labels and the page text say."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lightclaw.envs.tool_env import ToolEnv
from lightclaw.envs.web.guard import recruiting_guard
from lightclaw.envs.web.model import Element, Form, FormField, Gate, Page
from lightclaw.envs.web.session import STATIC_ORIGIN, Site
from lightclaw.envs.web.static import StaticSession
from lightclaw.schema import ToolCall
from lightclaw.tools import ToolRegistry

URL = f"{STATIC_ORIGIN}/jobs/apply.html"


def _env(page: Page) -> ToolEnv:
    session = StaticSession(Site(__import__("pathlib").Path(".")))
    session.page = page
    return ToolEnv(ToolRegistry(), deps=SimpleNamespace(session=session))


def _form(fields: list[tuple[str, str]], *, method: str = "POST", action: str = URL) -> Page:
    elements = [Element(id="e1", tag="form", role="textbox")]
    form_fields = []
    for i, (role, type_) in enumerate(fields, start=2):
        elements.append(Element(id=f"e{i}", tag="input", role=role, form="e1", text=type_))  # type: ignore[arg-type]
        form_fields.append(FormField(element_id=f"e{i}", label=type_, type=type_, required=True))
    submit = f"e{len(fields) + 2}"
    elements.append(Element(id=submit, tag="button", role="submit", text="Next", form="e1"))
    form = Form(
        id="e1", action=action, method=method, fields=tuple(form_fields), submit_ids=(submit,)
    )
    return Page(url=URL, elements=tuple(elements), forms=(form,))


def _click(page: Page, element_id: str) -> str | None:
    call = ToolCall(tool="click", arguments={"element_id": element_id})
    return recruiting_guard(call, _env(page))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ([("email", "email")], "submit_blocked"),
        ([("email", "email"), ("password", "password")], "login_required"),
        ([("textbox", "text"), ("file", "file")], "upload_required"),
        ([("payment", "text")], "payment_required"),
    ],
)
def test_a_submit_labelled_next_is_refused_with_the_forms_stop_reason(
    fields: list[tuple[str, str]], reason: str
) -> None:
    page = _form(fields)
    submit = page.forms[0].submit_ids[0]
    refused = _click(page, submit)
    assert refused is not None and refused.startswith(f"{reason}:"), refused


def test_a_get_search_form_is_not_a_gate() -> None:
    page = _form([("textbox", "text")], method="GET")
    assert _click(page, page.forms[0].submit_ids[0]) is None


def test_a_form_posting_to_another_origin_is_refused_even_as_get() -> None:
    page = _form([("textbox", "text")], method="GET", action="https://collector.example.net/x")
    form = page.forms[0]
    page = Page(
        url=URL,
        elements=page.elements,
        forms=(Form(**{**{f: getattr(form, f) for f in form.__slots__}, "cross_origin": True}),),
    )
    refused = _click(page, form.submit_ids[0])
    assert refused is not None and refused.startswith("submit_blocked:")


def test_links_leave_the_site_only_through_the_guard() -> None:
    page = Page(
        url=URL,
        elements=(
            Element(id="e1", tag="a", role="link", text="Next", href=f"{STATIC_ORIGIN}/x.html"),
            Element(id="e2", tag="a", role="link", text="Apply", href="https://evil.example/"),
        ),
    )
    assert _click(page, "e1") is None
    refused = _click(page, "e2")
    assert refused is not None and refused.startswith("safe_stop:")
    opened = recruiting_guard(
        ToolCall(tool="open_page", arguments={"url": "https://evil.example/a"}), _env(page)
    )
    assert opened is not None and "another origin" in opened


def test_typing_into_a_honeypot_a_password_or_a_file_is_refused_text_is_not() -> None:
    page = Page(
        url=URL,
        elements=(
            Element(id="e1", tag="input", role="textbox", text="Name"),
            Element(id="e2", tag="input", role="textbox", text="Website", hidden=True),
            Element(id="e3", tag="input", role="password", text="Password"),
            Element(id="e4", tag="input", role="file", text="Resume"),
        ),
    )

    def typed(element_id: str) -> str | None:
        call = ToolCall(tool="type_text", arguments={"element_id": element_id, "text": "x"})
        return recruiting_guard(call, _env(page))

    assert typed("e1") is None
    assert (typed("e2") or "").startswith("safe_stop:")
    assert (typed("e3") or "").startswith("login_required:")
    assert (typed("e4") or "").startswith("upload_required:")


def test_on_a_page_replacing_gate_every_control_is_refused() -> None:
    page = Page(
        url=URL,
        elements=(Element(id="e1", tag="input", role="checkbox", text="Verify you are human"),),
        gates=(Gate(type="bot_check", evidence='title "Just a moment..."', blocks_page=True),),
    )
    refused = _click(page, "e1")
    assert refused is not None and refused.startswith("bot_check:")


def test_a_captcha_widget_clicked_by_coordinates_is_refused() -> None:
    page = Page(
        url=URL,
        elements=(
            Element(id="e1", tag="div", role="captcha", bbox=(10.0, 10.0, 300.0, 80.0)),
            Element(id="e2", tag="a", role="link", text="x", href=URL, bbox=(0, 0, 1000, 1000)),
        ),
    )
    call = ToolCall(tool="click", arguments={"x": 20, "y": 20})
    refused = recruiting_guard(call, _env(page))
    assert refused is not None and refused.startswith("captcha_blocked:")
