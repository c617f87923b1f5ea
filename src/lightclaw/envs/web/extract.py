"""Jobs on a page: JSON-LD first, then microdata, then heuristics; each field keeps its source.

JSON-LD ``JobPosting`` objects are found anywhere in a block (top level, lists, ``@graph``,
``ItemList.itemListElement``); one broken block does not hide the others. Microdata scopes
(``itemtype`` schema.org/JobPosting) are read into the same shape and mapped the same way.
Without structured data, listing pages give one job per job link (Greenhouse ``div.opening``,
Lever ``.posting``, or many links whose text reads like a job title) and a job page gives one
job from its heading, ``og:`` tags, ``<title>`` ("Role - Company"), labelled text, and the ATS
URL for the company. Values are canonical (:mod:`lightclaw.envs.web.normalize`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from lightclaw.envs.web.model import ExtractedJob, FieldSource, FieldValue
from lightclaw.envs.web.normalize import (
    employment_type,
    join_locations,
    posted_date,
    salary_from_jsonld,
    salary_from_text,
)
from lightclaw.envs.web.session import resolve

_WS = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]+>")
ROLE_WORDS = re.compile(
    r"\b(engineer|developer|manager|analyst|designer|scientist|specialist|director|intern"
    r"|lead|architect|administrator|consultant|coordinator|associate|assistant|officer"
    r"|representative|technician|writer|editor|researcher|recruiter|accountant|nurse"
    r"|executive|head of|vp|president|strategist|programmer|operator|advocate|counsel"
    r"|sre|devops|marketer|product owner|agent|planner|buyer|teacher|tutor|driver)s?\b",
    re.IGNORECASE,
)
_JOB_HREF = re.compile(
    r"/(jobs?|careers?|positions?|openings?|postings?|vacanc(y|ies)|roles?|j)/|gh_jid=|/job-"
    r"|jobs?[-_]|job\.html|/apply",
    re.IGNORECASE,
)
_NOT_A_TITLE = re.compile(
    r"^(apply|apply now|view (all )?(jobs|openings|positions)|see all|all jobs|careers|jobs"
    r"|back|next|previous|home|search|log ?in|sign ?in|sign ?up)\b",
    re.IGNORECASE,
)
_ATS_COMPANY = (
    re.compile(r"^apply\.workable\.com/([^/]+)"),
    re.compile(r"^jobs\.(?:eu\.)?lever\.co/([^/]+)"),
    re.compile(r"^(?:job-)?boards(?:\.eu)?\.greenhouse\.io/([^/]+)"),
    re.compile(r"^jobs\.ashbyhq\.com/([^/]+)"),
    re.compile(r"^([^./]+)\.wd\d+\.myworkdayjobs\.com/"),
    re.compile(r"^([^./]+)\.(?:recruitee|bamboohr|breezy\.hr|teamtailor)\.com"),
    re.compile(r"^jobs\.smartrecruiters\.com/([^/]+)"),
)
_LABELS = {
    "location": re.compile(r"^(job )?locations?|^where|^office|^based in", re.IGNORECASE),
    "employment_type": re.compile(
        r"^(employment|job|contract|position|work) ?type|^commitment|^schedule", re.IGNORECASE
    ),
    "salary": re.compile(
        r"^(salary|compensation|pay|base pay|pay range|salary range)", re.IGNORECASE
    ),
    "posted_date": re.compile(r"^(date )?posted|^published|^posting date", re.IGNORECASE),
}
_CLASS_HINTS = {
    "location": re.compile(r"location", re.IGNORECASE),
    "employment_type": re.compile(r"commitment|employment|job-?type|workplace-type", re.IGNORECASE),
    "salary": re.compile(r"salary|compensation", re.IGNORECASE),
}


def child_nodes(node: LexborNode) -> list[LexborNode]:
    """The direct children of ``node`` (text nodes included), in document order."""
    children: list[LexborNode] = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def clean(text: str) -> str:
    return _WS.sub(" ", _TAGS.sub(" ", text)).strip()


def is_job(thing: dict[str, Any]) -> bool:
    kind = thing.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] == "JobPosting" for k in kinds)


def find_postings(data: object, found: list[dict[str, Any]], depth: int = 0) -> None:
    """Every JobPosting object in a JSON-LD value, in order (not looking inside one)."""
    if depth > 40:
        return
    if isinstance(data, list):
        for item in data:
            find_postings(item, found, depth + 1)
    elif isinstance(data, dict):
        if is_job(data):
            found.append(data)
            return
        for value in data.values():
            find_postings(value, found, depth + 1)


def load_json(text: str) -> object:
    text = text.strip()
    text = re.sub(r"^(<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)", "", text)
    text = re.sub(r"(-->|//\s*\]\]>|\]\]>)$", "", text.strip())
    try:
        return json.loads(text, strict=False)
    except ValueError:
        repaired = re.sub(r",\s*([}\]])", r"\1", text)
        try:
            return json.loads(repaired, strict=False)
        except ValueError:
            return None


def text_of(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("value")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        cleaned = clean(str(value))
        return cleaned or None
    return None


def place_text(place: object) -> str | None:
    if isinstance(place, str):
        return clean(place) or None
    if not isinstance(place, dict):
        return None
    address = place.get("address", place)
    if isinstance(address, str):
        return clean(address) or None
    if not isinstance(address, dict):
        return text_of(place.get("name"))
    parts = [
        text_of(address.get(key)) for key in ("addressLocality", "addressRegion", "addressCountry")
    ]
    joined = ", ".join(p for p in parts if p)
    return joined or text_of(place.get("name"))


def location_of(posting: dict[str, Any]) -> str | None:
    raw = posting.get("jobLocation")
    places = raw if isinstance(raw, list) else [raw] if raw else []
    found = [p for p in (place_text(place) for place in places) if p]
    remote = str(posting.get("jobLocationType") or "").upper() == "TELECOMMUTE"
    if remote and not found:
        found = ["Remote"]
    return join_locations(found)


def job_from_structured(posting: dict[str, Any], url: str, source: FieldSource) -> ExtractedJob:
    fields: dict[str, FieldValue] = {}

    def put(name: str, value: str | None) -> None:
        if value:
            fields[name] = FieldValue(value, source)

    put("title", text_of(posting.get("title") or posting.get("name")))
    put("company", text_of(posting.get("hiringOrganization")))
    put("location", location_of(posting))
    put("employment_type", employment_type(posting.get("employmentType")))
    put("salary", salary_from_jsonld(posting.get("baseSalary") or posting.get("estimatedSalary")))
    put("posted_date", posted_date(text_of(posting.get("datePosted")) or ""))
    apply = text_of(posting.get("applyUrl") or posting.get("applicationUrl"))
    if apply:
        put("apply_url", resolve(apply, url))
    return ExtractedJob(fields)


def json_ld_jobs(tree: LexborHTMLParser, url: str) -> list[ExtractedJob]:
    postings: list[dict[str, Any]] = []
    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").strip().lower()
        if kind != "application/ld+json":
            continue
        find_postings(load_json(script.text(deep=True)), postings)
    return [job_from_structured(p, url, "json-ld") for p in postings]


def microdata_value(node: LexborNode, url: str) -> object:
    attrs = node.attributes
    if "itemscope" in attrs:
        return microdata_scope(node, url)
    if attrs.get("content") is not None:
        return attrs.get("content")
    if node.tag in ("a", "link") and attrs.get("href"):
        return resolve(attrs.get("href") or "", url)
    if node.tag == "time" and attrs.get("datetime"):
        return attrs.get("datetime")
    return clean(node.text(deep=True, separator=" "))


def microdata_scope(scope: LexborNode, url: str) -> dict[str, Any]:
    """A microdata item as a JSON-LD-like dict (first value of each property)."""
    item: dict[str, Any] = {"@type": (scope.attributes.get("itemtype") or "").strip()}
    stack: list[LexborNode] = []
    child = scope.child
    while child is not None:
        stack.append(child)
        child = child.next
    stack.reverse()
    while stack:
        node = stack.pop()
        if node.tag is None or node.tag.startswith("-"):
            continue
        props = (node.attributes.get("itemprop") or "").split()
        for prop in props:
            value = microdata_value(node, url)
            if prop not in item:
                item[prop] = value
            elif prop == "jobLocation":  # a job in several places lists each
                known = item[prop]
                item[prop] = [*known, value] if isinstance(known, list) else [known, value]
        if "itemscope" in node.attributes:
            continue  # its properties belong to the nested item
        stack.extend(reversed(child_nodes(node)))
    return item


def microdata_jobs(tree: LexborHTMLParser, url: str) -> list[ExtractedJob]:
    jobs: list[ExtractedJob] = []
    for scope in tree.css("[itemscope][itemtype]"):
        itemtype = (scope.attributes.get("itemtype") or "").strip()
        if itemtype.rstrip("/").rsplit("/", 1)[-1] == "JobPosting":
            jobs.append(job_from_structured(microdata_scope(scope, url), url, "microdata"))
    return jobs


def company_from_url(url: str) -> str | None:
    parts = urlsplit(url)
    where = f"{parts.netloc.lower()}{parts.path}"
    for pattern in _ATS_COMPANY:
        found = pattern.match(where)
        if found:
            slug = found.group(1)
            return " ".join(w.capitalize() for w in re.split(r"[-_]+", slug) if w) or None
    return None


def meta(tree: LexborHTMLParser, key: str) -> str | None:
    node = tree.css_first(f'meta[property="{key}"], meta[name="{key}"]')
    value = node.attributes.get("content") if node is not None else None
    return clean(value) if value else None


def looks_like_title(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 14
        and len(text) <= 120
        and not _NOT_A_TITLE.match(text)
        and bool(ROLE_WORDS.search(text))
    )


def own_text(node: LexborNode) -> str:
    return clean(node.text(deep=True, separator=" "))


def labelled(tree: LexborHTMLParser, root: LexborNode | None = None) -> dict[str, str]:
    """Field values a page states with a label ("Location: Berlin", ``<dt>Salary</dt><dd>``)
    or a telling class (``.location``, ``.commitment``)."""
    found: dict[str, str] = {}
    scope = root if root is not None else tree.body
    if scope is None:
        return found
    for node in scope.css("dt, th, strong, b, span, label, div, li, p, h4, h5, h6"):
        text = own_text(node)
        if not text or len(text) > 160:
            continue
        for name, pattern in _LABELS.items():
            if name in found or not pattern.match(text):
                continue
            head, sep, tail = text.partition(":")
            value = tail.strip() if sep and len(head) < 30 else ""
            if not value:
                sibling = node.next
                while sibling is not None and (sibling.tag or "").startswith("-"):
                    if sibling.tag == "-text" and (sibling.text_content or "").strip(" :\n\t"):
                        value = (sibling.text_content or "").strip(" :\n\t")
                        break
                    sibling = sibling.next
                if not value and sibling is not None:
                    value = own_text(sibling)
            if value and len(value) <= 120:
                found[name] = value
    for name, pattern in _CLASS_HINTS.items():
        if name in found:
            continue
        for node in scope.css("[class]"):
            classes = node.attributes.get("class") or ""
            inner = (n for n in node.css("[class*=location], a, li") if n.mem_id != node.mem_id)
            if pattern.search(classes) and next(inner, None) is None:
                text = own_text(node)
                if text and len(text) <= 120:
                    found[name] = text
                    break
    return found


def heuristic_fields(values: dict[str, str]) -> dict[str, str | None]:
    return {
        "location": join_locations([values["location"]]) if "location" in values else None,
        "employment_type": employment_type(values.get("employment_type")),
        "salary": salary_from_text(values["salary"]) if "salary" in values else None,
        "posted_date": posted_date(values.get("posted_date")),
    }


def listing_jobs(tree: LexborHTMLParser, url: str) -> list[ExtractedJob]:
    """One job per job link of a listing page."""
    company = company_from_url(url)
    jobs: list[ExtractedJob] = []
    rows = tree.css("div.opening, .posting, tr.job-post, li.job-post, [data-job-id]")
    if rows:
        for row in rows:
            link = row.css_first("a[href]")
            heading = row.css_first("h5, h4, h3, [data-qa=posting-name]")
            if link is None:
                continue
            title = own_text(heading) if heading is not None else own_text(link)
            if not title:
                continue
            values = labelled(tree, row)
            location = row.css_first(".location, .sort-by-location, [class*=location]")
            if location is not None and "location" not in values:
                values["location"] = own_text(location)
            if location is not None and own_text(location) and title.endswith(own_text(location)):
                title = title[: -len(own_text(location))].strip()
            jobs.append(make_job(title, company, values, None))
        return jobs
    links = [
        a
        for a in tree.css("a[href]")
        if _JOB_HREF.search(a.attributes.get("href") or "") and looks_like_title(own_text(a))
    ]
    if len(links) < 2:
        return []
    seen: set[str] = set()
    for link in links:
        href = resolve(link.attributes.get("href") or "", url)
        if href in seen or href == url.split("#", 1)[0]:
            continue
        seen.add(href)
        jobs.append(make_job(own_text(link), company, {}, None))
    return jobs


def make_job(
    title: str, company: str | None, values: dict[str, str], apply_url: str | None
) -> ExtractedJob:
    fields: dict[str, FieldValue] = {"title": FieldValue(title, "heuristic")}
    if company:
        fields["company"] = FieldValue(company, "url")
    for name, value in heuristic_fields(values).items():
        if value:
            fields[name] = FieldValue(value, "heuristic")
    if apply_url:
        fields["apply_url"] = FieldValue(apply_url, "heuristic")
    return ExtractedJob(fields)


_GENERIC = re.compile(
    r"^(application|apply|careers?|jobs?|job board|job openings?|hiring|open positions"
    r"|job application|boost your application)$",
    re.IGNORECASE,
)


def split_title(text: str) -> tuple[str, str | None]:
    """ "Role - Company", "Company - Role", "Role at Company", "Role | Company - Careers" ->
    (role, company); parts such as "Careers" or "Application" are not a company."""
    if " at " in text and looks_like_title(text.split(" at ", 1)[0]):
        head, _, tail = text.partition(" at ")
        return head.strip(), tail.strip() or None
    parts = [p.strip() for p in re.split(r"\s[-|–—·]\s", text) if p.strip()]
    found = next((p for p in parts if looks_like_title(p)), None)
    if found is None:
        return text.strip(), None
    others = [p for p in parts if p != found and not _GENERIC.match(p)]
    return found, (others[0] if others else None)


def job_page(tree: LexborHTMLParser, url: str) -> ExtractedJob | None:
    """The one job of a job page without structured data, or None for a non-job page."""
    heading = tree.css_first("h1")
    title_node = tree.css_first("title")
    candidates = [
        own_text(heading) if heading is not None else "",
        meta(tree, "og:title") or "",
        own_text(title_node) if title_node is not None else "",
    ]
    role = ""
    company: tuple[str, FieldSource] | None = None
    for candidate in candidates:
        if not candidate:
            continue
        part, named = split_title(candidate)
        if named and company is None and not looks_like_title(named):
            company = (named, "heuristic")
        if not role and looks_like_title(part):
            role = part
    if not role:
        return None
    site = meta(tree, "og:site_name")
    if site:
        company = (site, "heuristic")
    from_url = company_from_url(url)
    if company is None and from_url:
        company = (from_url, "url")
    fields: dict[str, FieldValue] = {"title": FieldValue(role, "heuristic")}
    if company:
        fields["company"] = FieldValue(company[0], company[1])
    values = labelled(tree)
    if "salary" not in values and tree.body is not None:
        body_text = own_text(tree.body)
        salary = salary_from_text(body_text, loose=False)
        if salary:
            fields["salary"] = FieldValue(salary, "heuristic")
    for name, value in heuristic_fields(values).items():
        if value:
            fields[name] = FieldValue(value, "heuristic")
    apply = apply_link(tree, url)
    if apply:
        fields["apply_url"] = FieldValue(apply, "heuristic")
    return ExtractedJob(fields)


_APPLY_TEXT = re.compile(
    r"^\s*(apply|apply now|apply for this (job|position|role)|i'?m interested"
    r"|submit (your )?application|start (your )?application)\b",
    re.IGNORECASE,
)


def apply_link(tree: LexborHTMLParser, url: str) -> str | None:
    """The page's apply link, or the page itself when it carries the application form."""
    for link in tree.css("a[href]"):
        href = (link.attributes.get("href") or "").strip()
        if (
            _APPLY_TEXT.match(own_text(link))
            and href
            and not href.startswith(("javascript:", "#", "mailto:"))
        ):
            return resolve(href, url)
    for form in tree.css("form"):
        if form.css_first("input[type=file], input[type=email], textarea"):
            return url.split("#", 1)[0]
    return None


def extract_jobs(tree: LexborHTMLParser, url: str) -> tuple[ExtractedJob, ...]:
    """The jobs on a page, from the best source it has."""
    jobs = json_ld_jobs(tree, url) or microdata_jobs(tree, url)
    if jobs:
        if len(jobs) == 1:
            # the one job of a job page: what its structured data leaves out, the page may state
            fields = dict(jobs[0].fields)
            for name, value in heuristic_fields(labelled(tree)).items():
                if value and name not in fields:
                    fields[name] = FieldValue(value, "heuristic")
            apply = apply_link(tree, url) if "apply_url" not in fields else None
            if apply:
                fields["apply_url"] = FieldValue(apply, "heuristic")
            jobs = [ExtractedJob(fields)]
        return tuple(jobs)
    listed = listing_jobs(tree, url)
    if listed:
        return tuple(listed)
    single = job_page(tree, url)
    return (single,) if single is not None else ()
