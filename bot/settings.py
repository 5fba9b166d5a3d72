"""Settings, from the environment and ``.env`` (every one is shown in ``.env.example``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.office.settings import ReminderSettings
from sop.durations import Duration

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")

BOTFATHER_HINT = (
    "TELEGRAM_BOT_TOKEN belum diisi atau tidak valid: buat bot lewat @BotFather di Telegram "
    "(kirim /newbot), lalu tulis tokennya di berkas .env sebagai TELEGRAM_BOT_TOKEN=123456789:AA..."
)


class ConfigError(Exception):
    """A setting that stops the bot from starting; the message is one line for the operator."""


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]
    return value


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

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        return _split(value)

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

    @field_validator("reminder_interval")
    @classmethod
    def _optional_duration(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            Duration.parse(value)
            return value
        return None

    def admin_identities(self) -> frozenset[tuple[str, str]]:
        """The deployment's admins as (channel, id): admins from the first message they send."""
        return frozenset(("telegram", str(i)) for i in self.admin_telegram_ids)

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

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
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
