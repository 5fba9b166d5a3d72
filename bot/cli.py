"""The ``sopbot`` command line (``python -m bot`` does the same)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.sop_text import catalogue, form
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sopbot", description="Bot SOP kantor KPU di Telegram.")
    sub = p.add_subparsers(dest="command", required=True)

    sop = sub.add_parser("sop", help="periksa dan tampilkan berkas SOP").add_subparsers(
        dest="sop_command", required=True
    )
    check = sop.add_parser("check", help="validasi semua SOP dan tampilkan ringkasannya")
    check.add_argument("dir", nargs="?", help="folder SOP tambahan yang diperiksa (selain bawaan)")
    check.set_defaults(func=_sop_check)
    show = sop.add_parser("show", help="tampilkan satu SOP seperti formulirnya")
    show.add_argument("code", help="kode SOP, mis. kapuas-medsos-jdih")
    show.set_defaults(func=_sop_show)

    audit = sub.add_parser("audit", help="jejak audit").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="hitung ulang rantai hash jejak audit")
    verify.add_argument("--database", help="berkas basis data (bawaan: DATABASE_PATH)")
    verify.set_defaults(func=_audit_verify)
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
