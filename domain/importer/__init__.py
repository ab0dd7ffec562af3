"""Bulk import from an external system: CSV and JSON Lines, upserted by (source, external_id).

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
- Bad rows are reported (line, column, reason) while good rows load. `all_or_nothing` runs the
  file in one transaction and rolls everything back if any row failed (`refused`).
- Each batch commits in one transaction: a crash leaves whole batches, a re-run finishes.
- Unknown columns are row problems (`custom.<name>` columns are customers' custom fields).
- Loans keep their schedule unless their terms (or a JSON Lines `schedule`) change; the terms
  of a loan with payments cannot change (its schedule then belongs to lendgraph).
- Payments are posted by domain.loan.service.post_payment; posted payments never change.
"""

from domain.importer.engine import import_file, import_stream
from domain.importer.model import ImportFormat, ImportKind, ImportReport, RowProblem
from domain.importer.reader import detect_format, read_rows

__all__ = [
    "ImportFormat",
    "ImportKind",
    "ImportReport",
    "RowProblem",
    "detect_format",
    "import_file",
    "import_stream",
    "read_rows",
]
