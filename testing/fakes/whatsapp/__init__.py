"""A local fake of the WhatsApp Business Cloud API for tests, the demo and benchmarks.

The bot (pywa) talks to it over HTTP on 127.0.0.1 through a transport that rewrites
https://graph.facebook.com to the fake; the fake signs and POSTs webhooks to the bot the way
Meta does, and tests drive simulated people and read what the bot sent them. What it knowingly
does differently from Meta is listed in `fakes.whatsapp.server`.
"""

from fakes.whatsapp.client import (
    FakeWaMedia,
    FakeWaMessage,
    FakeWaUser,
    ListRow,
    Mark,
    TemplateRef,
    UrlButton,
)
from fakes.whatsapp.errors import GraphError, StatusError
from fakes.whatsapp.server import (
    ApiCall,
    FakeWhatsAppApi,
    Faults,
    Limits,
    PersonState,
    StoredMedia,
)
from fakes.whatsapp.templates import StoredTemplate
from fakes.whatsapp.webhooks import WebhookAttempt, WebhookEvent, encode_body, sign

__all__ = [
    "ApiCall",
    "FakeWaMedia",
    "FakeWaMessage",
    "FakeWaUser",
    "FakeWhatsAppApi",
    "Faults",
    "GraphError",
    "Limits",
    "ListRow",
    "Mark",
    "PersonState",
    "StatusError",
    "StoredMedia",
    "StoredTemplate",
    "TemplateRef",
    "UrlButton",
    "WebhookAttempt",
    "WebhookEvent",
    "encode_body",
    "sign",
]
