from __future__ import annotations

from django_tasks import task

from . import exports


@task()
def build_year_end(export_id: int) -> str:
    return exports.export_build(export_id=export_id)
