"""The JavaScript the browser backend runs in pages (kept apart from the Python that drives it).

* :data:`INIT_SCRIPT` runs in every document before the page's own scripts: a per-document
  token (``window.__lcDoc``) and the marker appended to every form submission's data (see
  :mod:`lightclaw.envs.web.routing`).
* :data:`LOAD_JS` waits for the load event, bounded.
* :data:`TAG_JS` numbers the interactive elements (``data-lc-id``) and reads their boxes.
* :data:`SET_VALUE_JS` sets a field's value the way a script would (a field nobody can see).
"""

from __future__ import annotations

FORM_MARK = "__lc_form"
"""The name of the field :data:`INIT_SCRIPT` adds to every form submission."""
INIT_SCRIPT = (
    """(() => {
  const doc = Math.random().toString(36).slice(2) + Date.now().toString(36);
  Object.defineProperty(window, "__lcDoc", { value: doc });
  addEventListener("formdata", (event) => {
    const form = event.target;
    const pw = !!(form && form.querySelector && form.querySelector("input[type=password i]"));
    event.formData.append("MARK", JSON.stringify({ doc: doc, pw: pw }));
  }, true);
})();"""
).replace("MARK", FORM_MARK)

LOAD_JS = """(ms) => document.readyState === "complete" || new Promise((done) => {
  addEventListener("load", () => done(true), { once: true });
  setTimeout(() => done(document.readyState === "complete"), ms);
})"""
TAG_JS = """(selector) => {
  for (const el of document.querySelectorAll("[data-lc-id]")) el.removeAttribute("data-lc-id");
  for (const el of document.querySelectorAll("noscript")) el.remove();
  for (const el of document.querySelectorAll("a[target], area[target], form[target]")) {
    el.removeAttribute("target");
  }
  const boxes = {};
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    n += 1;
    const id = "e" + n;
    el.setAttribute("data-lc-id", id);
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    boxes[id] = [r.x, r.y, r.width, r.height];
  }
  return boxes;
}"""
SET_VALUE_JS = """(el, value) => {
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  el.dispatchEvent(new Event("change", { bubbles: true }));
}"""
