"""Per-action judging and the corrections of the judgement: over-corrections and recoveries
found without any planted label."""

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
from lightclaw.schema.judgement import CorrectionJudgement
from lightclaw.suites.loader import get_suite
from lightclaw.verify import judge_episode
from lightclaw.verify.judging import (
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


def corrections(task: Task, episode: Episode) -> dict[int, CorrectionJudgement]:
    """The judgement's corrections by correcting step."""
    return {c.step: c for c in judge_episode(task, episode).corrections}


class TestCorrections:
    def test_correcting_a_correct_call_is_an_over_correction(self) -> None:
        task = make_task()
        fix = SelfCorrection(corrects_step=0, reason="looks wrong", revised=BAD)
        episode = make_episode(step(0, GOOD), step(1, fix, correction_of=0), answer(2, "26.1"))
        judgement = judge_episode(task, episode)
        assert [s.correct for s in judgement.steps] == [True, False, True]
        (second,) = judgement.corrections
        assert (second.step, second.corrects) == (1, 0)
        assert second.before is True and second.after is False
        assert second.over_correction is True
        assert second.recovered is False  # executed, but judged wrong
        assert second.transition == "c->i"

    def test_fixing_a_wrong_call_is_a_successful_correction(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.TOOL_ERROR}),
            step(1, GOOD, correction_of=0),
        )
        corrected = corrections(task, episode)[1]
        assert corrected.before is False
        assert corrected.over_correction is False
        assert corrected.recovered is True
        assert corrected.transition == "i->c"

    def test_a_correction_that_fails_at_runtime_does_not_recover(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
            step(1, GOOD, errors={0: ErrorType.TIMEOUT}, correction_of=0),
        )
        corrected = corrections(task, episode)[1]
        assert corrected.after is True and corrected.executed is False
        assert corrected.recovered is False

    def test_changing_a_correct_call_that_failed_for_other_reasons_counts(self) -> None:
        # SPEC §3: the corrected action was already correct by the verifier (judged on its own),
        # although its runtime error makes the transition start incorrect.
        task = make_task()
        other = tool("convert", value=42, unit="km")
        episode = make_episode(
            step(0, GOOD, errors={0: ErrorType.TIMEOUT}),
            step(1, other, correction_of=0),
        )
        corrected = corrections(task, episode)[1]
        assert corrected.over_correction is True
        assert corrected.transition == "i->c"

    def test_repeating_the_corrected_action_changes_nothing(self) -> None:
        task = make_task()
        same = SelfCorrection(corrects_step=0, reason="double-check", revised=GOOD)
        episode = make_episode(step(0, GOOD), step(1, same, correction_of=0))
        corrected = corrections(task, episode)[1]
        assert corrected.changed is False and corrected.over_correction is False

    def test_unjudgeable_corrected_step_is_not_already_correct(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, error_type=ErrorType.INVALID_FORMAT), step(1, GOOD, correction_of=0)
        )
        corrected = corrections(task, episode)[1]
        assert corrected.before is None
        assert corrected.over_correction is False  # counted in the same denominator
        assert corrected.transition == "i->c"  # the unparseable output failed at runtime
        assert corrected.recovered is True

    def test_a_give_up_answer_after_an_error_never_recovers(self) -> None:
        # The stubborn persona's ending: a call fails, then "I could not complete this task."
        # The task checks calls only, so nothing judges the answer on its own; the episode
        # fails, so the correction did not recover (it used to count as a success).
        task = make_task(expected_answer=None)
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
            answer(1, "I could not complete this task.", correction_of=0),
        )
        judgement = judge_episode(task, episode)
        assert judgement.verdict.success is False
        (give_up,) = judgement.corrections
        assert give_up.executed is True and give_up.after is None
        assert give_up.recovered is False
        assert give_up.over_correction is False

    def test_a_give_up_answer_judged_against_an_expected_answer_never_recovers(self) -> None:
        task = make_task()
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
            answer(1, "I could not complete this task.", correction_of=0),
        )
        (give_up,) = judge_episode(task, episode).corrections
        assert give_up.after is False and give_up.recovered is False

    def test_an_unjudgeable_revision_recovers_when_the_episode_then_succeeds(self) -> None:
        task = make_task(expected_answer=None)
        ask = AskUser(question="which unit?")
        failed = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
            step(1, ask, correction_of=0),
            answer(2, "26.1"),
        )
        assert corrections(task, failed)[1].recovered is False  # convert never succeeded
        fixed = make_episode(
            step(0, GOOD, errors={0: ErrorType.TIMEOUT}),
            step(1, ask, correction_of=0),
            step(2, GOOD),
            answer(3, "26.1"),
        )
        assert judge_episode(task, fixed).verdict.success
        assert corrections(task, fixed)[1].recovered is True

    def test_feedback_events_and_whether_a_later_step_corrects_them(self) -> None:
        task = make_task()
        explicit = SelfCorrection(corrects_step=0, reason="fix the first", revised=GOOD)
        episode = make_episode(
            step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),  # corrected two steps later
            step(1, BAD, errors={0: ErrorType.REDUNDANT_CALL}),  # retried, never corrected
            step(2, explicit, correction_of=0),
            step(3, GOOD, errors={0: ErrorType.TIMEOUT}),  # the last step: no feedback event
        )
        attempted = [s.correction_attempted for s in judge_episode(task, episode).steps]
        assert attempted == [True, False, None, None]


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
        found = corrections(task, episode)
        for st in episode.steps:
            if any(isinstance(a, SelfCorrection) for a in st.actions):
                checked += 1
                note = found[st.index]
                assert note.before is True, (task.id, note)
                assert note.over_correction is True, (task.id, note)
                assert note.recovered is False, (task.id, note)
    assert checked >= len(SEEDS) * 15  # about half of first attempts over-correct unprompted


def test_sloppy_corrections_are_never_over_corrections(
    sloppy_runs: list[tuple[Task, Episode]],
) -> None:
    total = fixed = 0
    for task, episode in sloppy_runs:
        for note in corrections(task, episode).values():
            total += 1
            assert note.over_correction is False, (task.id, note)
            fixed += note.transition == "i->c"
    assert total > 0
    assert fixed > 0  # its wrong-type calls are judged wrong, the fixes right


def test_stubborn_corrections_never_recover() -> None:
    # it retries a call missing an argument, then gives up: no task succeeds, and so by the
    # definition no correction (its give-up answers included) can recover
    runs = _episodes("stubborn")
    found = 0
    for task, episode in runs:
        judgement = judge_episode(task, episode)
        assert judgement.verdict.success is False, task.id
        for note in judgement.corrections:
            found += 1
            assert note.recovered is (note.executed and note.after is True), (task.id, note)
            assert note.recovered is False, (task.id, note)
    assert found > len(SEEDS) * 10


def test_oracle_episodes_have_no_corrections_and_no_wrong_steps() -> None:
    for task, episode in _episodes("oracle")[:: len(SEEDS)]:
        judgement = judge_episode(task, episode)
        assert not judgement.corrections
        assert all(s.correct is not False for s in judgement.steps), task.id
