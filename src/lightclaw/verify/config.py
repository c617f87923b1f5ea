"""Reward weights from a TOML config file.

.. code-block:: toml

    [reward.weights]
    task_success = 1.0
    latency_proxy = 0.0   # ignore episode length

Components not named keep their default (:data:`~lightclaw.verify.reward.DEFAULT_WEIGHTS`).
Other top-level tables are left alone (the file may configure other things). Every problem —
a missing or unreadable file, invalid TOML, no ``[reward.weights]`` table, an unknown key, a
value that is not a finite number — is a :class:`~lightclaw.errors.UserError` naming the file
and the key (the CLI exits 2).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from lightclaw.errors import UserError
from lightclaw.files import read_user_text
from lightclaw.verify.reward import COMPONENTS, resolve_weights

__all__ = ["load_weights", "weights_from_toml"]

_REWARD_KEYS = ("weights",)


def load_weights(path: Path | str) -> dict[str, float]:
    """All reward weights: the defaults updated with ``[reward.weights]`` of the TOML file."""
    return weights_from_toml(read_user_text(path, "reward config"), str(path))


def weights_from_toml(text: str, source: str = "<config>") -> dict[str, float]:
    """Like :func:`load_weights`, for TOML text (``source`` names it in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: invalid TOML: {exc}") from None
    reward = data.get("reward")
    if not isinstance(reward, dict) or not isinstance(reward.get("weights"), dict):
        raise UserError(f"{source}: no [reward.weights] table")
    for key in reward:
        if key not in _REWARD_KEYS:
            raise UserError(
                f"{source}: unknown key 'reward.{key}'; valid keys: "
                + ", ".join(f"reward.{k}" for k in _REWARD_KEYS)
            )
    table = reward["weights"]
    for key in table:
        if key not in COMPONENTS:
            raise UserError(
                f"{source}: unknown reward weight {key!r} in [reward.weights]; "
                f"valid keys: {', '.join(COMPONENTS)}"
            )
    try:
        return resolve_weights(table)
    except UserError as exc:
        raise UserError(f"{source}: [reward.weights] {exc}") from None
