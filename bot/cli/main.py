"""The ``sopbot`` command line (``python -m bot`` does the same)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.reports import add_audit_export_arguments, add_report_arguments, cmd_sop_png
from bot.settings import ConfigError, Settings
from bot.words.sop_form import catalogue, form
from sop.loader import SopFileError, load_catalog
from storage.db import Database


def _settings() -> Settings:
    return Settings()


def _sop_check(args: argparse.Namespace) -> int:
    extra = [Path(args.dir)] if args.dir else list(_settings().sop_dirs)
    try:
        catalog = load_catalog(extra)
    except SopFileError as exc:
        print("Berkas SOP bermasalah:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    print(catalogue(catalog.all()))
    return 0


def _sop_show(args: argparse.Namespace) -> int:
    if args.png:
        return cmd_sop_png(args.code, Path(args.png), list(_settings().sop_dirs))
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
    print(form(defn, catalog.roles))
    return 0


async def _audit_verify_async(path: Path) -> int:
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
    if not path.exists():
        print(f"Basis data {path} tidak ditemukan.", file=sys.stderr)
        return 2
    return asyncio.run(_audit_verify_async(path))


def _run(args: argparse.Namespace) -> int:
    from bot.app import SopBot
    from bot.logs import setup_logging

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
    from bot.office.files import OfficeFileError, read_office_file

    catalog = load_catalog(settings.sop_dirs)
    try:
        data = read_office_file(path, catalog)
    except OfficeFileError as exc:
        print(f"Berkas kantor {path.name} ditolak, tidak ada yang diubah:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    db = await Database.open(settings.database_path)
    try:
        admin = Admin(db, catalog, SystemClock(), admins=settings.admin_identities())
        report = await admin.import_office(data)
    finally:
        await db.close()
    print("\n".join(report.lines()))
    return 0


def _office_import(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.database:
        settings.database_path = Path(args.database)
    try:
        return asyncio.run(_office_import_async(Path(args.file), settings))
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
    return demo_main(_settings().log_level)


def _whatsapp_templates(args: argparse.Namespace) -> int:
    from bot.app import whatsapp_templates

    print(asyncio.run(whatsapp_templates(_settings(), submit=args.kirim)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sopbot", description="Bot SOP kantor KPU di Telegram dan WhatsApp."
    )
    sub = p.add_subparsers(dest="command", required=True)

    sop = sub.add_parser("sop", help="periksa dan tampilkan berkas SOP").add_subparsers(
        dest="sop_command", required=True
    )
    check = sop.add_parser("check", help="validasi semua SOP dan tampilkan ringkasannya")
    check.add_argument("dir", nargs="?", help="folder SOP tambahan yang diperiksa (selain bawaan)")
    check.set_defaults(func=_sop_check)
    show = sop.add_parser("show", help="tampilkan satu SOP seperti formulirnya")
    show.add_argument("code", help="kode SOP, mis. kapuas-medsos-jdih")
    show.add_argument("--png", metavar="BERKAS", help="gambar diagram alir SOP ke berkas PNG")
    show.set_defaults(func=_sop_show)

    run = sub.add_parser("run", help="jalankan bot (long polling, atau webhook bila diatur)")
    run.set_defaults(func=_run)
    demo = sub.add_parser(
        "demo", help="coba bot tanpa token: satu SOP Kapuas dimainkan di Telegram tiruan"
    )
    demo.set_defaults(func=_demo)

    office = sub.add_parser("office", help="kantor").add_subparsers(
        dest="office_command", required=True
    )
    imp = office.add_parser("import", help="buat atau perbarui kantor dari berkas YAML")
    imp.add_argument(
        "file", help="berkas kantor, mis. bot/office/examples/kpu-kabupaten-kapuas.yaml"
    )
    imp.add_argument("--database", help="berkas basis data (bawaan: DATABASE_PATH)")
    imp.set_defaults(func=_office_import)

    audit = sub.add_parser("audit", help="jejak audit").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="hitung ulang rantai hash jejak audit")
    verify.add_argument("--database", help="berkas basis data (bawaan: DATABASE_PATH)")
    verify.set_defaults(func=_audit_verify)
    add_audit_export_arguments(audit)
    add_report_arguments(sub)

    whatsapp = sub.add_parser("whatsapp", help="WhatsApp Business").add_subparsers(
        dest="whatsapp_command", required=True
    )
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
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
