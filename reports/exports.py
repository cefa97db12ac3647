"""The year-end workbook as background work: ``export_request`` (in the request: a row,
and the task queued on commit) and ``export_build`` (in the worker: the workbook for the
requester's scope, written to private storage under ``exports/<user id>/``)."""

from __future__ import annotations

import logging
import tempfile
import uuid
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import OrgUnit
from core import clock

from .models import WorkbookExport
from .scope import scope_for_user
from .workbook import write_workbook, year_end_data

logger = logging.getLogger(__name__)


def export_request(*, user: Any, year: int, region_code: str = "") -> WorkbookExport:
    with transaction.atomic():
        export = WorkbookExport.objects.create(user=user, year=year, region_code=region_code)
        transaction.on_commit(lambda: _enqueue(export.pk), robust=True)
    return export


def _enqueue(export_id: int) -> None:
    from .tasks import build_year_end

    build_year_end.enqueue(export_id)


def _progress(export: WorkbookExport, percent: int, **fields: Any) -> None:
    export.progress = percent
    for name, value in fields.items():
        setattr(export, name, value)
    export.save(update_fields=["progress", *fields])


def export_build(*, export_id: int) -> str:
    export = WorkbookExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != WorkbookExport.Status.QUEUED:
        return "skipped"
    # the requester's scope as it stands now (a role withdrawn since is no longer read)
    scope = scope_for_user(export.user)
    if export.region_code:
        scope = scope.narrowed_to(OrgUnit.objects.get(code=export.region_code))
    _progress(export, 5, status=WorkbookExport.Status.RUNNING, label=scope.label[:200])
    try:
        data = year_end_data(scope=scope, year=export.year)
        _progress(export, 60)
        name = f"exports/{export.user_id}/{uuid.uuid4().hex}.xlsx"
        with tempfile.TemporaryFile(suffix=".xlsx") as target:
            write_workbook(data, target)
            target.seek(0)
            stored = default_storage.save(name, File(target, name=name))
    except Exception as error:
        logger.exception("year-end workbook %s failed", export.pk)
        _progress(
            export,
            export.progress,
            status=WorkbookExport.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:500],
            finished_at=clock.now(),
        )
        return "failed"
    _progress(export, 100, status=WorkbookExport.Status.DONE, file=stored, finished_at=clock.now())
    return "done"
