"""Small numbers suppressed for publication: the annual report document's public version.

Every count below the threshold T (``settings.FOOTPRINT_SMALL_NUMBER_THRESHOLD``, the DO
disclosure's, default 5) is shown as "fewer than T", zero included (as in ``reports.disclosure``:
"none" tells as much as "one"). A figure worked out from counts (a median, a percentage, a
variance, a direction of travel) is "not shown" when a count it rests on is suppressed:

* in a column headed with one (``Median working days``, ``... (%)``, ``Variance``): when a count
  in the same row is suppressed;
* in a row labelled with one (``Median working days from raised to resolution``): when the
  count just above it in the same column is (the headline table puts each count above the
  figures worked out from it);
* a table may say which cells add up to which (``"totals": [(total column, [part columns])]``):
  a row with a single suppressed part and its total shown loses its smallest other part as well,
  so that the total minus the others cannot give it back (shown as "not shown": it may be large);
* and which count is part of which (``"complements": [(total column, part column)]``, deadlines
  due and those answered in time): the part is "not shown" when the rest is below T.

The Designated Officer section follows ``reports.disclosure`` (its own, stricter, rules for every
breakdown); this pass then finds nothing more to hide in it. Charts whose bars hold a count
below T are left out (their table carries the figures). Nothing here queries the database.
"""

from __future__ import annotations

import copy
import re

from .tables import Direction, Suppressed

DERIVED = re.compile(r"%|median|variance|direction", re.IGNORECASE)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def suppress_table(table: dict, threshold: int) -> dict:
    """A copy of ``table`` with its small counts and what rests on them suppressed."""
    fewer, not_shown = Suppressed(f"fewer than {threshold}"), Suppressed("not shown")
    out = copy.copy(table)
    derived_columns = {i for i, heading in enumerate(table["columns"]) if DERIVED.search(str(heading))}
    rows = [list(row) for row in table["rows"]]
    derived_rows = {r for r, row in enumerate(rows) if row and DERIVED.search(str(row[0]))}

    def derived(r, c):
        return c in derived_columns or r in derived_rows or isinstance(rows[r][c], Direction)

    hidden: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        for c, value in enumerate(row[1:], start=1):
            if not derived(r, c) and _is_count(value) and value < threshold:
                hidden.add((r, c))
    # Second cells, which may be large: "not shown" rather than "fewer than".
    second: set[tuple[int, int]] = set()
    for total, parts in table.get("totals", []):
        for r, row in enumerate(rows):
            lone = [c for c in parts if (r, c) in hidden]
            if len(lone) == 1 and (r, total) not in hidden:
                shown = [c for c in parts if (r, c) not in hidden and _is_count(row[c])]
                if shown:
                    second.add((r, min(shown, key=lambda c: row[c])))
    for total, part in table.get("complements", []):
        for r, row in enumerate(rows):
            if {(r, total), (r, part)} & hidden or not (_is_count(row[total]) and _is_count(row[part])):
                continue
            if row[total] - row[part] < threshold:  # the rest (not answered in time, say) is small
                second.add((r, part))
    for r, row in enumerate(rows):
        for c in range(1, len(row)):
            if (r, c) in hidden:
                row[c] = fewer
            elif (r, c) in second:
                row[c] = not_shown
            elif c in derived_columns or isinstance(row[c], Direction):
                if any((r, other) in hidden | second for other in range(1, len(row))):
                    row[c] = not_shown
            elif r in derived_rows:
                above = max((a for a in range(r) if a not in derived_rows), default=None)
                if above is None or (above, c) in hidden | second:
                    row[c] = not_shown
    out["rows"] = rows
    out["charts"] = [chart for chart in table.get("charts", [])
                     if all((value or 0) >= threshold for _, value in chart["bars"])]
    out["charts_left_out"] = len(table.get("charts", [])) - len(out["charts"])
    return out


def suppress_tables(tables: list[dict], threshold: int) -> list[dict]:
    return [suppress_table(table, threshold) for table in tables]
