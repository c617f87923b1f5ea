"""Rollouts into the store: collect (with resume), replay, and the demo."""
