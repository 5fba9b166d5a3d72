"""Settings from the environment: defaults, lists, the file URL that follows the base URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_defaults() -> None:
    s = _settings()
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.telegram_api_base_file_url == "https://api.telegram.org/file/bot"
    assert s.database_path == Path("data/sopbot.db")
    assert s.webhook() is None
    with pytest.raises(ConfigError, match="@BotFather"):
        s.token()


def test_a_local_bot_api_server_gets_its_own_file_url() -> None:
    s = _settings(telegram_api_base_url="http://127.0.0.1:8081/bot")
    assert s.telegram_api_base_file_url == "http://127.0.0.1:8081/file/bot"


def test_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "111, 222;333")
    monkeypatch.setenv("SOP_DIRS", "/a,/b")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    s = Settings(_env_file=None)
    assert s.admin_telegram_ids == [111, 222, 333]
    assert s.sop_dirs == [Path("/a"), Path("/b")]
    assert s.log_level == "DEBUG"


def test_the_token_is_secret_and_checked() -> None:
    s = _settings(telegram_bot_token="123456789:AAH-some-real-looking-token-value_xyz")
    assert "AAH" not in repr(s)
    assert s.token().startswith("123456789:")
    with pytest.raises(ConfigError):
        _settings(telegram_bot_token="123:short").token()


def test_webhook_needs_a_secret_and_https() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        _settings(webhook_url="https://bot.kpu.go.id/hook").webhook()
    with pytest.raises(ConfigError, match="https"):
        _settings(webhook_url="http://bot.kpu.go.id/hook", webhook_secret="abc").webhook()
    with pytest.raises(ConfigError, match="hanya boleh"):
        _settings(webhook_url="https://bot.kpu.go.id/hook", webhook_secret="ada spasi").webhook()
    assert _settings(
        webhook_url="https://bot.kpu.go.id/hook", webhook_secret="abc_DEF-1"
    ).webhook() == (
        "https://bot.kpu.go.id/hook",
        "abc_DEF-1",
    )


def test_working_hours_and_reminder_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKING_HOURS", "24/7")
    monkeypatch.setenv("REMINDER_MIN_INTERVAL", "30 menit")
    monkeypatch.setenv("ESCALATE_MIN", "2 jam")
    s = Settings(_env_file=None)
    assert s.working_hours == "24/7"
    defaults = s.reminder_defaults()
    assert str(defaults.min_interval) == "30 menit"
    assert str(defaults.escalate_min) == "120 menit"
    monkeypatch.setenv("NO_WAKTU_INTERVAL", "dua hari")
    with pytest.raises(ValueError, match="tidak dikenali"):
        Settings(_env_file=None)


def test_every_setting_is_in_env_example() -> None:
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in example, name
