"""Settings, from the environment and ``.env`` (every one is shown in ``.env.example``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.chat.retention import SHORTEST_RETENTION
from bot.office.identity import whatsapp_number
from bot.office.settings import ReminderSettings
from sop.durations import Duration

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")

GRAPH_API = "https://graph.facebook.com"
NO_CHANNEL_HINT = (
    "Belum ada saluran yang diisi: isi TELEGRAM_BOT_TOKEN (bot dari @BotFather), atau "
    "WHATSAPP_ACCESS_TOKEN dan pengaturan WHATSAPP_ lainnya (nomor WhatsApp Business), di berkas "
    ".env. Lihat .env.example."
)
BOTFATHER_HINT = (
    "TELEGRAM_BOT_TOKEN belum diisi atau tidak valid: buat bot lewat @BotFather di Telegram "
    "(kirim /newbot), lalu tulis tokennya di berkas .env sebagai TELEGRAM_BOT_TOKEN=123456789:AA..."
)


class ConfigError(Exception):
    """A setting that stops the bot from starting; the message is one line for the operator."""


@dataclass(frozen=True)
class WhatsAppSettings:
    access_token: str
    phone_number_id: str
    business_account_id: str
    app_secret: str
    verify_token: str
    api_base_url: str
    api_version: str
    listen: str
    port: int
    path: str
    pair_interval: float
    throughput: int


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]
    return value


def _calendar_span(text: str) -> timedelta:
    """A duration written like a waktu (``30 hari``, ``12 jam``) as clock time: a hari is 24 hours,
    not a working day."""
    span = Duration.parse(text)
    return timedelta(days=span.days, minutes=span.minutes)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API
    telegram_api_base_file_url: str | None = None
    database_path: Path = Path("data/sopbot.db")
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    sop_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    # Seconds between two messages to one Telegram chat (Telegram's own limit is about one a
    # second; a faster pace gets refused with "too many requests").
    telegram_chat_interval: float = Field(default=1.0, ge=0.0, le=10.0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "kantor": each office's calendar (office hours, holidays); "24/7": every hour is working time.
    working_hours: Literal["kantor", "24/7"] = "kantor"
    # Defaults of the reminder timing, for offices whose file does not set their own.
    reminder_interval: str | None = None
    reminder_min_interval: str = "10 menit"
    reminder_max_interval: str = "1 hari"
    escalate_factor: int = Field(default=2, ge=1, le=10)
    escalate_min: str = "1 jam"
    no_waktu_interval: str = "1 hari"
    # How long a message is kept after it was sent (or given up on), and an update after it was
    # handled; written like a waktu, but a hari here is a calendar day.
    message_retention: str = "30 hari"
    # WhatsApp Business (Cloud API). Enabled when WHATSAPP_ACCESS_TOKEN is set.
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_business_account_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: str = GRAPH_API
    whatsapp_api_version: str = "23.0"
    whatsapp_webhook_listen: str = "127.0.0.1"
    whatsapp_webhook_port: int = Field(default=8444, ge=1, le=65535)
    whatsapp_webhook_path: str = "/whatsapp/webhook"
    # Seconds between two messages to the same person (unless they are answering), and messages
    # a second from the number: WhatsApp's own limits.
    whatsapp_pair_interval: float = Field(default=6.0, ge=0.0, le=60.0)
    whatsapp_throughput: int = Field(default=80, ge=1, le=1000)
    admin_whatsapp_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        return _split(value)

    @field_validator("admin_whatsapp_numbers", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        # Commas or semicolons part the numbers; spaces may sit inside one (+62 812-3456-7890).
        if isinstance(value, str):
            value = [n for n in re.split(r"[,;]", value) if n.strip()]
        if isinstance(value, list):
            return [whatsapp_number(str(n)) for n in value]
        return value

    @field_validator("whatsapp_webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        value = "/" + value.strip().strip("/")
        if not re.fullmatch(r"/[A-Za-z0-9/_.-]*", value):
            raise ValueError("WHATSAPP_WEBHOOK_PATH hanya boleh berisi huruf, angka, / _ . -")
        return value

    @field_validator("sop_dirs", mode="before")
    @classmethod
    def _dirs(cls, value: object) -> object:
        if isinstance(value, str):
            return [
                p.strip()
                for p in value.split(os.pathsep if os.pathsep in value else ",")
                if p.strip()
            ]
        return value

    @field_validator("working_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("24/7", "24x7", "always"):
            return "24/7"
        if isinstance(value, str) and value.strip().lower() in ("", "kantor", "office"):
            return "kantor"
        return value

    @field_validator(
        "reminder_min_interval", "reminder_max_interval", "escalate_min", "no_waktu_interval"
    )
    @classmethod
    def _duration(cls, value: str) -> str:
        Duration.parse(value)  # refuses a malformed waktu with its Indonesian message
        return value

    @field_validator("message_retention")
    @classmethod
    def _retention(cls, value: str) -> str:
        if _calendar_span(value) < SHORTEST_RETENTION:
            raise ValueError(f"paling singkat {SHORTEST_RETENTION.days} hari")
        return value

    @field_validator("reminder_interval")
    @classmethod
    def _optional_duration(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            Duration.parse(value)
            return value
        return None

    def admin_identities(self) -> frozenset[tuple[str, str]]:
        """The deployment's admins as (channel, id): admins from the first message they send."""
        return frozenset(
            [("telegram", str(i)) for i in self.admin_telegram_ids]
            + [("whatsapp", n) for n in self.admin_whatsapp_numbers]
        )

    def retention(self) -> timedelta:
        """How long messages and handled updates are kept (``MESSAGE_RETENTION``)."""
        return _calendar_span(self.message_retention)

    def reminder_defaults(self) -> ReminderSettings:
        """The reminder timing an office gets unless its own file sets it."""
        return ReminderSettings.model_validate(
            {
                "interval": self.reminder_interval,
                "min_interval": self.reminder_min_interval,
                "max_interval": self.reminder_max_interval,
                "escalate_factor": self.escalate_factor,
                "escalate_min": self.escalate_min,
                "no_waktu_interval": self.no_waktu_interval,
            }
        )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "telegram_bot_token",
        "webhook_secret",
        "whatsapp_access_token",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_phone_number_id",
        "whatsapp_business_account_id",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _file_url_follows_base(self) -> Settings:
        if self.telegram_api_base_file_url is None:
            base = self.telegram_api_base_url.rstrip("/")
            if base == TELEGRAM_API:
                self.telegram_api_base_file_url = TELEGRAM_FILE_API
            elif base.endswith("/bot"):
                # A local Bot API server or a test server: files live beside the methods.
                self.telegram_api_base_file_url = base[: -len("/bot")] + "/file/bot"
            else:
                self.telegram_api_base_file_url = base + "/file"
        return self

    def channels(self) -> tuple[str, ...]:
        """The channels these settings enable; ConfigError when there is none."""
        found = tuple(
            name
            for name, on in (
                ("telegram", self.telegram_bot_token is not None),
                ("whatsapp", self.whatsapp_access_token is not None),
            )
            if on
        )
        if not found:
            raise ConfigError(NO_CHANNEL_HINT)
        return found

    def secrets(self) -> list[str]:
        """Every secret setting's value: kept out of every log line."""
        values = [
            self.telegram_bot_token,
            self.webhook_secret,
            self.whatsapp_access_token,
            self.whatsapp_app_secret,
            self.whatsapp_verify_token,
        ]
        return [v.get_secret_value() for v in values if v is not None]

    def whatsapp(self) -> WhatsAppSettings:
        """The WhatsApp channel's settings, checked; ConfigError names what is missing."""
        missing = [
            name.upper()
            for name in (
                "whatsapp_access_token",
                "whatsapp_phone_number_id",
                "whatsapp_business_account_id",
                "whatsapp_app_secret",
                "whatsapp_verify_token",
            )
            if getattr(self, name) is None
        ]
        if missing:
            raise ConfigError(
                f"WhatsApp belum lengkap: isi {', '.join(missing)} di berkas .env (lihat "
                "README, bagian WhatsApp)."
            )
        assert self.whatsapp_access_token is not None  # noqa: S101 - checked above
        assert self.whatsapp_app_secret is not None  # noqa: S101
        assert self.whatsapp_verify_token is not None  # noqa: S101
        assert self.whatsapp_phone_number_id is not None  # noqa: S101
        assert self.whatsapp_business_account_id is not None  # noqa: S101
        return WhatsAppSettings(
            access_token=self.whatsapp_access_token.get_secret_value(),
            phone_number_id=self.whatsapp_phone_number_id,
            business_account_id=self.whatsapp_business_account_id,
            app_secret=self.whatsapp_app_secret.get_secret_value(),
            verify_token=self.whatsapp_verify_token.get_secret_value(),
            api_base_url=self.whatsapp_api_base_url.rstrip("/"),
            api_version=self.whatsapp_api_version,
            listen=self.whatsapp_webhook_listen,
            port=self.whatsapp_webhook_port,
            path=self.whatsapp_webhook_path,
            pair_interval=self.whatsapp_pair_interval,
            throughput=self.whatsapp_throughput,
        )

    def token(self) -> str:
        """The bot token, checked; raises ConfigError with the one line that says what to do."""
        if self.telegram_bot_token is None:
            raise ConfigError(BOTFATHER_HINT)
        value = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(value):
            raise ConfigError(BOTFATHER_HINT)
        return value

    def webhook(self) -> tuple[str, str] | None:
        """(url, secret) in webhook mode, None for long polling."""
        if not self.webhook_url:
            return None
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET wajib diisi bila WEBHOOK_URL dipakai: 1-256 karakter A-Z, a-z, "
                "0-9, _ atau -, dan rahasiakan."
            )
        secret = self.webhook_secret.get_secret_value()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ConfigError(
                "WEBHOOK_SECRET hanya boleh berisi A-Z, a-z, 0-9, _ dan - (1-256 karakter)."
            )
        local = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", self.webhook_url)
        if not self.webhook_url.startswith("https://") and not local:
            raise ConfigError("WEBHOOK_URL harus diawali https:// (syarat Telegram untuk webhook).")
        return self.webhook_url, secret
