"""The chat channels, one folder each: everything that knows Telegram (``handlers/telegram``) or
WhatsApp. A channel turns its updates into ``bot.chat.events`` and delivers ``bot.chat.messages``
through the port in ``bot.chat.channel``; ``bot.app`` alone wires the channels in."""
