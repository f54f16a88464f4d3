"""A guard on ``CardState.changed_at``: ``sync/changes`` sends a device the card states whose ``changed_at``
is in its window, so every write of a field a device keeps must stamp it. Writes are spread over many apps
(the review's prepared SQL, sync, undo, suspend/bury, siblings, rescheduling, the Anki and review-log imports)
and a new one that forgets the stamp leaves devices silently stale. This reads every module of ``dlquiz``
and fails on a write of a device-visible field without ``changed_at``:

- ``CardState.objects....update(...)`` and ``bulk_update(...)``;
- ``<obj>.save(update_fields=[...])`` naming a device-visible field;
- raw SQL ``UPDATE`` statements (f-strings) on CardState's table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dlquiz.study.scheduling import MEMORY_FIELDS

ROOT = Path(__file__).resolve().parents[3]
#: The fields a device keeps (``sync/apis.py``'s state: the memory fields, suspended, buried, leech).
VISIBLE = {*MEMORY_FIELDS, "suspended", "leech", "buried_until"}
#: Writes that need no stamp of their own, with the reason.
EXEMPT = {
    # review_submit: the leech flags, in the same transaction right after review_write stamped the row
    ("dlquiz/study/services.py", frozenset({"leech", "suspended"})),
}


def _fields_of(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _tables(fn: ast.AST) -> dict[str, str]:
    """Names assigned in a function -> the source of what they were assigned (tuple assignments split)."""
    out: dict[str, str] = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign):
            for target in n.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = ast.unparse(n.value)
                elif isinstance(target, ast.Tuple) and isinstance(n.value, ast.Tuple):
                    for t, v in zip(target.elts, n.value.elts, strict=False):
                        if isinstance(t, ast.Name):
                            out[t.id] = ast.unparse(v)
    return out


def writes_without_stamp(source: str, path: str) -> tuple[list[str], int]:
    """(the writes of ``source`` that change a device-visible CardState field without ``changed_at``,
    the number of CardState writes seen)."""
    tree = ast.parse(source)
    bad: list[str] = []
    seen = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = ast.unparse(node.func.value)
        name = node.func.attr
        where = f"{path}:{node.lineno}"
        if name == "update" and receiver.startswith("CardState.objects"):
            seen += 1
            fields = {k.arg for k in node.keywords if k.arg}
            if "changed_at" not in fields and fields & VISIBLE and (path, frozenset(fields)) not in EXEMPT:
                bad.append(f"{where}: CardState update of {sorted(fields)}")
        elif name == "bulk_update" and receiver.startswith("CardState.objects"):
            seen += 1
            fields = _fields_of(node.args[1]) if len(node.args) > 1 else set()
            if "changed_at" not in fields:
                bad.append(f"{where}: CardState bulk_update of {sorted(fields)}")
        elif name == "save":
            for k in node.keywords:
                if k.arg == "update_fields":
                    fields = _fields_of(k.value)
                    if fields & (VISIBLE | {"changed_at"}):
                        seen += 1
                        if "changed_at" not in fields:
                            bad.append(f"{where}: save of {sorted(fields)}")
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names = _tables(fn)
        for s in ast.walk(fn):
            if not isinstance(s, ast.JoinedStr) or not s.values:
                continue
            head = s.values[0]
            if not (isinstance(head, ast.Constant) and str(head.value).lstrip().upper().startswith("UPDATE")):
                continue
            table = ast.unparse(s.values[1]) if len(s.values) > 1 else ""
            if isinstance(s.values[1], ast.FormattedValue) and isinstance(s.values[1].value, ast.Name):
                table = names.get(s.values[1].value.id, table)
            if "CardState" not in table:
                continue
            seen += 1
            if "changed_at" not in ast.unparse(s):
                bad.append(f"{path}:{s.lineno}: raw UPDATE of CardState without changed_at")
    return bad, seen


def test_every_write_of_a_card_state_stamps_changed_at():
    bad: list[str] = []
    writers: set[str] = set()
    for file in sorted((ROOT / "dlquiz").rglob("*.py")):
        if "migrations" in file.parts:
            continue
        path = file.relative_to(ROOT).as_posix()
        b, n = writes_without_stamp(file.read_text(encoding="utf-8"), path)
        bad += b
        if n:
            writers.add(path)
    assert bad == []
    # the scan finds the known writers: the review's SQL, sync, undo and the card actions, siblings,
    # rescheduling, the Anki import
    assert writers >= {
        "dlquiz/study/review_sql.py",
        "dlquiz/sync/services.py",
        "dlquiz/study/services.py",
        "dlquiz/study/siblings.py",
        "dlquiz/scheduler/services.py",
        "dlquiz/interop/services.py",
    }


@pytest.mark.parametrize(
    "source",
    [
        "def f(q):\n    CardState.objects.filter(pk=1).update(suspended=True)\n",
        "def f(cs):\n    cs.save(update_fields=['buried_until'])\n",
        "def f(rows):\n    CardState.objects.bulk_update(rows, ['due', 'stability'])\n",
        "def f(qn):\n    cs = qn(CardState._meta.db_table)\n    sql = f'UPDATE {cs} SET {qn(\"due\")} = %s'\n",
        "def f(qn):\n    sql = f'UPDATE {qn(CardState._meta.db_table)} SET due = %s'\n",
    ],
)
def test_the_guard_finds_a_write_that_forgets_the_stamp(source: str):
    bad, seen = writes_without_stamp(source, "x.py")
    assert seen == 1 and len(bad) == 1


@pytest.mark.parametrize(
    "source",
    [
        "def f(now):\n    CardState.objects.filter(pk=1).update(suspended=True, changed_at=now)\n",
        "def f(cs):\n    cs.save(update_fields=['buried_until', 'changed_at'])\n",
        "def f():\n    CardState.objects.filter(pk=1).update(new_order=3)\n",  # not kept by devices
        "def f(qn):\n    log = qn(ReviewLog._meta.db_table)\n    sql = f'UPDATE {log} SET a = %s'\n",
    ],
)
def test_the_guard_lets_stamped_and_invisible_writes_pass(source: str):
    assert writes_without_stamp(source, "x.py")[0] == []
