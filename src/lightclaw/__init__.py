"""LightClaw: local-first agent runtime and post-training data loop."""

__version__ = "0.1.0"
