"""Read the first worksheet of an XLSX file as rows of text, in bounded memory and time.

An XLSX file is a zip of XML parts. The reader opens only the parts it needs (the package
and workbook relationships, the workbook, the styles, the shared strings and the first
worksheet) and streams each through expat, a chunk at a time (``archive``): the zip's central
directory is checked before ``zipfile`` reads it; every part is decompressed in 64 KiB
blocks, counting the bytes actually produced, up to a limit per part; XML with a document
type declaration, an entity declaration or an external reference is refused; nesting,
element count and text per cell are bounded. Shared strings live in a temporary file
(``workbook``); the sheet's rows are read one at a time (``sheet``).

Cell values follow what openpyxl's read-only mode returned (docs/import-format.md): formulas
as their text, dates as ISO dates, numbers without a trailing ``.0``, inline and shared
strings, booleans as ``True``/``False``. Limits: docs/import-format.md, decision 0021.
"""

from issuer.campaigns.xlsx.archive import MAX_CELL_CHARS, MAX_COLUMNS
from issuer.campaigns.xlsx.sheet import read_xlsx_rows

__all__ = ["MAX_CELL_CHARS", "MAX_COLUMNS", "read_xlsx_rows"]
