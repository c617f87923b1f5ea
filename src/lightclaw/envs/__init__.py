"""Where actions land: the tool environment (and, later, web and GUI environments)."""

from lightclaw.envs.tool_env import ToolEnv, canonical_json, state_digest

__all__ = ["ToolEnv", "canonical_json", "state_digest"]
