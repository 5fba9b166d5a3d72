"""How a person is named on each channel: a Telegram user id, a WhatsApp number."""

from __future__ import annotations

import re


def whatsapp_number(text: str) -> str:
    """A WhatsApp number in international form, digits only: 6281234567890 (a leading +, 0 for
    Indonesia's 62, spaces and dashes are taken); ValueError otherwise."""
    digits = re.sub(r"[\s().+-]", "", text.strip())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not re.fullmatch(r"[1-9][0-9]{7,14}", digits):
        raise ValueError(
            f"nomor WhatsApp {text!r} tidak valid; tulis dalam format internasional, "
            "misalnya 6281234567890"
        )
    return digits
