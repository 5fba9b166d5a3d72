"""What the bot tells the admins when something needs a person to act: a message that could not
be delivered, a step nobody holds the role of, an announcement waiting for the office group."""

from __future__ import annotations

from bot.chat.messages import OutMessage, Rich
from storage.offices import Office
from storage.processes import ProcessRow


def undeliverable(name: str, *, unmade: bool) -> OutMessage:
    if unmade:
        body = (
            f"Berkas untuk {name} gagal dibuat, jadi pesannya tidak dikirim. Kesalahannya "
            "tercatat di log bot; prosesnya sendiri tidak terpengaruh."
        )
    else:
        body = (
            f"Pesan bot untuk {name} tidak dapat dikirim (mungkin bot diblokir atau belum "
            "dimulai). Minta yang bersangkutan membuka bot dan menekan Mulai; langkahnya "
            "tetap tercatat dan dapat dibuka lagi lewat /tugas."
        )
    return OutMessage(Rich().b("Pesan tidak terkirim").nl().add(body))


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
