"""The README's environment-variable table lists exactly the variables the code reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _read_vars() -> set[str]:
    names = set()
    for path in [ROOT / "dlquiz" / "settings.py", *ROOT.joinpath("engine").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(
            re.findall(
                r"""(?:env(?:str|bool|int)|required|os\.environ\.get|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""",
                text,
            )
        )
    return names


def test_every_environment_variable_is_in_the_readme_table():
    table = set(
        re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    )
    read = _read_vars()
    assert "DATABASE_URL" in read and "ENGINE_DEVICE" in read
    assert sorted(read - table) == []
    assert sorted(table - read - {"CI"}) == []
