from __future__ import annotations

import pytest
from runtime_helpers import make_registry

from lightclaw.tools import ToolRegistry


@pytest.fixture
def registry() -> ToolRegistry:
    return make_registry()
