"""Bulk import from an external system: CSV, JSON Lines or an .xlsx sheet, upserted by
(source, external_id).

Rules:
- Every row names its origin with `source` and `external_id`. Customers are matched through
  CustomerExternalRef, the other kinds through their own `source`/`external_id` columns.
- Importing the same file again writes nothing (every row `unchanged`); a changed row updates.
- References (`customer_external_id`, `loan_external_id`, user names, product and campaign
  codes) are resolved in bulk per batch; `customer_source`/`loan_source` default to the row's
  source. A key repeated in a file applies on top of the earlier row.
- An empty CSV cell or JSON null is an empty value (it clears an optional attribute). A column
  left out of the file (or a key left out of a JSON object) leaves the stored value as it is
  for customers and for a loan's `status` and `collector`; for the other kinds a row is the
  whole record, and what it leaves out is empty.
- The header is judged once, before any row is applied (JSON Lines keys in a first pass): a
  column map (`ImportOptions.column_map`) renames the other system's columns to ours; columns
  the kind does not know refuse the file with one problem naming them, at the header's line,
  unless `ignore_unknown_columns` leaves them out (`custom.<name>` columns are customers'
  custom fields).
- Text is read as Chinese data entry types it (`normalise`): NFKC (full-width digits, letters,
  the ideographic space), trimmed; phones without separators or a mainland +86; amounts with
  thousands separators, always Decimal; dates 2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日 or
  a declared format. Files are UTF-8 (BOM or not) or GB18030, detected or declared.
- Bad rows are reported (line, column, reason, code) while good rows load. `all_or_nothing`
  runs the file in one transaction and rolls everything back if any row failed (`refused`).
- Each batch commits in one transaction: a crash leaves whole batches, a re-run finishes.
- Loans keep their schedule unless their terms (or a JSON Lines `schedule`) change; the terms
  of a loan with payments cannot change (its schedule then belongs to lendgraph).
- Payments are posted by domain.loan.service.post_payment; posted payments never change.
"""

from domain.importer.engine import columns_of, import_bytes, import_file, import_stream
from domain.importer.mapping import parse_pairs, read_map_file
from domain.importer.model import (
    ImportFormat,
    ImportKind,
    ImportOptions,
    ImportReport,
    ProblemCode,
    RowProblem,
)
from domain.importer.reader import detect_format

__all__ = [
    "ImportFormat",
    "ImportKind",
    "ImportOptions",
    "ImportReport",
    "ProblemCode",
    "RowProblem",
    "columns_of",
    "detect_format",
    "import_bytes",
    "import_file",
    "import_stream",
    "parse_pairs",
    "read_map_file",
]
