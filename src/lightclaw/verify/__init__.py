"""Verifiers: judge recorded episodes against task ground truth, once, and score them."""

from lightclaw.schema.judgement import Judgement, Verdict
from lightclaw.verify.answers import answer_matches
from lightclaw.verify.ground_truth import judge
from lightclaw.verify.judgement import judge_episode
from lightclaw.verify.matching import argument_problems, values_equal
from lightclaw.verify.reward import assess, score

__all__ = [
    "Judgement",
    "Verdict",
    "answer_matches",
    "argument_problems",
    "assess",
    "judge",
    "judge_episode",
    "score",
    "values_equal",
]
