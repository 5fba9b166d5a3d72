"""The WhatsApp templates the bot needs: one per short form of its messages (``bot.words.short_forms``),
named ``sopbot_<form>``, in Indonesian (``id``), category UTILITY, with the form's body, an example
value for each place, and its quick replies. ``sopbot whatsapp templates`` prints them and, with
``--kirim``, submits them for approval through the Cloud API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pywa import errors as wa_errors
from pywa.types.templates import (
    BodyText,
    Buttons,
    QuickReplyButton,
    Template,
    TemplateCategory,
    TemplateLanguage,
)
from pywa_async.client import WhatsApp

from bot.words.short_forms import FORMS, FormSpec
from handlers.whatsapp.render import TEMPLATE_LANGUAGE, TEMPLATE_PREFIX


def template_of(form: FormSpec) -> Template:
    body: Any = BodyText  # pywa's components take the example values positionally
    components: list[Any] = [body(form.body, *form.examples)]
    if form.buttons:
        components.append(Buttons(buttons=[QuickReplyButton(text=b) for b in form.buttons]))
    return Template(
        name=TEMPLATE_PREFIX + form.name,
        language=TemplateLanguage(TEMPLATE_LANGUAGE),
        category=TemplateCategory.UTILITY,
        components=components,
    )


def describe(forms: Sequence[FormSpec] = tuple(FORMS.values())) -> str:
    """The templates as an admin reads them before submitting (Indonesian)."""
    blocks = []
    for form in forms:
        lines = [
            f"Nama      : {TEMPLATE_PREFIX}{form.name}",
            f"Bahasa    : {TEMPLATE_LANGUAGE} (Indonesia)",
            "Kategori  : UTILITY",
            f"Untuk     : {form.description}",
            "Isi       :",
            *(f"    {line}" for line in form.body.splitlines()),
            "Contoh    : "
            + "; ".join(f"{{{{{i}}}}} = {v}" for i, v in enumerate(form.examples, 1)),
        ]
        if form.buttons:
            lines.append(
                "Tombol    : " + ", ".join(f"[{b}]" for b in form.buttons) + " (balasan cepat)"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def submit(wa: WhatsApp, waba_id: str) -> list[tuple[str, str]]:
    """Submit every template for approval; (name, what the Cloud API said) each."""
    results = []
    for form in FORMS.values():
        name = TEMPLATE_PREFIX + form.name
        try:
            created = await wa.create_template(template=template_of(form), waba_id=waba_id)
        except wa_errors.WhatsAppError as exc:
            results.append((name, f"ditolak: {exc.code} {exc.message}"))
            continue
        results.append((name, f"diajukan, status {created.status}"))
    return results
