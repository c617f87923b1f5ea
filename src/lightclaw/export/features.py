"""Every exported format's row model by name, and the Hugging Face ``features`` of its rows.

The data card declares each config's features (``dataset_info`` in the README's YAML), derived
from the row model's JSON schema: typed fields become typed columns, free-form JSON (tool
arguments, parameter schemas, answers) becomes ``json``. Without declared features ``datasets``
infers the columns per file, and the train and test files of one config then disagree (a tool
schema with ``$defs`` in one split only), so ``load_dataset(export_dir, "sft")`` fails. Needs
nothing beyond pydantic: the card is built without the ``train`` extra.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lightclaw.export.dpo import DpoRow, RankingRow
from lightclaw.export.grpo import GroupStats, GrpoRow
from lightclaw.export.rows import SftRow, ShareGptRow
from lightclaw.export.selfcorrect import SelfCorrectionRow
from lightclaw.export.spa import EstimatorRow, SpaRow
from lightclaw.export.verl import VerlRow

ROW_MODELS: dict[str, type[BaseModel]] = {
    "trl-sft": SftRow,
    "trl-dpo": DpoRow,
    "trl-grpo": GrpoRow,
    "verl": VerlRow,
    "llamafactory-sharegpt": ShareGptRow,
    "llamafactory-ranking": RankingRow,
    "lightclaw-grpo-groups": GroupStats,
    "lightclaw-spa": SpaRow,
    "lightclaw-selfcorrect": SelfCorrectionRow,
    "spa-rl-progress": EstimatorRow,
}
"""The row model that validates each format (the ``format`` of a manifest / card entry)."""

JSON = {"dtype": "json"}
_SCALARS = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool"}

Feature = dict[str, Any]


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return _resolve(defs[ref.rsplit("/", 1)[1]], defs) if ref else schema


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> Feature:
    """The features YAML of one JSON-schema node (``{"dtype"|"list"|"struct": ...}``)."""
    schema = _resolve(schema, defs)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options is not None:
        kept = [o for o in options if _resolve(o, defs).get("type") != "null"]
        return _type(kept[0], defs) if len(kept) == 1 else JSON
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return {"dtype": "string"} if all(isinstance(v, str) for v in values) else JSON
    kind = schema.get("type")
    if kind in _SCALARS:
        return {"dtype": _SCALARS[kind]}
    if kind == "array" and isinstance(schema.get("items"), dict):
        item = _type(schema["items"], defs)
        return {"list": item.get("dtype", item.get("struct", item))}
    if kind == "object" and schema.get("properties") and not schema.get("additionalProperties"):
        return {"struct": _fields(schema, defs)}
    return JSON


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> list[Feature]:
    return [{"name": name, **_type(node, defs)} for name, node in schema["properties"].items()]


def features(model: type[BaseModel]) -> list[Feature]:
    """The ``features`` (Hugging Face YAML list form) of rows validated by ``model``."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return _fields(schema, schema.get("$defs", {}))
