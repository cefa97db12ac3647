"""The registry of import kinds, and running an import (dry run, commit)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .base import (
    FILE_COLUMN,
    PLANNED_KINDS,
    Progress,
)
from .cells import (
    NotAvailable,
    RowError,
    RowsRejected,
)
from .importer import (
    CommitSummary,
    Importer,
    ParseResult,
)

# --- the registry -----------------------------------------------------------------

_registry: dict[str, Importer] = {}


def register(kind: str, importer: Importer) -> None:
    """Called from the owning app's ``AppConfig.ready()``; registering again replaces."""
    importer.kind = kind
    _registry[kind] = importer


def unregister(kind: str) -> None:
    _registry.pop(kind, None)


def get_importer(kind: str) -> Importer:
    try:
        return _registry[kind]
    except KeyError:
        if kind in PLANNED_KINDS:
            raise NotAvailable(
                _("The import “%(kind)s” is not available yet.") % {"kind": kind}
            ) from None
        raise NotAvailable(_("There is no import “%(kind)s”.") % {"kind": kind}) from None


def all_kinds() -> list[str]:
    """The planned kinds, then any other registered one."""
    return [*PLANNED_KINDS, *(k for k in _registry if k not in PLANNED_KINDS)]


def registered() -> list[Importer]:
    return [_registry[k] for k in all_kinds() if k in _registry]


def label_of(kind: str) -> str:
    if kind in _registry and _registry[kind].label:
        return str(_registry[kind].label)
    return str(PLANNED_KINDS.get(kind, kind))


# --- running an import ------------------------------------------------------------


@dataclass
class ImportOutcome:
    result: ParseResult
    summary: CommitSummary | None = None

    @property
    def committed(self) -> bool:
        return self.summary is not None

    @property
    def errors(self) -> list[RowError]:
        return self.result.errors


def clean_options(
    importer: Importer, data: Mapping[str, Any] | None, *, actor: Any
) -> tuple[dict[str, Any], list[RowError]]:
    """Validate the importer's options (if it has any) → (cleaned options, errors)."""
    form = importer.options_form(data or {}, actor=actor)
    if form is None:
        return {}, []
    if form.is_valid():
        return dict(form.cleaned_data), []
    errors = [
        RowError(
            0, FILE_COLUMN, f"{form.fields[name].label if name in form.fields else ''} {m}".strip()
        )
        for name, messages in form.errors.items()
        for m in messages
    ]
    return {}, errors


def dry_run(
    importer: Importer,
    file: IO[bytes],
    *,
    actor: Any,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read and check; nothing is written. For an importer that rehearses its commit,
    the well-formed rows are also committed inside a transaction that is always
    rolled back, and whatever the services refuse is reported."""
    options = options or {}
    if not importer.dry_run_rehearses_commit:
        return ImportOutcome(importer.parse(file, actor=actor, options=options, progress=progress))
    result = importer.read(file, actor=actor, options=options, progress=progress)
    if not result.rows:
        return ImportOutcome(result)
    try:
        with transaction.atomic(durable=True):
            importer.check(result, actor=actor, options=options)
            bad = set(result.bad_rows)
            good = [r for r in result.rows if r.number not in bad]
            rehearsal = (
                None
                if progress is None
                else lambda _stage, done, total: progress("check", done, total)
            )
            try:
                importer.commit(good, actor=actor, options=options, progress=rehearsal)
            except RowsRejected as rejected:
                result.errors.extend(rejected.errors)
            except ValidationError as error:
                result.errors.extend(RowError(0, FILE_COLUMN, m) for m in error.messages)
            raise _Rehearsed
    except _Rehearsed:
        pass
    except IntegrityError:
        result.errors.append(RowError(0, FILE_COLUMN, _changed_meanwhile()))
    result.sort()
    return ImportOutcome(result)


class _Rehearsed(Exception):
    """Leaves the rehearsal's transaction, rolling it back."""


def _changed_meanwhile() -> str:
    return _(
        "The records changed while the file was being imported; nothing was "
        "imported. Please try again."
    )


def import_file(
    importer: Importer,
    file: IO[bytes],
    *,
    actor: Any,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """All or nothing: the file is read outside the transaction; the checks and every
    write run inside one ``atomic(durable=True)`` block, so the checks see what the
    writes will see, and any problem leaves the database as it was."""
    options = options or {}
    result = importer.read(file, actor=actor, options=options, progress=progress)
    if not result.ok:
        return ImportOutcome(result)
    try:
        with transaction.atomic(durable=True):
            importer.check(result, actor=actor, options=options)
            if result.errors:
                result.sort()
                raise RowsRejected(result.errors)
            summary = importer.commit(result.rows, actor=actor, options=options, progress=progress)
    except RowsRejected as rejected:
        result.errors = list(rejected.errors)
        result.sort()
        return ImportOutcome(result)
    except ValidationError as error:
        result.errors = [RowError(0, FILE_COLUMN, m) for m in error.messages]
        return ImportOutcome(result)
    except IntegrityError:
        result.errors = [RowError(0, FILE_COLUMN, _changed_meanwhile())]
        return ImportOutcome(result)
    return ImportOutcome(result, summary)
