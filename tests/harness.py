"""The bot as its users meet it, for tests: the real bot (PTB over real HTTP) against the project's
fake Bot API, on a real SQLite file, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Options, SopBot
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.settings import Settings
from fakes.telegram import FakeBotApi, FakeGroup, FakeMessage, FakeUser, Mark
from sop.handins import Handin
from sop.loader import Catalog, load_catalog
from sop.models import HandinKind, SopDefinition
from tests.sopwalk import SCRIPTS, sample_handin

TOKEN = "123456789:AAH-test-token-for-the-fake-api-only_x"
T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 16 Nov 2026 08.00 WIB
ADMIN_ID = 9001

# One person per role in each office; telegram id = office base + position.
JAMBI_ROLES = [
    ("sekretaris", "Khoirul"),
    ("kabag_teknis_hukum", "Kabag Andi"),
    ("kasubbag_hukum", "Kasubbag Rina"),
    ("kasubbag_tu", "Kasubbag TU Dedi"),
    ("pengelola_jdih", "Pengelola Sari"),
    ("tim_kreatif", "Kreatif Yoga"),
    ("tim_desain", "Desain Lia"),
    ("admin_medsos", "Admin Medsos Tono"),
    ("pemohon", "Pemohon Bagas"),
]
KAPUAS_ROLES = [
    ("sekretaris", "Hildayani"),
    ("kasubbag_hukum_sdm", "Kasubbag Budi"),
    ("staf_subbagian", "Staf Ani"),
    ("pengelola_jdih", "Pengelola Joko"),
]


def office_data(code: str) -> dict[str, Any]:
    if code == "jambi":
        people, base, sops = (
            JAMBI_ROLES,
            1100,
            ["jambi-penurunan-jdih", "jambi-pengunggahan-jdih", "jambi-konten-medsos"],
        )
        template = "{nomor}/HK.03-ND/15/{tahun}"
    else:
        people, base, sops = KAPUAS_ROLES, 1200, ["kapuas-medsos-jdih"]
        template = "{nomor}/HK.03-ND/6203/{tahun}"
    return {
        "code": f"kpu-{code}",
        "name": f"KPU {'Provinsi Jambi' if code == 'jambi' else 'Kabupaten Kapuas'}",
        "timezone": "Asia/Jakarta",
        "sops": sops,
        "agenda_template": template,
        # As the example office files say: a kabupaten has no Kabag, its Kasubbag reads reports.
        "report_roles": [
            "sekretaris",
            "kabag_teknis_hukum" if code == "jambi" else "kasubbag_hukum_sdm",
        ],
        "calendar": {"always_open": True},
        "people": [
            {"telegram_id": base + i, "name": name, "roles": [role]}
            for i, (role, name) in enumerate(people, 1)
        ],
    }


@dataclass
class Harness:
    api: FakeBotApi
    path: Path
    clock: FakeClock
    bot: SopBot | None = None
    catalog: Catalog = field(default_factory=load_catalog)
    admin_ids: list[int] = field(default_factory=lambda: [ADMIN_ID])
    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=self.api.base_url,
            telegram_api_base_file_url=self.api.base_file_url,
            database_path=self.path / "sopbot.db",
            admin_telegram_ids=self.admin_ids,
            **self.settings_overrides,
        )

    async def start(self) -> SopBot:
        self.bot = SopBot(
            self.settings(),
            Options(clock=self.clock, backoff_base=0.02, backoff_max=0.2, poll_timeout=1),
        )
        await self.bot.start()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def restart(self) -> SopBot:
        await self.stop()
        return await self.start()

    async def import_office(
        self, code: str, *, sops: list[str] | None = None, calendar: dict[str, Any] | None = None
    ) -> None:
        """Import a test office; ``calendar`` replaces the 24/7 calendar most tests use."""
        assert self.bot is not None
        assert self.bot.db is not None
        assert self.bot.catalog is not None
        raw = office_data(code)
        if sops is not None:
            raw["sops"] = sops
        if calendar is not None:
            raw["calendar"] = calendar
        data = validate_office(raw, f"{code}.yaml", self.bot.catalog)
        await Admin(self.bot.db, self.bot.catalog, self.clock).import_office(data)

    async def person(self, telegram_id: int, name: str) -> FakeUser:
        """A person who has opened the bot (so it may write to them)."""
        user = self.api.user(telegram_id, name)
        if not user.started:
            mark = user.mark()
            await user.send("/start")
            await user.wait_for(since=mark)
        return user

    async def office_people(self, code: str) -> dict[str, FakeUser]:
        data = office_data(code)
        return {
            p["roles"][0]: await self.person(p["telegram_id"], p["name"]) for p in data["people"]
        }

    async def link_group(self, chat_id: int, title: str, office_name: str) -> FakeGroup:
        """The admin adds the bot to a group and links it to the office with /grup."""
        admin = await self.person(ADMIN_ID, "Admin Kantor")
        group = self.api.group(chat_id, title)
        mark = group.mark()
        await group.add_bot(by=admin)
        await group.wait_for(lambda m: "/grup" in m.text, since=mark)
        mark = group.mark()
        await group.send(admin, "/grup")
        menu = await group.wait_for(lambda m: office_name in m.button_texts, since=mark)
        mark = group.mark()
        await admin.press(menu, office_name)
        await group.wait_for(lambda m: "Grup terhubung" in m.text, since=mark)
        return group


async def wait_text(user: FakeUser, text: str, since: Mark) -> FakeMessage:
    return await user.wait_for(lambda m: text in m.text, since=since)


async def wait_closed(user: FakeUser, message_id: int, since: Mark) -> FakeMessage:
    """The step message edited after its step was done: the outcome written in, no buttons."""
    return await user.wait_for(
        lambda m: m.message_id == message_id and not m.buttons and m.edited, since=since
    )


def is_step(number: int, total: int) -> Callable[[FakeMessage], bool]:
    return lambda m: f"Langkah {number} dari {total}" in m.text and bool(m.buttons)


async def start_process(h: Harness, starter: FakeUser, defn: SopDefinition, title: str) -> int:
    """/baru → choose the SOP → title → start documents → Mulai proses; returns the process number."""
    mark = starter.mark()
    await starter.send("/baru")
    menu = await starter.wait_for(
        lambda m: "Mulai proses baru" in m.text and bool(m.buttons), since=mark
    )
    mark = starter.mark()
    await starter.press(menu, defn.header.singkat or defn.header.nama)
    await starter.wait_for(lambda m: m.force_reply and "judul" in m.text.lower(), since=mark)
    mark = starter.mark()
    await starter.send(title)
    for spec in defn.start_handin:
        await wait_text(starter, spec.label, mark)
        mark = starter.mark()
        await starter.send_document(f"{spec.label}.pdf", b"%PDF-1.4 " + spec.label.encode())
    ready = await starter.wait_for(lambda m: "▶️ Mulai proses" in m.button_texts, since=mark)
    mark = starter.mark()
    answer = await starter.press(ready, "▶️ Mulai proses")
    assert answer.text is not None
    assert "dimulai" in answer.text
    started = await starter.wait_for(lambda m: "dimulai" in m.text, since=mark)
    return int(started.text.split("#")[1].split()[0])


async def hand_in(user: FakeUser, kind: HandinKind, label: str, value: Handin, since: Mark) -> Mark:
    """Answer one hand-in prompt the way a person would."""
    prompt = await user.wait_for(lambda m: label in m.text, since=since)
    mark = user.mark()
    if kind is HandinKind.ATTACHMENT:
        await user.send_document(
            value.file_name or "berkas.pdf", b"%PDF-1.4 " + value.value.encode()
        )
    elif kind is HandinKind.NOMOR and any(t.startswith("Pakai ") for t in prompt.button_texts):
        await user.press(prompt, next(t for t in prompt.button_texts if t.startswith("Pakai ")))
    else:
        await user.send(value.value)
    return mark


async def play(h: Harness, people: dict[str, FakeUser], code: str, title: str) -> int:
    """Walk a whole SOP script through Telegram: every actor gets their step message, presses its
    button, writes notes and hands in files, links and numbers."""
    script = SCRIPTS[code]
    defn = h.catalog.definitions[code]
    total = len(defn.steps)
    starter = people[script.starter_role]
    marks = {u.id: u.mark() for u in people.values()}
    process = await start_process(h, starter, defn, title)
    for round_, answer in enumerate(script.answers):
        step = defn.step(answer.step)
        actor = people[step.pelaksana]
        message = await actor.wait_for(
            is_step(defn.index(step.number), total), since=marks[actor.id]
        )
        assert f"#{process}" in message.text
        before = marks[actor.id] = actor.mark()
        label = step.choice(answer.choice)
        assert label is not None
        pressed = await actor.press(message, label.label)
        assert pressed.text is not None
        if answer.note:
            await actor.wait_for(lambda m: m.force_reply, since=before)
            mark = actor.mark()
            await actor.send(answer.note)
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        elif label.positive and step.handin:
            mark = before
            for spec in step.handin:
                mark = await hand_in(
                    actor, spec.kind, spec.label, sample_handin(spec, step.number, round_), mark
                )
            await actor.wait_for(lambda m: "Tercatat" in m.text, since=mark)
        else:
            assert pressed.text.startswith("Tercatat"), pressed.text
        # The step message itself now shows the outcome and has no buttons.
        await wait_closed(actor, message.message_id, before)
    return process
