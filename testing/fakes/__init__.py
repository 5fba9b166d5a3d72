"""Test doubles of the services sopbot talks to, for the tests, the benchmarks and ``sopbot demo``:
a local fake of the Telegram Bot API (``fakes.telegram``) and one of the WhatsApp Business Cloud
API (``fakes.whatsapp``: ``FakeWhatsAppApi``, its people ``FakeWaUser`` and their
``FakeWaMessage``s, ``Limits``, ``Faults``), both served over real HTTP on what they share
(``fakes.common``: the local server, ``Mark`` and waiting, faults, webhook delivery), and the demo
that plays an office against a fake. Not part of the product: installed from a checkout only."""
