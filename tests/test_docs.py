"""What a newcomer reads stays true: the example office files and the README show every key an office
file can hold, the commented-out examples are valid, and the project's reading of the SOP forms is
its own (docs/sop-reading.md) and agrees with the files' comments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.office.calendar import CalendarSettings
from bot.office.files import EXAMPLE_OFFICES, OfficeFile, PersonEntry, placeholders, validate_office
from bot.office.settings import ReminderSettings
from sop.loader import BUILTIN_DIR, load_catalog

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
READING = REPO / "docs" / "sop-reading.md"
EXAMPLES = sorted(EXAMPLE_OFFICES.glob("*.yaml"))
CATALOG = load_catalog()

KEYS = {
    *OfficeFile.model_fields,
    *PersonEntry.model_fields,
    *(k for k in CalendarSettings.model_fields if k != "timezone"),
    *ReminderSettings.model_fields,
}


def _uncommented(text: str) -> str:
    """The example with every commented-out key of an office file written in."""
    out = []
    for line in text.splitlines():
        found = re.match(r"^(\s*)# ?(\s*)([a-z_]+):(.*)$", line)
        if found and found[3] in KEYS:
            out.append(f"{found[1]}{found[2]}{found[3]}:{found[4]}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_key_of_an_office_file_is_shown_in_each_example(path: Path) -> None:
    text = path.read_text()
    for key in sorted(KEYS):
        assert re.search(rf"^\s*(# ?)?\s*(- )?{key}:", text, re.MULTILINE), (path.name, key)
    assert "sop/definitions/roles.yaml" in text  # where role keys come from
    assert f"sopbot office import bot/office/examples/{path.name}" in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_commented_out_examples_are_valid(path: Path) -> None:
    full = yaml.safe_load(_uncommented(path.read_text()))
    assert set(full) == set(OfficeFile.model_fields)
    office = validate_office(full, path.name, CATALOG)
    assert office.calendar
    assert set(office.reminders) == set(ReminderSettings.model_fields)
    assert any(p.whatsapp and p.preferred_channel for p in office.people)
    assert any(p.admin for p in office.people)
    assert placeholders(office) == office.people  # the commented number is a placeholder too


def test_the_readme_names_every_key_and_where_roles_come_from() -> None:
    for key in sorted(KEYS):
        assert f"`{key}`" in README, key
    assert "`sop/definitions/roles.yaml`" in README
    assert "sopbot demo --simpan data/demo.db" in README


def test_nothing_points_outside_the_repository() -> None:
    for path in [
        REPO / "README.md",
        *REPO.glob("docs/*.md"),
        *BUILTIN_DIR.glob("*.yaml"),
        *EXAMPLES,
        *REPO.glob("sop/*.py"),
        *REPO.glob("bot/**/*.py"),
    ]:
        assert "../shared" not in path.read_text(), path
    assert "(docs/sop-reading.md)" in README


def _inferred_lanes(path: Path) -> list[int]:
    """The steps whose pelaksana the file marks as inferred (inline, or in the comment above)."""
    steps: list[int] = []
    lines = path.read_text().splitlines()
    number = 0
    for i, line in enumerate(lines):
        found = re.match(r"^\s*- number: (\d+)", line)
        if found:
            number = int(found[1])
        if re.match(r"^\s*pelaksana:", line):
            above = []
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("#"):
                above.append(lines[j])
                j -= 1
            if "inferred" in (line + " ".join(above)).lower():
                steps.append(number)
    return steps


SECTIONS = {
    "A": "jambi-penurunan-jdih",
    "B": "jambi-pengunggahan-jdih",
    "C": "jambi-konten-medsos",
    "D": "kapuas-medsos-jdih",
}


@pytest.mark.parametrize(("letter", "code"), SECTIONS.items())
def test_the_reading_agrees_with_the_files(letter: str, code: str) -> None:
    text = READING.read_text()
    section = text.split(f"\n## {letter} — ", 1)[1].split("\n## ", 1)[0]
    defn = CATALOG.definitions[code]
    rows = {
        int(m[1]): m[2]
        for m in re.finditer(r"^\| (\d+) \|[^|]*\| ([^|]*) \|", section, re.MULTILINE)
    }
    assert sorted(rows) == [s.number for s in defn.steps]
    marked = sorted(n for n, lane in rows.items() if "*inferred*" in lane)
    assert marked == _inferred_lanes(BUILTIN_DIR / f"{code}.yaml")
    for lane in defn.lanes:
        assert f"`{lane}`" in section
    for step in defn.steps:
        if step.returns_to is not None:
            assert f"→ {step.returns_to}" in section
