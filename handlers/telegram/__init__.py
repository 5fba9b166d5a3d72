"""Telegram, through python-telegram-bot: the front end that turns updates into the bot's events
(``frontend``), the channel that sends and edits messages (``channel``), and how a message is
rendered as HTML with inline keyboards (``render``)."""

from handlers.telegram.frontend import TelegramConfig, TelegramFrontend

__all__ = ["TelegramConfig", "TelegramFrontend"]
