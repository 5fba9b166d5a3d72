"""Files the bot keeps: handed-in documents and photos, whatever channel they came from, so they
can be sent on any channel later and put in the archive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from storage.base import Repo, from_ts, ts


@dataclass(frozen=True)
class StoredFile:
    id: int
    origin: str | None
    origin_ref: str | None
    name: str
    mime_type: str | None
    size: int
    sha256: str
    data: bytes
    created_at: datetime


class Files(Repo):
    async def store(
        self,
        name: str,
        mime_type: str | None,
        data: bytes,
        now: datetime,
        *,
        origin: str | None = None,
        origin_ref: str | None = None,
    ) -> int:
        return await self._insert(
            "INSERT INTO files (origin, origin_ref, name, mime_type, size, sha256, data, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                origin,
                origin_ref,
                name,
                mime_type,
                len(data),
                hashlib.sha256(data).hexdigest(),
                data,
                ts(now),
            ),
        )

    async def get(self, file_id: int) -> StoredFile | None:
        row = await self._one("SELECT * FROM files WHERE id = ?", (file_id,))
        if row is None:
            return None
        return StoredFile(
            id=row["id"],
            origin=row["origin"],
            origin_ref=row["origin_ref"],
            name=row["name"],
            mime_type=row["mime_type"],
            size=row["size"],
            sha256=row["sha256"],
            data=bytes(row["data"]),
            created_at=from_ts(row["created_at"]),
        )
