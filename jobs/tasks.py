"""The schedule's jobs as tasks, for a worker to run (``manage.py nightly --enqueue``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from . import nightly


@task()
def run_nightly(day: str | None = None) -> dict[str, Any]:
    return nightly.run(day=dt.date.fromisoformat(day) if day else None)
