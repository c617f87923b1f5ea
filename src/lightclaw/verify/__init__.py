"""Verifiers: judge recorded episodes against task ground truth."""

from lightclaw.verify.answers import answer_matches
from lightclaw.verify.ground_truth import Verdict, argument_problems, judge, values_equal

__all__ = ["Verdict", "answer_matches", "argument_problems", "judge", "values_equal"]
