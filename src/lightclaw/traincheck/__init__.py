"""Reading exports the way trainers do: manifest, row models, ``datasets`` loading, chat
templates, token lengths and (``--steps``) real TRL training steps. Needs the ``train`` extra."""

from lightclaw.traincheck.check import train_check
from lightclaw.traincheck.report import (
    ConfigLoad,
    FileCheck,
    TemplateCheck,
    TrainCheckReport,
    TrainResult,
)

__all__ = [
    "ConfigLoad",
    "FileCheck",
    "TemplateCheck",
    "TrainCheckReport",
    "TrainResult",
    "train_check",
]
