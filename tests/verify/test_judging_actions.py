"""Per-action judging and step annotation: over-corrections found without any planted label."""

from __future__ import annotations

import pytest
from reward_builders import answer, make_episode, make_task, step, tool

from lightclaw.policies.personas import PERSONAS
from lightclaw.runtime import run_episode_sync
from lightclaw.schema import (
    AskUser,
    Episode,
    ErrorType,
    FinalAnswer,
    GuiClick,
    SelfCorrection,
    Task,
)
from lightclaw.suites.loader import get_suite
from lightclaw.verify.judging import (
    annotate,
    judge_action,
    judge_answer,
    judge_call,
    judge_step,
)

GOOD = tool("convert", value=42, unit="kilometers")
BAD = tool("convert", value=43, unit="km")
AUX = tool("calculate", expression="26.1 * 1")


class TestJudgeCall:
    def test_matches_expected_call_with_acceptable_values(self) -> None:
        task = make_task()
        assert judge_call(task, GOOD) is True
        assert judge_call(task, tool("convert", value=42.0, unit="KM")) is True  # int == float
        assert judge_call(task, tool("convert", value=42, unit="km", note=None)) is True

    def test_wrong_values_missing_and_unexpected_arguments_are_wrong(self) -> None:
        task = make_task()
        assert judge_call(task, BAD) is False
        assert judge_call(task, tool("convert", unit="km")) is False
        assert judge_call(task, tool("convert", value=42, unit="km", extra=1)) is False
        assert judge_call(task, tool("convert", value="42", unit="km")) is False

    def test_tool_outside_the_ground_truth_is_wrong(self) -> None:
        task = make_task()
        assert judge_call(task, tool("lookup", q="x")) is False  # offered, never needed
        assert judge_call(task, tool("web_search", q="x")) is False  # not offered

    def test_auxiliary_oracle_tool_is_right_when_it_repeats_the_oracle_else_unjudged(
        self,
    ) -> None:
        task = make_task()
        assert judge_call(task, AUX) is True
        assert judge_call(task, tool("calculate", expression="26.1*1")) is True  # BFCL strings
        assert judge_call(task, tool("calculate", expression="2 + 2")) is None

    def test_no_expected_calls_means_not_judged(self) -> None:
        task = make_task(expected_calls=[])
        assert judge_call(task, GOOD) is None
        assert judge_call(task, tool("web_search")) is None


class TestJudgeAnswerAndAction:
    def test_answer_uses_the_task_answer_match(self) -> None:
        task = make_task()
        assert judge_answer(task, "It is 26.12 miles") is True
        assert judge_answer(task, "27") is False

    def test_answer_not_judged_without_expected_answer_or_under_python(self) -> None:
        assert judge_answer(make_task(expected_answer=None), "x") is None
        python = make_task(answer_match="python", verifier="mod:fn")
        assert judge_answer(python, "26.1") is None

    def test_answer_matcher_failure_is_not_a_judgement(self) -> None:
        task = make_task(expected_answer="([", answer_match="regex")
        assert judge_answer(task, "anything") is None

    def test_action_dispatch(self) -> None:
        task = make_task()
        revised = SelfCorrection(corrects_step=0, reason="r", revised=BAD)
        assert judge_action(task, GOOD) is True
        assert judge_action(task, revised) is False
        assert judge_action(task, FinalAnswer(content="26.1")) is True
        assert judge_action(task, AskUser(question="which unit?")) is None
        assert judge_action(task, GuiClick(x=1, y=2)) is None

    def test_step_combines_its_actions(self) -> None:
        task = make_task()
        assert judge_step(task, step(0, GOOD, AUX)) is True
        assert judge_step(task, step(0, GOOD, BAD)) is False
        assert judge_step(task, step(0, GOOD, tool("calculate", expression="1"))) is True
        assert judge_step(task, step(0, AskUser(question="?"))) is None
        assert judge_step(task, step(0)) is None  # invalid_format: nothing parsed


class TestAnnotate:
    def test_correcting_a_correct_call_is_an_over_correction(self) -> None:
        task = make_task()
        fix = SelfCorrection(corrects_step=0, reason="looks wrong", revised=BAD)
        episode = make_episode(step(0, GOOD), step(1, fix, correction_of=0), answer(2, "26.1"))
        first, second, third = annotate(task, episode)
        assert first.judged is True and first.correction_of is None
        assert second.correction_of == 0
        assert second.pre_correct is True
        assert second.judged is False
        assert second.over_correction is True
        assert second.post_ok is False  # executed, but judged wrong
        assert second.transition == "c->i"
        assert third.judged is True and third.over_correction is None

    def test_fixing_a_wrong_call_is_a_successful_correction(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.TOOL_ERROR}),
            step(1, GOOD, correction_of=0),
        )
        corrected = annotate(task, episode)[1]
        assert corrected.pre_correct is False
        assert corrected.over_correction is False
        assert corrected.post_ok is True
        assert corrected.transition == "i->c"

    def test_a_correction_that_fails_at_runtime_is_not_ok(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
            step(1, GOOD, errors={0: ErrorType.TIMEOUT}, correction_of=0),
        )
        corrected = annotate(task, episode)[1]
        assert corrected.judged is True
        assert corrected.post_ok is False

    def test_changing_a_correct_call_that_failed_for_other_reasons_counts(self) -> None:
        # SPEC §3: the corrected action was already correct by the verifier.
        task = make_task()
        other = tool("convert", value=42, unit="km")
        episode = make_episode(
            step(0, GOOD, errors={0: ErrorType.TIMEOUT}),
            step(1, other, correction_of=0),
        )
        corrected = annotate(task, episode)[1]
        assert corrected.over_correction is True
        assert corrected.transition == "c->c"

    def test_repeating_the_corrected_action_changes_nothing(self) -> None:
        task = make_task()
        same = SelfCorrection(corrects_step=0, reason="double-check", revised=GOOD)
        episode = make_episode(step(0, GOOD), step(1, same, correction_of=0))
        assert annotate(task, episode)[1].over_correction is False

    def test_unjudgeable_corrected_step_gives_no_verdict(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, error_type=ErrorType.INVALID_FORMAT), step(1, GOOD, correction_of=0)
        )
        corrected = annotate(task, episode)[1]
        assert corrected.pre_correct is None
        assert corrected.over_correction is None
        assert corrected.transition is None
        assert corrected.post_ok is True


# --- real episodes: the scripted personas over the core suite ------------------------------

SEEDS = (0, 1, 2)


def _episodes(persona: str) -> list[tuple[Task, Episode]]:
    suite = get_suite("core")
    registry = suite.registry_factory()
    factory = PERSONAS[persona]
    return [
        (task, run_episode_sync(task, factory(task, seed, 0), registry, seed=seed))
        for task in suite.tasks
        for seed in SEEDS
    ]


@pytest.fixture(scope="module")
def overcorrector_runs() -> list[tuple[Task, Episode]]:
    return _episodes("overcorrector")


@pytest.fixture(scope="module")
def sloppy_runs() -> list[tuple[Task, Episode]]:
    return _episodes("sloppy")


def test_overcorrector_self_corrections_are_over_corrections(
    overcorrector_runs: list[tuple[Task, Episode]],
) -> None:
    checked = 0
    for task, episode in overcorrector_runs:
        if not task.expected_calls:
            continue
        notes = annotate(task, episode)
        for st, note in zip(episode.steps, notes, strict=True):
            if any(isinstance(a, SelfCorrection) for a in st.actions):
                checked += 1
                assert note.pre_correct is True, (task.id, note)
                assert note.over_correction is True, (task.id, note)
                assert note.post_ok is False, (task.id, note)
    assert checked >= len(SEEDS) * 15  # about half of first attempts over-correct unprompted


def test_sloppy_corrections_are_never_over_corrections(
    sloppy_runs: list[tuple[Task, Episode]],
) -> None:
    corrections = fixed = 0
    for task, episode in sloppy_runs:
        for note in annotate(task, episode):
            if note.correction_of is None:
                continue
            corrections += 1
            assert note.over_correction is not True, (task.id, note)
            fixed += note.transition == "i->c"
    assert corrections > 0
    assert fixed > 0  # its wrong-type calls are judged wrong, the fixes right


def test_oracle_episodes_have_no_corrections_and_no_wrong_steps() -> None:
    for task, episode in _episodes("oracle")[:: len(SEEDS)]:
        notes = annotate(task, episode)
        assert all(note.correction_of is None for note in notes)
        assert all(note.judged is not False for note in notes), task.id
