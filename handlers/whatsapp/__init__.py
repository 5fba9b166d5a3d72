"""WhatsApp, through the Cloud API and pywa: the front end that serves the webhook and turns what
people send into the bot's events (``frontend``), the channel that sends (``channel``), how a
message is shaped within WhatsApp's rules (``render``), the templates the bot needs outside the
24-hour window (``templates``), and the address of the API (``transport``)."""

from handlers.whatsapp import templates
from handlers.whatsapp.frontend import WhatsAppFrontend

__all__ = ["WhatsAppFrontend", "templates"]
