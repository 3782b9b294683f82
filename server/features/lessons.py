"""The lesson bank as the editor sees it: `lessonl/lessons` (list or search) and
`lessonl/forget`. Reading never creates `.lessonl/`; bank I/O runs off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lessonl.bank import LessonBank
from lessonl.state import StateDir

from .. import wire
from ..session import LessonLServer

#: How many lessons `lessonl/lessons` returns when the client names no limit.
DEFAULT_LIMIT = 50


def read_lessons(bank_path: Path, query: str | None, limit: int) -> list[dict[str, Any]]:
    """Public lesson records, newest first or by relevance to `query` (blocking)."""
    if not bank_path.exists():
        return []  # reading must not create .lessonl/ as a side effect
    with LessonBank(bank_path, read_only=True) as bank:
        found = bank.search(query, limit) if query else list(reversed(bank.all()))[:limit]
        return [lesson.public_json() for lesson in found]


def forget_lesson(bank_path: Path, lesson_id: str) -> bool:
    """Remove one lesson; False when there is no bank or no such lesson (blocking)."""
    if not bank_path.exists():
        return False
    with LessonBank(bank_path) as bank:
        return bank.forget(lesson_id)


def register(server: LessonLServer) -> None:
    @server.feature(wire.LESSONS)
    @wire.reports_errors(wire.LESSONS)
    async def lessons_request(ls: LessonLServer, params: Any) -> list[dict[str, Any]]:
        p = wire.parse(wire.LessonsParams, params, wire.LESSONS)
        limit = DEFAULT_LIMIT if p.limit is None else max(p.limit, 0)
        bank_path = StateDir(await ls.project_root(p.uri)).bank
        return await asyncio.to_thread(read_lessons, bank_path, p.query, limit)

    @server.feature(wire.FORGET)
    @wire.reports_errors(wire.FORGET)
    async def forget_request(ls: LessonLServer, params: Any) -> dict[str, bool]:
        p = wire.parse(wire.ForgetParams, params, wire.FORGET)
        bank_path = StateDir(await ls.project_root(p.uri)).bank
        return {"forgotten": await asyncio.to_thread(forget_lesson, bank_path, p.id)}
