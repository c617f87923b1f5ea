"""Jobs: JSON-LD first, then microdata, then heuristics; canonical values with their source."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightclaw.envs.web.model import ExtractedJob, Page
from lightclaw.envs.web.normalize import (
    comparable,
    employment_type,
    posted_date,
    salary_from_jsonld,
    salary_from_text,
)
from lightclaw.envs.web.parse import parse_page

URL = "http://site.localhost/acme/job.html"
JOBS = Path(__file__).resolve().parents[2] / "data" / "jobs"


def page(body: str, *, head: str = "", url: str = URL) -> Page:
    return parse_page(f"<html><head>{head}</head><body>{body}</body></html>", url)


def values(job: ExtractedJob) -> dict[str, tuple[str, str]]:
    return {name: (v.value, v.source) for name, v in job.fields.items()}


def ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


def test_real_greenhouse_job_from_json_ld() -> None:
    html = (JOBS / "greenhouse-careers.html").read_text(encoding="utf-8")
    url = "https://careers.withwaymo.com/jobs/software-engineer-multiverse"
    (job,) = parse_page(html, url).jobs
    got = values(job)
    assert got["title"] == ("Software Engineer, Multiverse", "json-ld")
    assert got["company"] == ("Waymo", "json-ld")
    assert got["employment_type"] == ("FULL_TIME", "json-ld")
    assert got["posted_date"] == ("2026-01-22", "json-ld")
    locations = got["location"][0].split("; ")
    assert len(locations) == 3 and locations[0] == "Mountain View, California, US"
    # JSON-LD has no pay; the page states it under "Salary Range"
    assert got["salary"] == ("USD 170000-216000/YEAR", "heuristic")
    # the page carries the application form: it is its own apply URL
    assert got["apply_url"] == (url, "heuristic")


def test_real_workable_job_from_json_ld() -> None:
    html = (JOBS / "workable.html").read_text(encoding="utf-8")
    (job,) = parse_page(html, "https://apply.workable.com/huggingface/j/0BD8C06DB3/").jobs
    assert values(job)["title"] == ("Wild Card", "json-ld")
    assert values(job)["company"] == ("Hugging Face", "json-ld")
    assert job.get("employment_type") == "FULL_TIME"
    assert job.get("posted_date") == "2024-10-16"


def test_json_ld_in_graph_lists_and_item_lists_and_a_broken_block() -> None:
    p = page(
        ld("{broken json")
        + ld(
            '{"@context": "https://schema.org", "@graph": [{"@type": "Organization"},'
            ' {"@type": "JobPosting", "title": "A Engineer"}]}'
        )
        + ld('[{"@type": ["JobPosting"], "title": "B Analyst",}]')
        + ld(
            '{"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item":'
            ' {"@type": "JobPosting", "title": "C Designer", "baseSalary": {"@type":'
            ' "MonetaryAmount", "currency": "EUR", "value": {"@type": "QuantitativeValue",'
            ' "minValue": 50000, "maxValue": 60000, "unitText": "YEAR"}}}}]}'
        )
    )
    assert [j.get("title") for j in p.jobs] == ["A Engineer", "B Analyst", "C Designer"]
    assert p.jobs[2].get("salary") == "EUR 50000-60000/YEAR"


def test_json_ld_fields_are_canonical() -> None:
    (job,) = page(
        ld(
            '{"@type": "JobPosting", "title": "Data <b>Engineer</b>", "datePosted":'
            ' "2025-03-04T10:00:00Z", "employmentType": ["Full-time", "CONTRACTOR"],'
            ' "hiringOrganization": "Acme", "applyUrl": "/acme/apply.html",'
            ' "jobLocation": {"@type": "Place", "address": {"addressLocality": "Berlin",'
            ' "addressCountry": {"@type": "Country", "name": "Germany"}}},'
            ' "baseSalary": {"currency": "USD", "value": {"value": 45, "unitText": "HOUR"}}}'
        )
    ).jobs
    assert values(job) == {
        "title": ("Data Engineer", "json-ld"),
        "company": ("Acme", "json-ld"),
        "location": ("Berlin, Germany", "json-ld"),
        "employment_type": ("FULL_TIME, CONTRACTOR", "json-ld"),
        "salary": ("USD 45/HOUR", "json-ld"),
        "posted_date": ("2025-03-04", "json-ld"),
        "apply_url": ("http://site.localhost/acme/apply.html", "json-ld"),
    }


def test_structured_job_completed_from_labelled_text() -> None:
    (job,) = page(
        ld('{"@type": "JobPosting", "title": "QA Engineer", "datePosted": "2025-02-01"}')
        + "<p>Pay range: $68,000 - $82,000 annually.</p><p>Posted: 2024-01-01</p>"
    ).jobs
    assert values(job)["salary"] == ("USD 68000-82000/YEAR", "heuristic")
    assert values(job)["posted_date"] == ("2025-02-01", "json-ld")


def test_microdata_job() -> None:
    (job,) = page(
        '<div itemscope itemtype="https://schema.org/JobPosting">'
        '<h1 itemprop="title">Backend Developer</h1>'
        '<div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">Globex</span></div>'
        '<div itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">'
        '<div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">'
        '<span itemprop="addressLocality">Lyon</span>'
        '<span itemprop="addressCountry">FR</span></div></div>'
        '<meta itemprop="employmentType" content="PART_TIME">'
        '<time itemprop="datePosted" datetime="2025-01-09">9 Jan</time></div>'
    ).jobs
    assert values(job) == {
        "title": ("Backend Developer", "microdata"),
        "company": ("Globex", "microdata"),
        "location": ("Lyon, FR", "microdata"),
        "employment_type": ("PART_TIME", "microdata"),
        "posted_date": ("2025-01-09", "microdata"),
    }


def test_greenhouse_and_lever_listings() -> None:
    greenhouse = page(
        '<div class="opening"><a href="/acme/jobs/1">Data Engineer</a>'
        '<span class="location">Remote</span></div>'
        '<div class="opening"><a href="/acme/jobs/2">Office Coordinator</a>'
        '<span class="location">London, UK</span></div>',
        url="https://boards.greenhouse.io/acme",
    )
    assert [values(j) for j in greenhouse.jobs] == [
        {
            "title": ("Data Engineer", "heuristic"),
            "company": ("Acme", "url"),
            "location": ("Remote", "heuristic"),
        },
        {
            "title": ("Office Coordinator", "heuristic"),
            "company": ("Acme", "url"),
            "location": ("London, UK", "heuristic"),
        },
    ]
    lever = page(
        '<div class="posting"><a class="posting-title" href="https://jobs.lever.co/north-wind/1">'
        '<h5 data-qa="posting-name">Support Engineer</h5><div class="posting-categories">'
        '<span class="sort-by-location location">Austin, TX</span>'
        '<span class="commitment">Full-time</span></div></a></div>',
        url="https://jobs.lever.co/north-wind",
    )
    (job,) = lever.jobs
    assert job.get("title") == "Support Engineer" and job.get("company") == "North Wind"
    assert job.get("location") == "Austin, TX" and job.get("employment_type") == "FULL_TIME"


def test_generic_listing_from_job_links() -> None:
    p = page(
        '<a href="/careers/jobs/ml-engineer">Machine Learning Engineer</a>'
        '<a href="/careers/jobs/pm">Product Manager</a>'
        '<a href="/careers/jobs/pm">Product Manager</a>'
        '<a href="/about">About us</a><a href="/careers/jobs">View all jobs</a>'
    )
    # a listing's link leads to the job page, which is not an apply URL
    assert [(j.get("title"), j.get("apply_url")) for j in p.jobs] == [
        ("Machine Learning Engineer", None),
        ("Product Manager", None),
    ]


def test_title_patterns() -> None:
    for title, company in [
        ("Northwind Labs - Account Executive", "Northwind Labs"),
        ("Account Executive | Northwind Labs - Careers", "Northwind Labs"),
        ("Account Executive at Northwind Labs", "Northwind Labs"),
        ("Account Executive - Application", None),
    ]:
        (job,) = page("<p>hello</p>", head=f"<title>{title}</title>").jobs
        assert job.get("title") == "Account Executive" and job.get("company") == company


def test_job_page_without_structured_data() -> None:
    p = page(
        "<h1>Senior Frontend Engineer</h1><dl><dt>Location</dt><dd>Paris, France</dd>"
        "<dt>Employment type</dt><dd>Contract</dd></dl>"
        "<p>Salary: $120,000 - $150,000 a year</p><p>Posted: March 3, 2025</p>"
        '<a href="apply-1.html">Apply for this job</a>',
        head="<title>Senior Frontend Engineer - Initech</title>",
        url="https://jobs.lever.co/initech/abc",
    )
    (job,) = p.jobs
    assert values(job) == {
        "title": ("Senior Frontend Engineer", "heuristic"),
        "company": ("Initech", "heuristic"),
        "location": ("Paris, France", "heuristic"),
        "employment_type": ("CONTRACTOR", "heuristic"),
        "salary": ("USD 120000-150000/YEAR", "heuristic"),
        "posted_date": ("2025-03-03", "heuristic"),
        "apply_url": ("https://jobs.lever.co/initech/apply-1.html", "heuristic"),
    }


def test_company_only_in_the_url() -> None:
    (job,) = page(
        "<h1>Research Scientist</h1>", url="https://apply.workable.com/huggingface/j/123/"
    ).jobs
    assert values(job)["company"] == ("Huggingface", "url")


def test_a_fee_is_not_a_salary() -> None:
    (job,) = page("<h1>Junior BI Developer</h1><p>Boost your application for $19.99.</p>").jobs
    assert job.get("salary") is None
    assert salary_from_text("$19.99") == "USD 19.99/HOUR"
    assert salary_from_text("$19.99", loose=False) is None


def test_pages_that_are_not_job_pages_have_no_job() -> None:
    assert page("<h1>Sign in</h1><form><input type=password></form>").jobs == ()
    assert page("<h1>About us</h1><p>We make things.</p>").jobs == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$120,000 - $150,000 a year", "USD 120000-150000/YEAR"),
        ("$120k–$150k", "USD 120000-150000/YEAR"),
        ("$120-150k per year", "USD 120000-150000/YEAR"),
        ("£45 per hour", "GBP 45/HOUR"),
        ("€ 4.000 monthly", None),
        ("EUR 60,000 to 70,000 / year", "EUR 60000-70000/YEAR"),
        ("Gift card worth $5", None),
        ("no pay mentioned", None),
    ],
)
def test_salary_from_text(text: str, expected: str | None) -> None:
    assert salary_from_text(text) == expected


def test_canonical_forms() -> None:
    assert employment_type("Full-time") == "FULL_TIME"
    assert employment_type("Part time / Contract") == "PART_TIME, CONTRACTOR"
    assert employment_type("Internship") == "INTERN"
    assert employment_type("whatever") is None
    assert posted_date("16 Oct 2024") == "2024-10-16"
    assert posted_date("10/16/2024") == "2024-10-16"
    assert posted_date("yesterday") is None
    assert salary_from_jsonld(
        {"currency": "USD", "value": {"minValue": "120000", "maxValue": 150000}}
    ) == ("USD 120000-150000/YEAR")


def test_comparable() -> None:
    assert comparable("title", "Software Engineer,  Multiverse") == comparable(
        "title", "software engineer multiverse"
    )
    assert comparable("employment_type", "Full-time") == comparable("employment_type", "FULL_TIME")
    assert comparable("employment_type", "CONTRACTOR, FULL_TIME") == comparable(
        "employment_type", "FULL_TIME, CONTRACTOR"
    )
    assert comparable("apply_url", "http://site.localhost/ashby/apply-1.html#form") == (
        comparable("apply_url", "ashby/apply-1.html")
    )
    assert comparable("apply_url", "http://127.0.0.1:8123/ashby/apply-1.html") == (
        "ashby/apply-1.html"
    )
    assert comparable("apply_url", "https://a.example/x") != comparable("apply_url", "x")
    assert comparable("salary", "USD 120000-150000/YEAR") == comparable(
        "salary", "usd 120000-150000/year"
    )
    assert comparable("location", None) == ""
