"""Test doubles of the services sopbot talks to, for the tests, the benchmarks and ``sopbot demo``:
a local fake of the Telegram Bot API (``fakes.telegram``) served over real HTTP, and the demo that
plays an office against it. Not part of the product: installed from a checkout only."""
