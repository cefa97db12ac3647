"""Web pages of the imports (``/imports/<kind>/``), knowing no domain: they ask the
registry of ``core.importing`` for the importer and ``user.has_perm`` for its
permission; the importer keeps the user within their area.

Upload → dry run (every bad row listed) → "Import" re-reads the same file, kept in
private storage (never under the web root, shared by every app server) and named
in the session, and imports it all or nothing. The upload's token is committed once:
the first request claims it (``core.models.ImportCommit``), any other is told the file
is being or has been imported, with a link to the result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from . import importing
from .http import download
from .models import ImportCommit
from .uploads import validate_upload
from .xlsx import XLSX_CONTENT_TYPE

SESSION_KEY = "imports.pending"
PENDING_DIR = "imports"
PENDING_MAX_AGE = dt.timedelta(days=1)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if PurePath(file.name or "").suffix.lower() != ".xlsx":
            raise ValidationError(
                _("Upload the filled-in template as an .xlsx file (Excel 2007 or later).")
            )
        validate_upload(file)
        return file


def _importer(request: HttpRequest, kind: str) -> importing.Importer | HttpResponse:
    """The importer of ``kind`` if the user may use it; a page saying why not."""
    try:
        importer = importing.get_importer(kind)
    except importing.NotAvailable as error:
        return render(
            request,
            "imports/unavailable.html",
            {"kind": kind, "label": importing.label_of(kind), "reason": str(error)},
            status=404,
        )
    if not request.user.has_perm(importer.permission):
        raise PermissionDenied
    return importer


def _options_form(
    importer: importing.Importer, request: HttpRequest, data: Any = None
) -> forms.Form | None:
    form = importer.options_form(data, actor=request.user)
    if form is not None:
        form.prefix = "options"
    return form


def _page(
    request: HttpRequest,
    importer: importing.Importer,
    *,
    upload: UploadForm | None = None,
    options_form: forms.Form | None = None,
    outcome: importing.ImportOutcome | None = None,
    token: str = "",
    filename: str = "",
    committed_failed: bool = False,
) -> HttpResponse:
    return render(
        request,
        "imports/kind.html",
        {
            "importer": importer,
            "kind": importer.kind,
            "upload": upload or UploadForm(),
            "options_form": options_form
            if options_form is not None
            else _options_form(importer, request),
            "outcome": outcome,
            "token": token,
            "filename": filename,
            "committed_failed": committed_failed,
        },
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    kinds = []
    for kind in importing.all_kinds():
        try:
            importer = importing.get_importer(kind)
        except importing.NotAvailable:
            kinds.append({"kind": kind, "label": importing.label_of(kind), "available": False})
            continue
        if request.user.has_perm(importer.permission):
            kinds.append({"kind": kind, "label": importer.label, "available": True})
    return render(request, "imports/index.html", {"kinds": kinds})


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    found = _importer(request, kind)
    if isinstance(found, HttpResponse):
        return found
    with translation.override("zh-hans"):  # file names are Chinese, as the documents
        name = f"{found.label}导入模板.xlsx"
    return download(
        found.template(), name, fallback=f"{kind}-template.xlsx", content_type=XLSX_CONTENT_TYPE
    )


@login_required
def kind_page(request: HttpRequest, kind: str) -> HttpResponse:
    found = _importer(request, kind)
    if isinstance(found, HttpResponse):
        return found
    importer = found
    if request.method != "POST":
        return _page(request, importer)

    upload = UploadForm(request.POST, request.FILES)
    options_data = {k: v for k, v in request.POST.items() if k.startswith("options-")}
    options_form = _options_form(importer, request, request.POST)
    if not upload.is_valid() or (options_form is not None and not options_form.is_valid()):
        return _page(request, importer, upload=upload, options_form=options_form)
    options = dict(options_form.cleaned_data) if options_form is not None else {}

    _forget_pending(request, kind)
    file = upload.cleaned_data["file"]
    stored = default_storage.save(f"{PENDING_DIR}/{uuid.uuid4().hex}.xlsx", file)
    with default_storage.open(stored, "rb") as handle:
        outcome = importing.dry_run(importer, handle, actor=request.user, options=options)
    token = ""
    if outcome.result.ok:
        token = uuid.uuid4().hex
        pending = request.session.get(SESSION_KEY, {})
        pending[kind] = {
            "token": token,
            "path": stored,
            "filename": file.name,
            "options": options_data,
        }
        request.session[SESSION_KEY] = pending
    else:
        default_storage.delete(stored)
    _purge_stale()
    return _page(
        request,
        importer,
        options_form=options_form,
        outcome=outcome,
        token=token,
        filename=file.name,
    )


@login_required
@require_POST
def commit(request: HttpRequest, kind: str) -> HttpResponse:
    found = _importer(request, kind)
    if isinstance(found, HttpResponse):
        return found
    importer = found
    token = str(request.POST.get("token") or "")[:32]
    earlier = _claimed(request, token)
    if earlier is not None:
        return _already(request, earlier)
    pending = request.session.get(SESSION_KEY, {}).get(kind)
    if not token or not pending or pending.get("token") != token:
        messages.error(request, _("That upload has expired; please upload the file again."))
        return redirect("imports:kind", kind=kind)
    claim = _claim(request, kind, token, pending.get("filename", ""))
    if claim is None:
        # another request of this session claimed the token a moment ago
        return _already(request, ImportCommit.objects.get(token=token))
    _forget_pending(request, kind, delete_file=False)
    path = pending["path"]
    outcome: importing.ImportOutcome | None = None
    try:
        options, option_errors = importing.clean_options(
            importer, pending.get("options") or {}, actor=request.user
        )
        if option_errors:
            outcome = importing.ImportOutcome(importing.ParseResult(errors=option_errors))
        elif not default_storage.exists(path):
            outcome = importing.ImportOutcome(
                importing.ParseResult(
                    errors=[
                        importing.RowError(
                            0,
                            importing.FILE_COLUMN,
                            _("That upload has expired; please upload the file again."),
                        )
                    ]
                )
            )
        else:
            with default_storage.open(path, "rb") as handle:
                outcome = importing.import_file(
                    importer, handle, actor=request.user, options=options
                )
    finally:
        default_storage.delete(path)
        _finish(claim, outcome)
    assert outcome is not None  # an exception above leaves the view
    if outcome.summary is not None:
        messages.success(
            request,
            _("%(file)s imported: %(summary)s")
            % {"file": pending.get("filename", ""), "summary": outcome.summary},
        )
        return redirect("imports:kind", kind=kind)
    return _page(
        request,
        importer,
        outcome=outcome,
        filename=pending.get("filename", ""),
        committed_failed=True,
    )


def _claimed(request: HttpRequest, token: str) -> ImportCommit | None:
    """This user's commit of the upload ``token``, if one was started."""
    if not token:
        return None
    return ImportCommit.objects.filter(token=token, actor_id=request.user.pk).first()


def _claim(request: HttpRequest, kind: str, token: str, filename: str) -> ImportCommit | None:
    """Claim the upload for this request: the row is committed at once (before the file
    is read), so a concurrent request with the same token fails its insert and is told
    the file is being imported. ``None`` if another request claimed it first."""
    assert request.user.pk is not None  # the view is login-protected
    try:
        with transaction.atomic(durable=True):
            return ImportCommit.objects.create(
                token=token,
                kind=kind,
                filename=filename[:255],
                actor_id=request.user.pk,
                started_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _finish(claim: ImportCommit, outcome: importing.ImportOutcome | None) -> None:
    """Record how the commit ended (also when it raised: refused, nothing imported)."""
    claim.finished_at = timezone.now()
    if outcome is not None and outcome.summary is not None:
        claim.status = ImportCommit.Status.IMPORTED
        claim.summary = str(outcome.summary)[:500]
    else:
        claim.status = ImportCommit.Status.REFUSED
        errors = outcome.errors if outcome is not None else []
        claim.errors = [[e.row, e.column, e.reason] for e in errors[: ImportCommit.ERRORS_KEPT]]
        claim.summary = (
            ngettext("%(n)d problem.", "%(n)d problems.", len(errors)) % {"n": len(errors)}
            if errors
            else _("The import stopped with an unexpected error.")
        )
    claim.save(update_fields=["status", "finished_at", "summary", "errors"])


def _already(request: HttpRequest, claim: ImportCommit) -> HttpResponse:
    """A second commit of one upload: say what happened to it, with the link (409)."""
    return render(
        request,
        "imports/already.html",
        {"claim": claim, "label": importing.label_of(claim.kind)},
        status=409,
    )


@login_required
def commit_result(request: HttpRequest, token: str) -> HttpResponse:
    """The result of one import commit, for the person who started it."""
    claim = get_object_or_404(ImportCommit, token=token, actor_id=request.user.pk)
    return render(
        request,
        "imports/result.html",
        {"claim": claim, "label": importing.label_of(claim.kind)},
    )


def _forget_pending(request: HttpRequest, kind: str, *, delete_file: bool = True) -> None:
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(kind, None)
    if entry is None:
        return
    request.session[SESSION_KEY] = pending
    if delete_file:
        default_storage.delete(entry["path"])


def _purge_stale() -> None:
    """Uploads checked but never imported are removed after a day (best effort)."""
    try:
        _dirs, files = default_storage.listdir(PENDING_DIR)
        cutoff = timezone.now() - PENDING_MAX_AGE
        for name in files:
            path = f"{PENDING_DIR}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
    except (NotImplementedError, OSError):
        pass
