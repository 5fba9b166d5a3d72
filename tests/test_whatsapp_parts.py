"""WhatsApp's rules kept by construction: how a bot message is cut into WhatsApp messages, the
pacing before the Cloud API has to refuse, the templates the bot needs, and the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import whatsapp_templates
from bot.chat.channel import ChannelLimits
from bot.chat.messages import Attachment, Button, OutMessage, Rich
from bot.chat.pacing import Pacer
from bot.office.files import OfficeFileError, validate_office
from bot.settings import ConfigError, Settings
from bot.words.short_forms import FORMS
from fakes.whatsapp import FakeWhatsAppApi
from handlers.whatsapp.channel import whatsapp_limits
from handlers.whatsapp.render import (
    MAX_BODY,
    ButtonsPart,
    FilePart,
    LinkPart,
    ListPart,
    TextPart,
    parts,
)
from sop.loader import load_catalog
from tests.harness import WA_SECRET, WA_TOKEN, office_data


def _buttons(*labels: str, kind: str = "") -> list[Button]:
    return [Button(label=label, token=f"tok{i}", kind=kind) for i, label in enumerate(labels)]


def test_a_short_message_with_few_buttons_is_one_interactive_message() -> None:
    message = OutMessage(Rich().add("Mulai proses?"), [_buttons("▶️ Mulai proses", "Batal")])
    (part,) = parts(message)
    assert isinstance(part, ButtonsPart)
    assert part.body == "Mulai proses?"
    assert [t for _, t in part.buttons] == ["▶️ Mulai proses", "Batal"]


def test_four_choices_never_go_as_reply_buttons() -> None:
    message = OutMessage(Rich().add("Pilih:"), [[b] for b in _buttons("A", "B", "C", "D")])
    (part,) = parts(message)
    assert isinstance(part, ListPart)
    assert [row[1] for row in part.rows] == ["A", "B", "C", "D"]


def test_a_long_text_goes_apart_from_its_buttons_whose_body_stays_short() -> None:
    text = Rich().add("x" * 1100)
    message = OutMessage(text, [_buttons("Setuju", "Tidak Setuju")], prompt="Langkah 5 dari 6")
    text_part, buttons = parts(message)
    assert isinstance(text_part, TextPart)
    assert len(text_part.body) == 1100
    assert isinstance(buttons, ButtonsPart)
    assert len(buttons.body) <= MAX_BODY
    assert buttons.body == "Langkah 5 dari 6"


def test_a_label_too_long_for_a_button_goes_in_a_list_with_its_description() -> None:
    label = "Pakai 12/HK.03-ND/6203/2026"
    (part,) = parts(OutMessage(Rich().add("Nomor?"), [_buttons(label)]))
    assert isinstance(part, ListPart)
    ((_, title, description),) = part.rows
    assert len(title) <= 24
    assert description == label


def test_documents_are_listed_apart_from_the_step_choices() -> None:
    choices = _buttons("Setuju", "Tidak Setuju")
    files = _buttons(*(f"📎 Berkas nomor {i} (langkah 3)" for i in range(6)), kind="file")
    message = OutMessage(Rich().add("Langkah"), [choices, *([f] for f in files)], prompt="Pilih")
    text_part, buttons, documents = parts(message)
    assert isinstance(text_part, TextPart)
    assert isinstance(buttons, ButtonsPart)
    assert isinstance(documents, ListPart)
    assert len(documents.rows) == 6
    assert documents.button == "Dokumen"


def test_a_link_is_a_call_to_action_and_a_file_carries_its_caption() -> None:
    link = OutMessage(
        Rich().add("Bagikan"), [[Button("Bagikan ke grup", url="https://wa.me/?text=x")]]
    )
    (part,) = parts(link)
    assert isinstance(part, LinkPart)
    assert part.label == "Bagikan ke grup"
    attached = OutMessage(Rich().add("Arsip"), attachment=Attachment("a.pdf", data=b"%PDF"))
    (file_part,) = parts(attached)
    assert isinstance(file_part, FilePart)
    assert file_part.caption == "Arsip"


def test_bold_and_italic_become_whatsapp_marks() -> None:
    (part,) = parts(OutMessage(Rich().b("Judul ").i("catatan").add(" biasa")))
    assert isinstance(part, TextPart)
    assert part.body == "*Judul* _catatan_ biasa"


def test_messages_to_one_person_are_paced_unless_they_are_answering() -> None:
    limits = ChannelLimits(
        text_length=4096,
        caption_length=1024,
        buttons_per_message=3,
        button_label_length=72,
        menu_rows=10,
        can_edit=False,
        reply_prompt=False,
        url_buttons=True,
        groups=False,
        pair_interval=0.2,
    )
    now = 50.0
    pacer = Pacer(clock=lambda: now)
    pacer.finish(pacer.start("whatsapp", "a", limits))
    assert pacer.ready_at("whatsapp", "a", limits, answering=False) == now + 0.2
    assert pacer.ready_at("whatsapp", "a", limits, answering=True) <= now


def test_every_template_keeps_metas_rules() -> None:
    for form in FORMS.values():
        body = form.body
        assert not body.startswith("{{"), form.name
        assert not body.rstrip().endswith("}}"), form.name
        count = sum(1 for i in range(1, 20) if f"{{{{{i}}}}}" in body)
        assert count == len(form.examples), form.name
        assert all("\n" not in e for e in form.examples)
        assert len(form.buttons) <= 10
        assert all(len(b) <= 25 for b in form.buttons)


async def test_the_templates_are_submitted_through_the_cloud_api(tmp_path: Path) -> None:
    async with FakeWhatsAppApi(access_token=WA_TOKEN, app_secret=WA_SECRET) as wa:
        settings = Settings(
            _env_file=None,
            whatsapp_access_token=WA_TOKEN,
            whatsapp_phone_number_id=wa.phone_number_id,
            whatsapp_business_account_id=wa.waba_id,
            whatsapp_app_secret=WA_SECRET,
            whatsapp_verify_token="v",
            whatsapp_api_base_url=wa.base_url,
        )
        printed = await whatsapp_templates(settings, submit=True)
        for form in FORMS.values():
            assert f"sopbot_{form.name}: diajukan, status PENDING" in printed
            stored = wa.template(f"sopbot_{form.name}", "id")
            assert stored is not None
            assert stored.category == "UTILITY"


def test_whatsapp_settings_name_what_is_missing() -> None:
    settings = Settings(_env_file=None, whatsapp_access_token="x")
    assert settings.channels() == ("whatsapp",)
    with pytest.raises(ConfigError) as missing:
        settings.whatsapp()
    for name in ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        assert name in str(missing.value)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings(_env_file=None).channels()
    numbers = Settings(_env_file=None, admin_whatsapp_numbers="+62 812-3456-7890, 081234567891")
    assert numbers.admin_whatsapp_numbers == ["6281234567890", "6281234567891"]
    assert ("whatsapp", "6281234567890") in numbers.admin_identities()
    secret = Settings(_env_file=None, whatsapp_access_token="EAAG-rahasia", whatsapp_app_secret="s")
    assert {"EAAG-rahasia", "s"} <= set(secret.secrets())
    limits = whatsapp_limits(6.0, 80)
    assert (limits.buttons_per_message, limits.menu_rows, limits.window_hours) == (3, 10, 24)


def test_an_office_file_names_people_on_either_channel_or_both() -> None:
    catalog = load_catalog()
    data = office_data("kapuas", whatsapp=["staf_subbagian"], both=["sekretaris"])
    office = validate_office(data, "kapuas.yaml", catalog)
    by_name = {p.name: p for p in office.people}
    assert by_name["Staf Ani"].identities() == [("whatsapp", "62811001203")]
    assert by_name["Hildayani"].identities()[0][0] == "whatsapp"
    bad = office_data("kapuas")
    del bad["people"][0]["telegram_id"]
    bad["people"][1]["whatsapp"] = "bukan nomor"
    bad["people"][2]["preferred_channel"] = "whatsapp"
    with pytest.raises(OfficeFileError) as refused:
        validate_office(bad, "kapuas.yaml", catalog)
    text = "\n".join(refused.value.messages)
    assert "people[1]" in text
    assert "telegram_id, whatsapp, atau keduanya" in text
    assert "people[2]" in text
    assert "nomor WhatsApp 'bukan nomor' tidak valid" in text
    assert "people[3]" in text
    assert "whatsapp tidak diisi" in text
