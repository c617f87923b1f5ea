"""Tools from typed Python functions: schema generation, argument validation and a registry."""

from lightclaw.tools.context import GuiMiss, ToolContext
from lightclaw.tools.docstring import Docstring, parse_docstring
from lightclaw.tools.registry import ToolRegistry
from lightclaw.tools.tool import Tool, schema_hash, tool
from lightclaw.tools.validation import ArgumentsInvalid

__all__ = [
    "ArgumentsInvalid",
    "Docstring",
    "GuiMiss",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "parse_docstring",
    "schema_hash",
    "tool",
]
