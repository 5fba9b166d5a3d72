"""The WhatsApp side of delivery: sends what the outbox holds through pywa, as the parts
``render`` makes of it, or as its template outside the 24-hour window; and turns the Cloud API's
errors into the sender's kinds (wait, retry, give up, wait for the person, wait for a template)."""

from __future__ import annotations

import logging
from typing import Any

from pywa import errors as wa_errors
from pywa.types.callback import Button as WaButton
from pywa.types.callback import Section, SectionList, SectionRow, URLButton
from pywa.types.templates import BaseParams, BodyText, QuickReplyButton, TemplateLanguage
from pywa_async.client import WhatsApp
from pywa_async.types.sent_update import SentMessage

from bot.chat.channel import (
    ChannelLimits,
    Delivery,
    PermanentFailure,
    RetryLater,
    ShortFormMissing,
    TemporaryFailure,
    WaitForPerson,
)
from bot.chat.messages import OutMessage
from handlers.whatsapp.render import (
    MAX_BODY,
    ButtonsPart,
    FilePart,
    LinkPart,
    ListPart,
    Part,
    TextPart,
    parts,
    template,
)

log = logging.getLogger(__name__)

WHATSAPP = "whatsapp"
WINDOW_HOURS = 24
# Cloud API error codes the sender acts on.
RE_ENGAGEMENT = 131047
PAIR_RATE = 131056
THROUGHPUT = 130429
SPAM_RATE = 131048
TEMPLATE_CODES = frozenset({132000, 132001, 132005, 132007, 132012, 132015, 132016})


def whatsapp_limits(pair_interval: float, per_second: int) -> ChannelLimits:
    """What WhatsApp carries: reply buttons of 20 characters, lists of 10 rows (a row's
    description holds 72), no edits, no typed-reply prompt, no toasts, no command menu, and the
    24-hour window; its pacing from the settings."""
    return ChannelLimits(
        text_length=4096,
        caption_length=MAX_BODY,
        buttons_per_message=3,
        button_label_length=72,
        menu_rows=10,
        can_edit=False,
        reply_prompt=False,
        url_buttons=True,
        groups=False,
        toasts=False,
        command_menu=False,
        window_hours=WINDOW_HOURS,
        pair_interval=pair_interval,
        per_second=per_second,
    )


class WhatsAppChannel:
    name = WHATSAPP

    def __init__(self, wa: WhatsApp, limits: ChannelLimits) -> None:
        self.wa = wa
        self.limits = limits

    async def send(self, chat_id: str, message: OutMessage, delivery: Delivery) -> str:
        if not delivery.window_open or delivery.short_form_only:
            return await self._send_short_form(chat_id, message)
        try:
            ref = ""
            for part in parts(message):
                ref = await self._send_part(chat_id, part)
            return ref
        except wa_errors.ReEngagementMessage:
            return await self._send_short_form(chat_id, message)
        except wa_errors.WhatsAppError as exc:
            raise classify(exc) from exc

    async def _send_short_form(self, chat_id: str, message: OutMessage) -> str:
        if message.short_form is None:
            raise WaitForPerson("outside WhatsApp's 24-hour window; waits for the person to write")
        send = template(message.short_form)
        params: list[BaseParams] = []
        if send.params:
            body: Any = BodyText  # pywa's params() is called on the class with the values
            params.append(body.params(*send.params))
        params += [
            QuickReplyButton.params(callback_data=token, index=i)
            for i, token in enumerate(send.payloads)
        ]
        try:
            sent = await self.wa.send_template(
                to=chat_id, name=send.name, language=TemplateLanguage(send.language), params=params
            )
        except wa_errors.WhatsAppError as exc:
            if exc.code in TEMPLATE_CODES:
                raise ShortFormMissing(message.short_form.name, _detail(exc)) from exc
            raise classify(exc) from exc
        return str(sent.id)

    async def _send_part(self, chat_id: str, part: Part) -> str:
        match part:
            case TextPart():
                sent = await self.wa.send_message(to=chat_id, text=part.body)
            case ButtonsPart():
                sent = await self.wa.send_message(
                    to=chat_id,
                    text=part.body,
                    buttons=[WaButton(title=t, callback_data=token) for token, t in part.buttons],
                )
            case ListPart():
                rows = [
                    SectionRow(title=title, callback_data=token, description=description)
                    for token, title, description in part.rows
                ]
                sent = await self.wa.send_message(
                    to=chat_id,
                    text=part.body,
                    buttons=SectionList(
                        button_title=part.button, sections=[Section(title=part.button, rows=rows)]
                    ),
                )
            case LinkPart():
                sent = await self.wa.send_message(
                    to=chat_id, text=part.body, buttons=URLButton(title=part.label, url=part.url)
                )
            case FilePart():
                sent = await self._send_file(chat_id, part)
        return str(sent.id)

    async def _send_file(self, chat_id: str, part: FilePart) -> SentMessage:
        if part.data is None:
            raise PermanentFailure("a file without its bytes cannot go to WhatsApp")
        if part.photo:
            return await self.wa.send_image(
                to=chat_id, image=part.data, caption=part.caption, mime_type=part.mime_type
            )
        return await self.wa.send_document(
            to=chat_id,
            document=part.data,
            filename=part.name,
            caption=part.caption,
            mime_type=part.mime_type or "application/octet-stream",
        )

    async def edit(self, chat_id: str, message_ref: str, message: OutMessage) -> None:
        """WhatsApp cannot edit what it sent: the confirmation of an action is its own message,
        and an old button is refused by its token when pressed."""

    async def fetch(self, ref: str) -> bytes:
        """The bytes of a media id WhatsApp holds (valid for days; its URL for minutes)."""
        try:
            url = await self.wa.get_media_url(ref)
            return await self.wa.get_media_bytes(url.url)
        except wa_errors.WhatsAppError as exc:
            raise classify(exc) from exc


# The number cannot get messages at all (not on WhatsApp, or an app too old to receive them).
UNREACHABLE = frozenset({131026})


def _detail(exc: wa_errors.WhatsAppError) -> str:
    return f"{exc.code}: {exc.message}"


def classify(exc: wa_errors.WhatsAppError) -> Exception:
    """The Cloud API's error as the sender acts on it."""
    code = exc.code
    if code in (PAIR_RATE, THROUGHPUT, SPAM_RATE) or isinstance(exc, wa_errors.ThrottlingError):
        return RetryLater(6.0 if code == PAIR_RATE else 1.0, _detail(exc))
    if code == RE_ENGAGEMENT:
        return WaitForPerson(_detail(exc))
    if isinstance(exc, wa_errors.AuthorizationError | wa_errors.IntegrityError):
        return PermanentFailure(_detail(exc), unreachable=code in UNREACHABLE)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return TemporaryFailure(_detail(exc))
    if isinstance(exc, wa_errors.ServiceUnavailable | wa_errors.UnknownError):
        return TemporaryFailure(_detail(exc))
    return PermanentFailure(_detail(exc), unreachable=code in UNREACHABLE)
