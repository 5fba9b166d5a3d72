"""What starting the bot and `sopbot --help` import: the libraries that make files load only when
a file is made, WhatsApp's only where it is enabled, and the command line's help loads no more than
its parser. Checked by the modules a fresh interpreter holds, not by timing anything (the times are
`python -m bench startup`'s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DOCUMENT_LIBRARIES = frozenset({"matplotlib", "fpdf", "fontTools", "numpy", "openpyxl", "PIL"})
"""Half of the start's time and memory before they were imported only where a file is made."""
WHATSAPP_LIBRARIES = frozenset({"pywa", "pywa_async"})
BOT_LIBRARIES = frozenset(
    {"telegram", "tornado", "httpx", "pydantic", "pydantic_settings", "holidays", "yaml"}
)
"""What running the bot needs and `sopbot --help` does not."""


def _imported(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    script = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter and the test's own code
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_bot_imports_no_document_library_until_it_makes_a_file() -> None:
    imported = _imported(
        "import bot.app, bot.cli.main, handlers.telegram, handlers.whatsapp\n"
        "import bot.documents.archive, bot.documents.charts, bot.documents.exports\n"
        "import bot.documents.files, bot.documents.flowchart, bot.documents.reports\n"
        "import bot.cli.reports, bot.chat.flows.reports"
    )
    assert imported & DOCUMENT_LIBRARIES == set()
    assert {"telegram", "pywa"} <= imported  # the channels themselves are imported


def test_a_telegram_bot_imports_no_whatsapp_library() -> None:
    imported = _imported("import bot.app")
    assert imported & (DOCUMENT_LIBRARIES | WHATSAPP_LIBRARIES) == set()
    assert "telegram" in imported


def test_help_imports_only_the_parser() -> None:
    imported = _imported(
        "from bot.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert imported & (DOCUMENT_LIBRARIES | WHATSAPP_LIBRARIES | BOT_LIBRARIES) == set()
    assert {"sop", "storage", "handlers"} & imported == set()


def test_the_archive_prints_with_matplotlibs_fonts_without_importing_it() -> None:
    import matplotlib

    from bot.documents.archive import font_dir

    assert font_dir() == Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    assert (font_dir() / "DejaVuSans.ttf").is_file()
