"""Who decides: the Policy protocol, offline test policies and raw output -> action parsing."""

from lightclaw.policies.base import (
    BasePolicy,
    Policy,
    PolicyError,
    PolicyFactory,
    PolicyOutput,
    PolicyRequest,
    normalize_output,
)
from lightclaw.policies.parsing import EMPTY_OUTPUT, ParseResult, parse_output, render_actions
from lightclaw.policies.scripted import FunctionPolicy, ReplayPolicy, ScriptedPolicy

__all__ = [
    "EMPTY_OUTPUT",
    "BasePolicy",
    "FunctionPolicy",
    "ParseResult",
    "Policy",
    "PolicyError",
    "PolicyFactory",
    "PolicyOutput",
    "PolicyRequest",
    "ReplayPolicy",
    "ScriptedPolicy",
    "normalize_output",
    "parse_output",
    "render_actions",
]
