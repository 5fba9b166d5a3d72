"""/start (and an invitation opened with it), /bantuan, and strangers."""

from __future__ import annotations

from bot.chat.commands import COMMANDS, Where, Who
from bot.chat.events import Chat, Command, Person
from bot.chat.messages import OutMessage, Rich
from bot.chat.replies import Flow, Replies
from bot.office.admin import Admin
from bot.process.instances import Instances
from bot.words import admin as admin_words
from bot.words import chat as words
from storage.offices import User

STRANGER_ANSWERS = 10  # answers to a stranger in ten minutes; beyond that, a flood


class WelcomeFlow(Flow):
    def __init__(self, replies: Replies, admin: Admin, instances: Instances) -> None:
        super().__init__()
        self.r = replies
        self.admin = admin
        self.instances = instances
        self.roles = instances.catalog.roles

    async def stranger(self, person: Person, chat: Chat) -> None:
        """Someone not registered: told their id for the admin, in full once in ten minutes and
        briefly after that, every time up to a flood's worth (``STRANGER_ANSWERS``)."""
        now = self.r.clock.now()
        bucket = now.strftime("%Y%m%d%H") + str(now.minute // 10)
        key = f"stranger:{person.channel}:{person.external_id}:{bucket}:"
        async with self.r.db.read() as tx:
            told = len(await tx.outbox.keyed(key))
        if told >= STRANGER_ANSWERS:
            return  # a flood: nothing more until the next ten minutes
        message = (
            words.stranger(person.name, person.channel, person.external_id)
            if told == 0
            else OutMessage(Rich().add(words.stranger_again(person.channel, person.external_id)))
        )
        await self.r.say(chat, message, dedupe=f"{key}{told}")

    async def start(self, ev: Command, user: User | None) -> None:
        if ev.args.strip():
            await self._accept_invite(ev)
        elif user is None:
            await self.stranger(ev.person, ev.chat)
        else:
            await self._welcome(ev.chat, user)

    async def _accept_invite(self, ev: Command) -> None:
        p = ev.person
        accepted = await self.admin.accept_invite(ev.args.strip(), p.channel, p.external_id, p.name)
        if accepted is None:
            await self.r.say_text(ev.chat, admin_words.INVITE_USED)
            return
        user, office, role = accepted
        await self.r.say(
            ev.chat, admin_words.invite_accepted(user.name, self.roles.label(role), office.name)
        )

    async def _welcome(self, chat: Chat, user: User) -> None:
        now = self.r.clock.now()
        async with self.r.db.read() as tx:
            holdings = await tx.offices.holdings_of(user.id)
            offices = {o.id: o for o in await tx.offices.offices_of(user.id)}
            tasks = await self.instances.open_tasks(tx, user, now)
        roles = sorted(
            {
                words.role_line(
                    self.roles.label(h.role), offices[h.office_id].name, standin=h.kind == "plh"
                )
                for h in holdings
                if h.office_id in offices
            }
        )
        await self.r.say(
            chat, words.welcome(user.name, roles, admin=user.any_admin, waiting=len(tasks))
        )
        if not self.r.limits(chat).command_menu:
            await self._main_menu(chat, user)

    async def help(self, ev: Command, user: User) -> None:
        limits = self.r.limits(ev.chat)
        slash = limits.command_menu
        text = words.help_text(COMMANDS, admin=user.any_admin, slash=slash, groups=limits.groups)
        await self.r.say_text(ev.chat, text)
        if not slash:
            await self._main_menu(ev.chat, user)

    async def menu(self, ev: Command, user: User) -> None:
        await self._main_menu(ev.chat, user)

    async def _main_menu(self, chat: Chat, user: User) -> None:
        """The main commands as a menu of buttons (on WhatsApp, which has no command menu, the
        way to reach them without typing)."""
        items = [
            (c.help, {"a": "perintah", "name": c.name})
            for c in COMMANDS
            if c.where is Where.PRIVATE
            and c.name not in ("start", "menu", "bantuan")
            and (c.who is Who.MEMBER or (c.who is Who.ADMIN and user.any_admin))
        ]
        text = Rich().add(words.MAIN_MENU)
        message = await self.r.menu_message(chat, user, text, items, prompt=words.MENU_BUTTON)
        await self.r.say(chat, message)
