"""Feedback texts of the two-attempt (SCoRe) protocol, shared by the protocol and personas."""

from __future__ import annotations

from typing import Literal

GENERIC_FEEDBACK = (
    "There might be an error in the solution above because of lack of understanding of the "
    "question. Please correct the error, if any, and rewrite the solution."
)
"""SCoRe's (Kumar et al. 2024) self-correction instruction: says nothing about correctness."""

ACCEPTED = "The verifier accepted your answer."
REJECTED = "The verifier rejected your answer: "

FeedbackKind = Literal["generic", "accepted", "rejected", "other"]


def verifier_feedback(success: bool, message: str) -> str:
    """Feedback that carries the verifier's verdict and its message."""
    return ACCEPTED if success else f"{REJECTED}{message} Please correct it."


def classify(feedback: str) -> FeedbackKind:
    if feedback == GENERIC_FEEDBACK:
        return "generic"
    if feedback == ACCEPTED:
        return "accepted"
    if feedback.startswith(REJECTED):
        return "rejected"
    return "other"
