"""Channel-neutral messages rendered for Telegram: HTML text, inline keyboards, reply prompts."""

from __future__ import annotations

import html

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.messages import OutMessage, Rich

CAPTION_LIMIT = 1024


def to_html(text: Rich) -> str:
    parts = []
    for span in text.spans:
        body = html.escape(span.text, quote=False)
        if span.url:
            parts.append(f'<a href="{html.escape(span.url, quote=True)}">{body}</a>')
        elif span.style == "b":
            parts.append(f"<b>{body}</b>")
        elif span.style == "i":
            parts.append(f"<i>{body}</i>")
        elif span.style == "code":
            parts.append(f"<code>{body}</code>")
        else:
            parts.append(body)
    return "".join(parts) or "…"


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    rows = []
    for row in message.buttons:
        buttons = []
        for b in row:
            if b.url:
                buttons.append(InlineKeyboardButton(b.label, url=b.url))
            elif b.token:
                buttons.append(InlineKeyboardButton(b.label, callback_data=b.token))
        if buttons:
            rows.append(buttons)
    return InlineKeyboardMarkup(rows) if rows else None


def reply_markup(message: OutMessage) -> InlineKeyboardMarkup | ForceReply | None:
    """Buttons when there are any; otherwise a request for a typed reply when one is wanted."""
    markup = keyboard(message)
    if markup is None and message.reply_prompt is not None:
        return ForceReply(selective=True, input_field_placeholder=message.reply_prompt[:64])
    return markup
