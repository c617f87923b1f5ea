"""A second, independent count of the SPEC §3 metrics: plain Python over Episode records.

``compute_metrics`` aggregates the store's columns with SQL; this module walks the recorded
steps of each episode instead. The correction counts apply the one definition
(:func:`lightclaw.verify.corrections.judge_corrections`) to each record's stored step verdicts
and success -- judging nothing again -- so agreement shows that the step columns the SQL counts
hold exactly what the definition gives. ``lightclaw check`` (and the tests) require the two to
agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from lightclaw.schema.errors import CALL_ERRORS, RUNTIME_ERRORS
from lightclaw.verify.corrections import judge_corrections

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lightclaw.evals.metrics import GroupMetrics
    from lightclaw.schema import Episode

GroupKey = tuple[str, str, str]  # suite, policy, source


def recount(
    episodes: Iterable[Episode], sources: Mapping[str, str]
) -> dict[GroupKey, Counter[str]]:
    """Counters per (suite, policy, source) over first attempts, from the raw steps."""
    out: dict[GroupKey, Counter[str]] = defaultdict(Counter)
    for ep in episodes:
        if ep.attempt != 1:
            continue
        c = out[(ep.suite, ep.policy, sources[ep.run_id])]
        c["episodes"] += 1
        c["steps"] += len(ep.steps)
        if ep.success is not None:
            c["judged"] += 1
            c["succeeded"] += ep.success
            if any(s.error_type in RUNTIME_ERRORS for s in ep.steps):
                c["with_error"] += 1
                c["recovered"] += ep.success
        for step in ep.steps:
            error = step.error_type.value if step.error_type is not None else None
            c["invalid_format"] += error == "invalid_format"
            if step.calls:
                c["tool_steps"] += 1
                c["tool_failed"] += error in CALL_ERRORS
                c["wrong_args"] += error == "wrong_args"
        verdicts = {step.index: step.judged_correct for step in ep.steps}
        attempted, corrections = judge_corrections(ep.steps, verdicts, ep.success)
        for value in attempted.values():
            if value is not None:
                c["feedback"] += 1
                c["attempts"] += value
        for correction in corrections:
            c["corrections"] += 1
            c["over_corrections_of"] += 1  # one denominator for both correction rates
            c["corrections_ok"] += correction.recovered
            c["over_corrections"] += correction.over_correction
    return out


def counted(g: GroupMetrics) -> Counter[str]:
    """The same counters, read off a :class:`GroupMetrics` computed by SQL."""
    return Counter(
        {
            "episodes": g.episodes,
            "steps": g.steps,
            "judged": g.judged,
            "succeeded": g.task_success_rate.numerator,
            "with_error": g.recovery_rate.denominator,
            "recovered": g.recovery_rate.numerator,
            "invalid_format": g.invalid_format_rate.numerator,
            "tool_steps": g.tool_steps,
            "tool_failed": g.tool_steps - g.tool_execution_success_rate.numerator,
            "wrong_args": g.wrong_args_rate.numerator,
            "feedback": g.correction_attempt_rate.denominator,
            "attempts": g.correction_attempt_rate.numerator,
            "corrections": g.recovery_success_rate.denominator,
            "corrections_ok": g.recovery_success_rate.numerator,
            "over_corrections_of": g.over_correction_rate.denominator,
            "over_corrections": g.over_correction_rate.numerator,
        }
    )


def disagreements(
    sql: Iterable[GroupMetrics], python: Mapping[GroupKey, Counter[str]]
) -> list[str]:
    """Where the SQL metrics and the recount differ (empty: they agree)."""
    out: list[str] = []
    seen: set[GroupKey] = set()
    for g in sql:
        key = (g.suite or "", g.policy or "", g.source or "")
        seen.add(key)
        want = python.get(key, Counter())
        have = counted(g)
        for name in sorted(set(have) | set(want)):
            if have[name] != want[name]:
                out.append(f"{'/'.join(key)} {name}: SQL {have[name]} != recount {want[name]}")
    out += [f"{'/'.join(k)}: only in the recount" for k in python.keys() - seen]
    return out
