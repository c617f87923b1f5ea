"""What ``lightclaw train-check`` found: per file, per chat template, per card config, per
trainer; and the verdicts (one definition each, used by the CLI and the JSON report)."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from lightclaw.export.lengths import TokenLengths


class TemplateCheck(BaseModel):
    """One chat template on one file: render failures, and rows whose tool calls, arguments or
    tools it dropped."""

    template: str
    tool_aware: bool
    rows_rendered: int = 0
    render_errors: int = 0
    """Rows whose rendering raised (e.g. ``UndefinedError``): a trainer using it crashes."""
    errors: list[str] = Field(default_factory=list)
    rows_checked: int = 0
    """Rows checked for dropped parts (the first ``LOSS_SAMPLE`` of a conversational file)."""
    lost_tool_calls: int = 0
    lost_arguments: int = 0
    lost_tools: int = 0
    use_instead: str | None = None
    """The tool-aware template to train with when this one drops tool calls."""

    @property
    def loses_tools(self) -> bool:
        return bool(self.lost_tool_calls or self.lost_arguments or self.lost_tools)

    @property
    def usable(self) -> bool:
        return not self.render_errors and not self.loses_tools

    @property
    def verdict(self) -> str:
        if self.render_errors:
            return f"FAILED: {self.render_errors} of {self.rows_rendered} rows fail to render"
        if self.loses_tools:
            lost = (
                f"drops tool calls/arguments/tools in {self.lost_tool_calls}/"
                f"{self.lost_arguments}/{self.lost_tools} of {self.rows_checked} rows"
            )
            instead = f"; train with {self.use_instead}" if self.use_instead else ""
            return f"unusable: {lost}{instead}"
        return "ok"


class FileCheck(BaseModel):
    """Everything train-check found about one file."""

    path: str
    format: str | None
    kind: str
    rows: int = 0
    manifest_rows: int | None = None
    """Rows the manifest says the export wrote (None: a file the manifest does not list)."""
    changed: str | None = None
    """How the file differs from what the export wrote (size or sha256), if it does."""
    unreadable: str | None = None
    invalid: int = 0
    examples: list[str] = Field(default_factory=list)
    """Line numbers and reasons of the first invalid rows."""
    loaded: int | None = None
    """Rows ``datasets`` loaded (None when not loaded)."""
    altered: int = 0
    """Rows that ``datasets`` returned different from what the file holds."""
    load_error: str | None = None
    templates: list[TemplateCheck] = Field(default_factory=list)
    token_lengths: TokenLengths | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        broken = (
            self.changed
            or self.unreadable
            or self.invalid
            or self.altered
            or self.load_error
            or (self.manifest_rows is not None and self.rows != self.manifest_rows)
        )
        if broken or any(t.render_errors for t in self.templates):
            return False
        return not self.templates or any(t.usable for t in self.templates)


class ConfigLoad(BaseModel):
    """One config of the data card loaded the way a Hub user loads it, every split at once
    (``load_dataset(export_dir, config)``)."""

    config: str
    expected: dict[str, int]
    """Rows per split the manifest lists."""
    loaded: dict[str, int] = Field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.loaded == self.expected


class TrainResult(BaseModel):
    """N real steps of one TRL trainer on one exported file (and its loss on the test split)."""

    trainer: str
    file: str
    steps: int
    losses: list[float]
    finite: bool
    params_changed: int
    params_total: int
    seconds: float
    eval_file: str | None = None
    eval_loss: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        evaluated = self.eval_file is None or (
            self.eval_loss is not None and math.isfinite(self.eval_loss)
        )
        return self.error is None and self.finite and self.params_changed > 0 and evaluated


class TrainCheckReport(BaseModel):
    directory: str
    max_length: int
    files: list[FileCheck]
    configs: list[ConfigLoad] = Field(default_factory=list)
    training: list[TrainResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            all(f.ok for f in self.files)
            and all(c.ok for c in self.configs)
            and all(t.ok for t in self.training)
        )
