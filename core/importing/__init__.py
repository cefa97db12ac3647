"""Spreadsheet imports people can trust (DESIGN §7), without knowing any domain.

An *import kind* (``organisations``, ``experts``, ``bank_statement`` …) is an
:class:`Importer` registered under its name with :func:`register`, from the owning
app's ``AppConfig.ready()``. It declares

* ``permission`` — the permission string a web user needs (``user.has_perm``);
* ``columns`` — :class:`Column` specs: code name, Chinese header, cell parser, required;
* ``example`` — the example row(s) of the downloadable template;
* ``check(rows, actor=, options=)`` — the checks that need the database or several
  rows (scope, existing records), adding :class:`RowError` s;
* ``commit(rows, actor=, options=)`` — the writes: service calls, inside the one
  transaction that :func:`import_file` opens.

The life of a file, the same on the web and from ``manage.py import_xlsx``:

1. :meth:`Importer.read` maps the header row (Chinese headers or the code names,
   stray spaces, full-width characters, traditional characters) and parses every
   cell; every problem becomes a :class:`RowError` with the row number Excel shows,
   the column's header and a reason (translated, Chinese by default).
2. :meth:`Importer.check` looks at the well-formed rows as a whole.
3. :func:`dry_run` stops there. :func:`import_file` reads outside any transaction,
   then, inside one ``atomic(durable=True)`` block, checks again and commits — all
   or nothing: any row error, any ``ValidationError`` or ``IntegrityError`` raised
   by a service rolls everything back and comes back as errors, never as a 500.

Cells are parsed by small factories (:func:`text`, :func:`date`, :func:`money`,
:func:`choice`, :func:`identifier`, :func:`number`, :func:`email`, :func:`phone`);
a parser takes a non-blank cell value and returns the parsed value or raises
:class:`CellError` with the reason. Money is integer fen through ``core.money``;
Excel's binary numbers are read through their shortest decimal ``repr`` and then
must be exact to the fen — no float arithmetic, no rounding.
"""

from __future__ import annotations

from .base import (
    FILE_COLUMN,
    PLANNED_KINDS,
    Parser,
    Progress,
    T,
)
from .cells import (
    CellError,
    NotAvailable,
    RowError,
    RowsRejected,
    cell_text,
    choice,
    compact,
    date,
    email,
    identifier,
    is_blank,
    money,
    name_key,
    name_keys,
    number,
    parse_date,
    parse_fen,
    phone,
    text,
    to_simplified,
    to_traditional,
)
from .importer import (
    Column,
    CommitSummary,
    Importer,
    ParseResult,
    Row,
    chunked,
)
from .running import (
    ImportOutcome,
    _registry,
    all_kinds,
    clean_options,
    dry_run,
    get_importer,
    import_file,
    label_of,
    register,
    registered,
    unregister,
)

__all__ = [
    "FILE_COLUMN",
    "PLANNED_KINDS",
    "CellError",
    "Column",
    "CommitSummary",
    "ImportOutcome",
    "Importer",
    "NotAvailable",
    "ParseResult",
    "Parser",
    "Progress",
    "Row",
    "RowError",
    "RowsRejected",
    "T",
    "_registry",
    "all_kinds",
    "cell_text",
    "choice",
    "chunked",
    "clean_options",
    "compact",
    "date",
    "dry_run",
    "email",
    "get_importer",
    "identifier",
    "import_file",
    "is_blank",
    "label_of",
    "money",
    "name_key",
    "name_keys",
    "number",
    "parse_date",
    "parse_fen",
    "phone",
    "register",
    "registered",
    "text",
    "to_simplified",
    "to_traditional",
    "unregister",
]
