"""What the bot tells the admins when something needs a person to act: a message that could not
be delivered, a step nobody holds the role of, an announcement waiting for the office group."""

from __future__ import annotations

from bot.chat.messages import Button, OutMessage, Rich
from bot.words import short_forms
from bot.words.format import short
from storage.offices import Office
from storage.processes import ProcessRow


def undeliverable(
    name: str, cause: str, *, unmade: bool, unreachable: bool | None = True
) -> OutMessage:
    """A message given up on, told to the admins with its true cause: a file that could not be
    made, a person out of reach, a message the channel refused, or (``unreachable`` None) a
    failure the channel did not explain."""
    kept = "langkahnya tetap tercatat dan dapat dibuka lagi lewat /tugas."
    if unmade:
        body = (
            f"Berkas untuk {name} gagal dibuat, jadi pesannya tidak dikirim. Kesalahannya "
            "tercatat di log bot; prosesnya sendiri tidak terpengaruh."
        )
    elif unreachable:
        body = (
            f"Pesan bot untuk {name} tidak dapat dikirim: bot diblokir atau belum dimulai "
            "olehnya. Minta yang bersangkutan membuka bot dan menekan Mulai; " + kept
        )
    elif unreachable is None:
        body = f"Pesan bot untuk {name} tidak sampai menurut saluran. Prosesnya aman; " + kept
    else:
        body = (
            f"Pesan bot untuk {name} ditolak oleh saluran. Ini bukan karena orangnya; "
            "kesalahannya tercatat di log bot untuk diperbaiki. Prosesnya aman; " + kept
        )
    text = Rich().b("Pesan tidak terkirim").nl().add(body)
    if cause:
        text.nl().i(f"Keterangan saluran: {short(cause, 200)}")
    return OutMessage(text)


def short_form_missing(name: str) -> OutMessage:
    """A WhatsApp template the bot needs is missing or not approved yet."""
    return OutMessage(
        Rich()
        .b("Templat WhatsApp belum siap")
        .nl()
        .add(
            f"Pesan untuk orang yang sudah lebih dari 24 jam tidak menulis ke bot memerlukan "
            f"templat WhatsApp sopbot_{name}, yang belum ada atau belum disetujui. Pesannya "
            "menunggu dan dicoba lagi setiap jam. Kirim templatnya dengan: "
            "sopbot whatsapp templates --kirim"
        )
    )


def no_group_for_announcement(office: Office, process: ProcessRow) -> OutMessage:
    return OutMessage(
        Rich()
        .b("Pengumuman tertunda")
        .nl()
        .add(
            f"Proses #{process.id} ({process.title}) di {office.name} menghasilkan pengumuman "
            "untuk grup kantor, tetapi grup kantor belum dihubungkan. Tambahkan bot ke grup "
            "kantor lalu kirim /grup di grup itu; pengumuman akan langsung dikirim ke sana."
        )
    )


def nobody_holds_role(
    office: Office, process: ProcessRow, role_label: str, step: int
) -> OutMessage:
    return OutMessage(
        Rich()
        .b("Langkah tanpa pelaksana")
        .nl()
        .add(
            f"Langkah {step} proses #{process.id} ({process.title}) di {office.name} adalah tugas "
            f"{role_label}, tetapi belum ada yang memegang peran itu. Tambahkan orangnya lewat "
            "/undang atau /pengguna; langkah ini akan muncul di /tugas mereka."
        )
    )


def nudge(open_button: Button) -> OutMessage:
    """To a person whose messages wait until they write (WhatsApp's window closed): one tap
    opens the conversation and brings them."""
    text = Rich().add("Ada pesan dari bot SOP untuk Anda. Tekan Buka untuk membacanya.")
    return OutMessage(
        text,
        [[open_button]],
        short_form=short_forms.news("pesan baru", open_button),
    )
