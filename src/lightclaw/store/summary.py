"""Row models returned by store queries (no postponed annotations: Pydantic reads them)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from lightclaw.schema.trajectory import RunSource, RunStatus


class RunSummary(BaseModel):
    """One line of ``list_runs``: a run with its episode and step counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    created: datetime
    source: RunSource
    suite: str
    policy: str
    status: RunStatus
    episodes: int
    steps: int
