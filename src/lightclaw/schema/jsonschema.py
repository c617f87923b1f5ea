"""Generate the JSON Schemas of the trajectory record into docs/schema/.

Run ``uv run python -m lightclaw.schema.jsonschema`` after changing a record model; a test
checks the committed files match the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lightclaw.schema.actions import ACTION_ADAPTER
from lightclaw.schema.messages import MESSAGE_ADAPTER
from lightclaw.schema.tasks import Task
from lightclaw.schema.trajectory import FORMAT_VERSION, Episode, Run, Step

MODELS: dict[str, type[BaseModel]] = {"run": Run, "episode": Episode, "step": Step, "task": Task}


def record_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema of each record type (mode: validation)."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in MODELS.items():
        out[f"{name}.schema.json"] = model.model_json_schema()
    out["action.schema.json"] = ACTION_ADAPTER.json_schema()
    out["message.schema.json"] = MESSAGE_ADAPTER.json_schema()
    for schema in out.values():
        schema["$comment"] = f"LightClaw trajectory format version {FORMAT_VERSION}"
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in record_schemas().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/schema")
    for p in write(target):
        print(p)
