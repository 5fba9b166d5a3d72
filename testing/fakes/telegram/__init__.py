"""A local fake of the Telegram Bot API for tests, the demo and benchmarks.

The real bot (python-telegram-bot) talks to it over HTTP on 127.0.0.1; tests drive simulated
people and groups and read what the bot sent them.
"""

from fakes.telegram.client import (
    Button,
    CallbackAnswer,
    FakeDocument,
    FakeGroup,
    FakeMessage,
    FakePhoto,
    FakeUser,
    Mark,
    MessageVersion,
)
from fakes.telegram.server import (
    ApiCall,
    ApiError,
    FakeBotApi,
    Faults,
    Limits,
    parse_html,
    render_html,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "CallbackAnswer",
    "FakeBotApi",
    "FakeDocument",
    "FakeGroup",
    "FakeMessage",
    "FakePhoto",
    "FakeUser",
    "Faults",
    "Limits",
    "Mark",
    "MessageVersion",
    "parse_html",
    "render_html",
]
