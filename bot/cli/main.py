"""The ``sopbot`` command line (``python -m bot`` does the same).

A command imports what it needs when it runs, so ``sopbot --help`` and a mistyped command answer
at once instead of loading the whole bot first.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.parser import Parser
from bot.cli.reports import (
    add_audit_export_arguments,
    add_report_arguments,
    check_suffix,
    cmd_sop_png,
    database_problem,
)

if TYPE_CHECKING:
    from bot.settings import Settings


def _settings() -> Settings:
    from bot.settings import Settings

    return Settings()


def _sop_check(args: argparse.Namespace) -> int:
    from bot.words.sop_form import catalogue
    from sop.loader import SopFileError, load_catalog, sop_files

    extra = [Path(args.dir)] if args.dir else list(_settings().sop_dirs)
    try:
        catalog = load_catalog(extra)
    except SopFileError as exc:
        print("Berkas SOP bermasalah:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    if not args.dir:
        print(catalogue(catalog.all()))
        return 0
    folder = Path(args.dir)
    own = {p.resolve() for p in sop_files(folder)}
    if not own:
        print(
            f"Folder {folder} tidak berisi berkas SOP (berkas .yaml selain roles.yaml); "
            "tidak ada yang diperiksa.",
            file=sys.stderr,
        )
        return 1
    checked = [d for d in catalog.all() if catalog.sources[d.code].resolve() in own]
    print(f"SOP di {folder}: {len(checked)} berkas, semuanya valid.")
    print(catalogue(checked))
    builtin = len(catalog.definitions) - len(checked)
    print(f"(Diperiksa bersama {builtin} SOP bawaan; kodenya tidak boleh sama.)")
    return 0


def _terminal_width() -> int:
    """The terminal's width, at least ``MIN_WIDTH`` (a narrower one wraps the lines)."""
    from bot.words.sop_form import MIN_WIDTH

    return max(shutil.get_terminal_size((100, 24)).columns, MIN_WIDTH)


def _sop_show(args: argparse.Namespace) -> int:
    from bot.words.sop_form import form
    from sop.loader import SopFileError, load_catalog

    if args.png:
        if not check_suffix(args.png, ".png", "--png"):
            return 2
        return cmd_sop_png(
            args.code, Path(args.png), list(_settings().sop_dirs), columns=args.lengkap
        )
    if args.lengkap:
        print("--lengkap hanya berlaku bersama --png BERKAS.", file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(list(_settings().sop_dirs))
    except SopFileError as exc:
        print("\n".join(exc.messages), file=sys.stderr)
        return 1
    defn = catalog.get(args.code)
    if defn is None:
        known = ", ".join(sorted(catalog.definitions))
        print(f"SOP '{args.code}' tidak dikenal. Kode yang ada: {known}", file=sys.stderr)
        return 2
    print(form(defn, catalog.roles, width=_terminal_width()))
    return 0


async def _audit_verify_async(path: Path) -> int:
    from storage.db import Database

    db = await Database.open(path)
    try:
        async with db.read() as tx:
            report = await tx.audit.verify()
    finally:
        await db.close()
    if report.ok:
        print(f"Rantai audit utuh: {report.checked} peristiwa diperiksa.")
        return 0
    print(
        f"Rantai audit RUSAK pada peristiwa #{report.broken_id}: {report.reason} "
        f"({report.checked} peristiwa sebelumnya utuh).",
        file=sys.stderr,
    )
    return 1


def _audit_verify(args: argparse.Namespace) -> int:
    path = Path(args.database) if args.database else _settings().database_path
    problem = database_problem(path)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    return asyncio.run(_audit_verify_async(path))


def _run(args: argparse.Namespace) -> int:
    from bot.app import SopBot
    from bot.logs import setup_logging
    from sop.loader import SopFileError

    settings = _settings()
    # A channel set up wrongly stops here, with the how-to, before anything starts.
    channels = settings.channels()
    if "telegram" in channels:
        settings.token()
        settings.webhook()
    if "whatsapp" in channels:
        settings.whatsapp()
    setup_logging(settings.log_level, settings.secrets())
    try:
        asyncio.run(SopBot(settings).run_until_signalled())
    except SopFileError as exc:
        print("Berkas SOP bermasalah; bot tidak dijalankan:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0


async def _office_import_async(path: Path, settings: Settings) -> int:
    from bot.clock import SystemClock
    from bot.office.admin import Admin
    from bot.office.files import OfficeFileError, placeholder_warning, read_office_file
    from sop.loader import load_catalog
    from storage.db import Database

    catalog = load_catalog(settings.sop_dirs)
    try:
        data = read_office_file(path, catalog)
    except OfficeFileError as exc:
        print(f"Berkas kantor {path.name} ditolak, tidak ada yang diubah:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    warning = placeholder_warning(data, path.name)
    if warning is not None:
        print(warning, file=sys.stderr)
    db = await Database.open(settings.database_path)
    try:
        admin = Admin(db, catalog, SystemClock(), admins=settings.admin_identities())
        report = await admin.import_office(data)
    finally:
        await db.close()
    print("\n".join(report.lines()))
    return 0


def _office_import(args: argparse.Namespace) -> int:
    from sop.loader import SopFileError

    path = Path(args.file)
    if not path.is_file():
        what = "sebuah folder, bukan berkas" if path.is_dir() else "tidak ditemukan"
        print(f"Berkas kantor {path}: {what}.", file=sys.stderr)
        return 2
    settings = _settings()
    if args.database:
        settings.database_path = Path(args.database)
    problem = database_problem(settings.database_path, must_exist=False)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        return asyncio.run(_office_import_async(path, settings))
    except SopFileError as exc:
        print("\n".join(exc.messages), file=sys.stderr)
        return 1


def _demo(args: argparse.Namespace) -> int:
    try:
        # The demo plays against the fakes of the test-support package, installed from a checkout.
        from fakes.demo import main as demo_main
    except ImportError:
        print(
            "Demo memerlukan paket uji dari salinan kode sumber sopbot: jalankan `make demo` "
            "di folder salinan itu.",
            file=sys.stderr,
        )
        return 2
    keep = Path(args.simpan) if args.simpan else None
    if keep is not None and keep.exists():
        print(
            f"{keep} sudah ada; demo tidak menimpa basis data. Hapus berkas itu atau pilih nama "
            "lain.",
            file=sys.stderr,
        )
        return 2
    return demo_main(_settings().log_level, keep=keep)


def _whatsapp_templates(args: argparse.Namespace) -> int:
    from bot.app import whatsapp_templates

    print(asyncio.run(whatsapp_templates(_settings(), submit=args.kirim)))
    return 0


def _commands(
    p: argparse.ArgumentParser, dest: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return p.add_subparsers(dest=dest, required=True, title="perintah", metavar="PERINTAH")


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="sopbot", description="Bot SOP kantor KPU di Telegram dan WhatsApp.")
    sub = _commands(p, "command")

    sop = _commands(sub.add_parser("sop", help="periksa dan tampilkan berkas SOP"), "sop_command")
    check = sop.add_parser(
        "check",
        help="validasi semua SOP dan tampilkan ringkasannya",
        description="Periksa SOP bawaan dan SOP kantor (folder SOP_DIRS, atau FOLDER bila "
        "disebut); semua kesalahan setiap berkas disebut sekaligus, dengan baris dan langkahnya.",
    )
    check.add_argument(
        "dir",
        nargs="?",
        metavar="FOLDER",
        help="folder SOP kantor yang diperiksa (bersama SOP bawaan)",
    )
    check.set_defaults(func=_sop_check)
    show = sop.add_parser("show", help="tampilkan satu SOP seperti formulirnya")
    show.add_argument("code", metavar="KODE", help="kode SOP, mis. kapuas-medsos-jdih")
    show.add_argument(
        "--png", metavar="BERKAS", help="gambar diagram alir SOP ke berkas PNG (nama *.png)"
    )
    show.add_argument(
        "--lengkap",
        action="store_true",
        help="bersama --png: sertakan kolom Kelengkapan dan Output seperti formulir cetak",
    )
    show.set_defaults(func=_sop_show)

    run = sub.add_parser("run", help="jalankan bot (long polling, atau webhook bila diatur)")
    run.set_defaults(func=_run)
    demo = sub.add_parser(
        "demo",
        help="coba bot tanpa token: satu SOP Kapuas dimainkan di Telegram dan WhatsApp tiruan",
    )
    demo.add_argument(
        "--simpan",
        metavar="BERKAS",
        help="simpan basis data demo ke BERKAS (mis. data/demo.db) untuk dicoba dengan report "
        "dan audit sesudahnya",
    )
    demo.set_defaults(func=_demo)

    office = _commands(sub.add_parser("office", help="kantor"), "office_command")
    imp = office.add_parser("import", help="buat atau perbarui kantor dari berkas YAML")
    imp.add_argument(
        "file",
        metavar="BERKAS",
        help="berkas kantor, mis. bot/office/examples/kpu-kabupaten-kapuas.yaml",
    )
    imp.add_argument(
        "--database", metavar="BERKAS", help="berkas basis data (bawaan: DATABASE_PATH)"
    )
    imp.set_defaults(func=_office_import)

    audit = _commands(sub.add_parser("audit", help="jejak audit"), "audit_command")
    verify = audit.add_parser("verify", help="hitung ulang rantai hash jejak audit")
    verify.add_argument(
        "--database", metavar="BERKAS", help="berkas basis data (bawaan: DATABASE_PATH)"
    )
    verify.set_defaults(func=_audit_verify)
    add_audit_export_arguments(audit)
    add_report_arguments(sub)

    whatsapp = _commands(sub.add_parser("whatsapp", help="WhatsApp Business"), "whatsapp_command")
    tmpl = whatsapp.add_parser(
        "templates", help="templat pesan yang diperlukan bot di luar jendela 24 jam"
    )
    tmpl.add_argument(
        "--kirim", action="store_true", help="ajukan templatnya untuk disetujui lewat Cloud API"
    )
    tmpl.set_defaults(func=_whatsapp_templates)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from bot.settings import ConfigError

    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
