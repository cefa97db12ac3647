"""Hostile .xlsx files refused before any cell is read (issue 12, item 7).

An .xlsx is a zip of XML parts. A 150 KB upload can unpack to a row of five million
cells, a cell of 400 MB, a sheet that says it has a million rows, or a zip member that
inflates to gigabytes; openpyxl — even in read-only mode — builds a whole row, a whole
shared string and every shared string before it hands back the first value. So
:func:`inspect` reads every part of the zip once, as a stream, before openpyxl opens
the file, and refuses the file with a message a person understands (what is too big,
and the limit) as soon as one of :class:`Limits` is passed:

* the file itself, the number of zip members (from the end-of-central-directory record,
  before :mod:`zipfile` builds one object per member), the declared *and the real*
  unpacked size of each member (inflating stops at the cap) and of all of them;
* no DOCTYPE (entity expansion) and no text or tag longer than ``markup_bytes``;
* in a worksheet: the declared dimension, the number of rows and the row numbers, the
  cells of one row and their column letters, the XML elements of one row; in the
  shared strings: how many there are and the elements of one; in the whole workbook:
  the filled cells and the XML elements.
* Every part other than the worksheets and the shared strings — the ones openpyxl
  parses into a tree at once (content types, relationships, workbook, styles,
  properties, anything a chart sheet points at) — is small: ``other_part_bytes``,
  ``other_elements``. Which part is a worksheet or the shared strings is decided the
  way openpyxl decides it (the workbook's relationships, the content types), and a part
  with any second role is held to the small budget.

The scan works on bytes with C-speed searches (``bytes.count``, compiled regular
expressions): a few hundred milliseconds for a sheet of a million cells. Its counts
are upper bounds of what an XML parser sees (a ``<`` inside a comment counts as an
element), so a file is never let through by a count that is too low. The reader then
reads the sheet in openpyxl's read-only (streaming) mode, never wider than
``columns`` + 1.

The numbers and why they are what they are: docs/decisions.md, "Hostile files".
"""

from .common import Limits, Refused, damaged, not_a_workbook
from .workbook import Inspection, inspect

__all__ = ["Inspection", "Limits", "Refused", "damaged", "inspect", "not_a_workbook"]
