"""Gates are judged from what blocks, not from what is mentioned."""

from __future__ import annotations

from pathlib import Path

from lightclaw.envs.web.model import Page
from lightclaw.envs.web.parse import parse_page

URL = "http://site.localhost/acme/job.html"
JOBS = Path(__file__).resolve().parents[2] / "data" / "jobs"
JOB_TEXT = "<h1>Senior Data Engineer</h1>" + "<p>We build data pipelines for the world.</p>" * 40


def page(body: str, *, title: str = "Acme", url: str = URL) -> Page:
    return parse_page(f"<html><head><title>{title}</title></head><body>{body}</body></html>", url)


def kinds(p: Page) -> list[tuple[str, bool]]:
    return [(g.type, g.blocks_page) for g in p.gates]


def test_real_greenhouse_page_upload_then_submit_and_no_captcha() -> None:
    html = (JOBS / "greenhouse-careers.html").read_text(encoding="utf-8")
    p = parse_page(html, "https://careers.withwaymo.com/jobs/software-engineer-multiverse")
    types = [g.type for g in p.gates]
    assert "captcha" not in types and "bot_check" not in types and "login" not in types
    apply = p.forms[-1]
    resume = next(f for f in apply.fields if f.label == "Resume")
    upload = next(g for g in p.gates if g.type == "upload")
    assert upload.element_id == resume.element_id
    assert upload.evidence.startswith("input[type=file]#")
    last = p.gates[-1]
    assert last.type == "submit" and last.element_id == apply.submit_ids[0]
    assert types.index("upload") < len(types) - 1
    assert not any(g.blocks_page for g in p.gates)


def test_real_workable_page_with_a_passive_bot_script_has_no_gate() -> None:
    html = (JOBS / "workable.html").read_text(encoding="utf-8")
    assert "/cdn-cgi/challenge-platform/scripts/jsd/main.js" in html
    p = parse_page(html, "https://apply.workable.com/huggingface/j/0BD8C06DB3/")
    assert p.gates == ()


def test_real_cloudflare_challenge_blocks_the_page() -> None:
    html = (JOBS / "blockers" / "js_challenge-27-05-2020.html").read_text(encoding="utf-8")
    p = parse_page(html, "https://evildomain.com/")
    assert kinds(p) == [("bot_check", True)]
    assert p.gates[0].stop_reason == "bot_check"
    assert p.jobs == ()


def test_verify_you_are_human_page_is_a_bot_check_but_a_mention_is_not() -> None:
    wall = page("<h2>Verify you are human by completing the action below.</h2>")
    assert kinds(wall) == [("bot_check", True)]
    article = page(JOB_TEXT + "<p>Our fraud team helps verify you are human.</p>")
    assert all(g.type != "bot_check" for g in article.gates)


def test_captcha_widget_and_iframe_but_not_a_notice() -> None:
    form = (
        '<form method="post" action="/apply"><input type="email" name="email">'
        "{captcha}<button>Next</button></form>"
    )
    widget = page(
        JOB_TEXT + form.format(captcha='<div class="g-recaptcha" data-sitekey="k"></div>')
    )
    assert kinds(widget) == [("captcha", False), ("submit", False)]
    assert widget.gates[0].evidence == "div.g-recaptcha"
    frame = page(
        JOB_TEXT
        + form.format(captcha='<iframe src="https://newassets.hcaptcha.com/captcha/v1/x"></iframe>')
    )
    assert [g.type for g in frame.gates] == ["captcha", "submit"]
    assert "hcaptcha.com" in frame.gates[0].evidence
    notice = page(
        JOB_TEXT
        + form.format(
            captcha="<p>This site is protected by reCAPTCHA and the Google Privacy "
            "Policy and Terms of Service apply.</p>"
        )
        + '<script src="https://www.google.com/recaptcha/api.js?render=explicit"></script>'
    )
    assert [g.type for g in notice.gates] == ["submit"]
    invisible = page(
        JOB_TEXT
        + form.format(
            captcha='<div class="g-recaptcha" data-size="invisible" data-sitekey="k"></div>'
        )
    )
    assert [g.type for g in invisible.gates] == ["submit"]
    hidden = page(JOB_TEXT + '<div style="display:none"><div class="h-captcha"></div></div>')
    assert hidden.gates == ()


def test_captcha_replacing_the_content_blocks_the_page() -> None:
    p = page('<p>One more check.</p><div class="cf-turnstile" data-sitekey="k"></div>')
    assert kinds(p) == [("captcha", True)]
    assert p.gates[0].stop_reason == "captcha_blocked"
    # a challenge page titled like a bot check, whose challenge is the widget in its form
    challenge = page(
        '<form method="post" action="/verify"><div class="h-captcha" data-sitekey="k"></div>'
        "<button>Continue</button></form>",
        title="Verify you are human",
    )
    assert kinds(challenge) == [("captcha", True)]
    framed = page(JOB_TEXT + '<iframe title="captcha" src="captcha-frame.html"></iframe>')
    assert [g.type for g in framed.gates] == ["captcha"]


def test_submit_labelled_next_is_a_submit_gate_on_that_button() -> None:
    p = page(
        '<form method="post" action="step2.html"><label for="n">Full name</label>'
        '<input id="n" name="name"><button type="submit">Next</button></form>'
    )
    assert [g.type for g in p.gates] == ["submit"]
    button = next(e for e in p.elements if e.role == "submit")
    assert p.gates[0].element_id == button.id and button.text == "Next"


def test_get_search_form_is_not_a_gate_but_a_get_form_with_personal_fields_is() -> None:
    search = page(
        '<form action="/jobs"><input type="search" name="q" placeholder="Keywords">'
        '<input name="location" placeholder="Location"><select name="department"></select>'
        "<button>Search</button></form>"
    )
    assert search.gates == ()
    personal = page(
        '<form action="/subscribe"><input type="email" name="email"><button>Go</button></form>'
    )
    assert [g.type for g in personal.gates] == ["submit"]


def test_password_wall_blocks_the_page_and_a_login_box_beside_a_job_does_not() -> None:
    wall = page(
        '<form method="post" action="/session"><input type="email" name="email">'
        '<input type="password" id="pw" name="password"><button>Sign in</button></form>',
        title="Sign in",
    )
    assert kinds(wall) == [("login", True), ("submit", False)]
    assert wall.gates[0].evidence == "input[type=password]#pw"
    beside = page(
        '<script type="application/ld+json">{"@type": "JobPosting", "title": "Data Engineer"}'
        "</script>" + JOB_TEXT + '<form method="post"><input type="password" name="pw"></form>'
    )
    assert kinds(beside) == [("login", False)]
    hidden = page('<div hidden><input type="password" name="pw"></div>' + JOB_TEXT)
    assert hidden.gates == ()


def test_card_fields_are_a_payment_gate() -> None:
    p = page(
        JOB_TEXT + '<form method="post" action="/pay"><input autocomplete="cc-number" name="n">'
        '<input name="cvc"><button>Pay $25</button></form>'
    )
    assert [g.type for g in p.gates] == ["payment", "submit"]
    assert p.gates[0].stop_reason == "payment_required"


def test_upload_gate_on_the_file_input_then_submit_in_document_order() -> None:
    p = page(
        '<form method="post" enctype="multipart/form-data"><input type="email" name="email">'
        '<input type="file" id="resume" name="resume"><input type="submit" value="Apply">'
        "</form>"
    )
    assert [(g.type, g.evidence.split(" ")[0]) for g in p.gates] == [
        ("upload", "input[type=file]#resume"),
        ("submit", "input"),
    ]


def test_auto_submitting_form_without_a_button_is_a_submit_gate() -> None:
    p = page(
        '<form id="x" method="post" action="https://evil.example/c"><input name="name"></form>'
        "<script>document.getElementById('x').submit()</script>" + JOB_TEXT
    )
    assert [g.type for g in p.gates] == ["submit"]
    assert "auto-submits" in p.gates[0].evidence
    assert p.gates[0].element_id == p.forms[0].id


def test_page_replacing_gates_come_first() -> None:
    p = page(
        '<form method="post"><input type="hidden" name="t"><button>Continue</button></form>'
        '<div class="h-captcha" data-sitekey="k"></div>'
    )
    assert kinds(p) == [("captcha", True), ("submit", False)]
