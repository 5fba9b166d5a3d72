"""Logging set-up. Secrets (the bot token, the webhook secret) never reach a log line: a filter on
every handler replaces them, whatever logger or library wrote the line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN_SHAPE = re.compile(r"\b\d{3,15}:[A-Za-z0-9_-]{30,}\b")


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[RAHASIA]")
        return _TOKEN_SHAPE.sub("[RAHASIA]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.clean(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


def formatter() -> logging.Formatter:
    """Log lines stamped with their time and its zone (the server's; offices may be in others)."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    return logging.Formatter(fmt, datefmt="%Y-%m-%dT%H:%M:%S%z")


def setup_logging(level: str, secrets: Iterable[str] = ()) -> Redact:
    redact = Redact(secrets)
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter())
        root.addHandler(stream)
    for handler in root.handlers:
        handler.addFilter(redact)
    # httpx logs every request URL at INFO, and the Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Libraries' routine lines (every webhook request, every update handled) are not the bot's.
    for name in ("tornado.access", "pywa", "pywa_async", "fontTools", "matplotlib", "PIL"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return redact
