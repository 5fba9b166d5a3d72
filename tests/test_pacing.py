"""The pacer's decisions on a clock the test moves: a chat's messages a second apart, 30 a sliding
second from the bot, 20 a minute into a group, a refusal holding back only its own chat, a person
answering not made to wait the pair interval, and the chat served least recently going first."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace

from bot.chat.channel import ChannelLimits
from bot.chat.pacing import Pacer, Ticket
from handlers.telegram.channel import TELEGRAM_LIMITS
from handlers.whatsapp.channel import whatsapp_limits

TG = "telegram"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pacer() -> tuple[Pacer, Clock]:
    clock = Clock()
    return Pacer(clock=clock), clock


def _send(pacer: Pacer, chat: str, limits: ChannelLimits = TELEGRAM_LIMITS) -> None:
    """One message to ``chat`` leaves and is answered at once."""
    assert pacer.ready_at(TG, chat, limits) <= pacer.clock()
    pacer.finish(pacer.start(TG, chat, limits))


def test_telegram_declares_its_flood_limits() -> None:
    assert TELEGRAM_LIMITS.per_second == 30
    assert TELEGRAM_LIMITS.chat_interval == 1.0
    assert TELEGRAM_LIMITS.group_per_minute == 20
    assert TELEGRAM_LIMITS.pair_interval == 0


def test_a_chats_messages_go_a_second_apart_counted_from_the_answer() -> None:
    pacer, clock = _pacer()
    ticket = pacer.start(TG, "1", TELEGRAM_LIMITS)
    assert pacer.ready_at(TG, "1", TELEGRAM_LIMITS) == math.inf  # one in flight per chat
    assert pacer.ready_at(TG, "2", TELEGRAM_LIMITS) <= clock.now
    clock.now += 0.3  # the answer takes 0.3 s
    pacer.finish(ticket)
    assert pacer.ready_at(TG, "1", TELEGRAM_LIMITS) == clock.now + 1.0
    # Even when the person is answering: Telegram's one a second is not politeness.
    assert pacer.ready_at(TG, "1", TELEGRAM_LIMITS, answering=True) == clock.now + 1.0
    clock.now += 1.0
    assert pacer.ready_at(TG, "1", TELEGRAM_LIMITS) <= clock.now


def test_at_most_30_in_any_sliding_second_counting_those_in_flight() -> None:
    pacer, clock = _pacer()
    tickets: list[Ticket] = []
    for n in range(30):
        assert pacer.slot_at(TG, TELEGRAM_LIMITS) <= clock.now, n
        tickets.append(pacer.start(TG, str(n), TELEGRAM_LIMITS))
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) == math.inf  # all 30 in flight
    assert pacer.ready_at(TG, "other", TELEGRAM_LIMITS) == math.inf
    answered = []
    for ticket in tickets:
        clock.now += 0.01
        pacer.finish(ticket)
        answered.append(clock.now)
    # A place frees one second after the oldest answer, the next one after the next.
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) == answered[0] + 1.0
    clock.now = answered[0] + 1.0
    _send(pacer, "a")
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) == answered[1] + 1.0
    clock.now = answered[-1] + 1.0
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) <= clock.now


def test_a_group_gets_20_a_minute_and_a_second_apart() -> None:
    pacer, clock = _pacer()
    group = "-1001000000203"
    first = clock.now
    for _ in range(19):
        _send(pacer, group)
        assert pacer.ready_at(TG, group, TELEGRAM_LIMITS) == clock.now + 1.0
        clock.now += 1.0
    _send(pacer, group)
    # The 21st waits until the first leaves the minute, not a second.
    assert pacer.ready_at(TG, group, TELEGRAM_LIMITS) == first + 60.0
    clock.now = first + 60.0
    assert pacer.ready_at(TG, group, TELEGRAM_LIMITS) <= clock.now
    # A private chat (positive id) has no per-minute limit.
    person = "1201"
    for _ in range(25):
        _send(pacer, person)
        clock.now += 1.0
    assert pacer.ready_at(TG, person, TELEGRAM_LIMITS) <= clock.now


def test_a_refusal_holds_back_only_its_own_chat() -> None:
    pacer, clock = _pacer()
    _send(pacer, "a")
    _send(pacer, "b")
    clock.now += 1.0
    pacer.hold(TG, "a", 5.0)  # Telegram answered 429 retry_after 5 to a message to "a"
    assert pacer.ready_at(TG, "a", TELEGRAM_LIMITS) == clock.now + 5.0
    assert pacer.ready_at(TG, "b", TELEGRAM_LIMITS) <= clock.now
    assert pacer.ready_at(TG, "c", TELEGRAM_LIMITS) <= clock.now
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) <= clock.now


def test_whatsapp_paces_one_person_unless_they_are_answering() -> None:
    pacer, clock = _pacer()
    limits = whatsapp_limits(pair_interval=6.0, per_second=80)
    assert limits.chat_interval == 0
    pacer.finish(pacer.start("whatsapp", "62811", limits))
    assert pacer.ready_at("whatsapp", "62811", limits) == clock.now + 6.0
    assert pacer.ready_at("whatsapp", "62811", limits, answering=True) <= clock.now
    assert pacer.ready_at("whatsapp", "62812", limits) <= clock.now
    # WhatsApp's throughput is the number's, per sliding second.
    for n in range(79):
        pacer.finish(pacer.start("whatsapp", str(n), limits))
    assert pacer.slot_at("whatsapp", limits) == clock.now + 1.0
    # Channels apart: Telegram's second is its own.
    assert pacer.slot_at(TG, TELEGRAM_LIMITS) <= clock.now


async def test_the_chat_served_least_recently_goes_first() -> None:
    pacer, clock = _pacer()
    limits = replace(TELEGRAM_LIMITS, per_second=2)
    _send(pacer, "burst-1", limits)
    clock.now += 0.1
    _send(pacer, "burst-2", limits)  # the bot's second is full
    clock.now += 0.4
    # Two chats of a burst wait for their next message; then someone else's message comes.
    tasks = {
        chat: asyncio.create_task(pacer.acquire(TG, chat, limits))
        for chat in ("burst-1", "burst-2", "press")
    }
    await asyncio.sleep(0)
    assert pacer.waiting == 3
    clock.now += 0.6  # the second frees two places, and the burst's chats their interval
    pacer.pump()
    await asyncio.sleep(0)
    done = {chat for chat, task in tasks.items() if task.done()}
    # Never served, the press's message goes first though it came last; then the burst's chat
    # that waited longest.
    assert done == {"press", "burst-1"}
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)


async def test_a_message_that_is_not_bulk_goes_before_the_bursts_even_in_a_chat_served_lately() -> (
    None
):
    pacer, clock = _pacer()
    limits = replace(TELEGRAM_LIMITS, per_second=2)
    _send(pacer, "burst-1", limits)
    clock.now += 0.2
    _send(pacer, "staf", limits)  # served after the burst's chat: last in a fair turn
    clock.now += 0.9
    _send(pacer, "burst-2", limits)  # the bot's second is full (staf's and burst-2's)
    tasks = {
        "burst-1": asyncio.create_task(pacer.acquire(TG, "burst-1", limits, bulk=True)),
        "staf": asyncio.create_task(pacer.acquire(TG, "staf", limits)),
        "burst-2": asyncio.create_task(pacer.acquire(TG, "burst-2", limits, bulk=True)),
    }
    await asyncio.sleep(0)
    assert pacer.waiting == 3
    # One place frees (staf's); burst-1's and staf's intervals are over, burst-2's is not. In a
    # fair turn burst-1 would go: served longest ago.
    clock.now += 0.5
    pacer.pump()
    await asyncio.sleep(0)
    assert {chat for chat, task in tasks.items() if task.done()} == {"staf"}
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)


async def test_bulk_messages_leave_evenly_spread_over_the_second() -> None:
    pacer, clock = _pacer()
    limits = replace(TELEGRAM_LIMITS, per_second=30)
    tasks = [
        asyncio.create_task(pacer.acquire(TG, f"burst-{n}", limits, bulk=True)) for n in range(3)
    ]
    await asyncio.sleep(0)
    assert sum(task.done() for task in tasks) == 1  # not a second's worth at once
    clock.now += 1 / 30
    pacer.pump()
    await asyncio.sleep(0)
    assert sum(task.done() for task in tasks) == 2
    # A message that is not bulk does not wait for the spread.
    assert (await pacer.acquire(TG, "press", limits)) is not None
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_waiter_let_go_without_waiting_when_nothing_holds_it_back() -> None:
    pacer, _ = _pacer()
    ticket = await pacer.acquire(TG, "1", TELEGRAM_LIMITS)
    assert pacer.waiting == 0
    pacer.finish(ticket)


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    pacer, clock = _pacer()
    limits = replace(TELEGRAM_LIMITS, per_second=1)
    _send(pacer, "a", limits)
    waiting = asyncio.create_task(pacer.acquire(TG, "b", limits))
    await asyncio.sleep(0)
    assert pacer.waiting == 1
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert pacer.waiting == 0
    clock.now += 1.0
    assert pacer.ready_at(TG, "b", limits) <= clock.now
