"""docs/engine-families.md lists every registered family, as the registry has it: id, module, topics."""

from __future__ import annotations

from pathlib import Path

from engine import all_families

DOC = Path(__file__).resolve().parents[2] / "docs" / "engine-families.md"


def _table_rows() -> dict[str, tuple[str, str]]:
    """``{id: (module, topics)}`` from the doc's family table (rows under the ``| id | module |`` header)."""
    rows: dict[str, tuple[str, str]] = {}
    in_table = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| id | module |"):
            in_table = True
            continue
        if not in_table or line.startswith("|---"):
            continue
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] not in rows, f"{cells[0]} listed twice"
        rows[cells[0]] = (cells[1], cells[-1])
    return rows


def test_family_table_lists_exactly_the_registered_families():
    table = _table_rows()
    registry = {
        f.id: (type(f).__module__.removeprefix("engine.families.").split(".")[0], " ".join(f.topics))
        for f in all_families()
    }
    assert sorted(table) == sorted(registry)
    assert table == registry


def test_the_table_parser_reads_rows():
    # guards the test above against a header change that would make it compare two empty tables
    assert len(_table_rows()) >= 30
