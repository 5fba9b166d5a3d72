"""The bot's log lines: their time carries its zone, secrets never show, libraries' routine lines
stay out."""

from __future__ import annotations

import logging
import re

from bot.logs import Redact, formatter, setup_logging


def test_a_log_line_carries_its_time_with_its_zone() -> None:
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, "pesan", None, None)
    line = formatter().format(record)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} WARNING bot: pesan$", line), line


def test_secrets_are_replaced_and_library_chatter_is_quiet() -> None:
    redact = setup_logging("INFO", ["rahasia-sekali"])
    try:
        record = logging.LogRecord(
            "x", logging.INFO, __file__, 1, "token %s", ("rahasia-sekali",), None
        )
        redact.filter(record)
        assert record.getMessage() == "token [RAHASIA]"
        assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("matplotlib").getEffectiveLevel() == logging.WARNING
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(redact)
        assert isinstance(redact, Redact)
