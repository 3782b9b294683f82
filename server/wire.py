"""The wire shapes of our custom methods and how errors reach the client.

pygls hands custom methods' params over as namedtuples (its fallback for methods lsprotocol does
not know); `params_converter` keeps them as plain JSON instead and `parse` structures them into
the attrs classes below with lsprotocol's converter, so field names are snake_case in Python and
camelCase on the wire, exactly like the LSP types. Unknown keys are ignored (a newer extension may
send more).

Errors: every handler goes through `reports_errors`, the one mapping. A `LessonLError` is the
user's to fix, so it becomes a `RequestFailed` response error whose message is its one line and
whose `data` carries what a client can act on without parsing the prose (`error_data`). Anything
else is our bug: the traceback goes to the server's stderr log and the client gets one line saying
so, never the traceback (pygls would put it in `data`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, ParamSpec, Protocol, TypeVar, cast

import attrs
import cattrs
from lsprotocol import converters, types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from lessonl.errors import LessonLError

log = logging.getLogger(__name__)

OPTIMIZE = "lessonl/optimize"
STATUS = "lessonl/status"
LESSONS = "lessonl/lessons"
FORGET = "lessonl/forget"
FEEDBACK = "lessonl/feedback"
CMD_OPTIMIZE = "lessonl.optimize"
CMD_SETUP = "lessonl.setup"

REQUEST_FAILED = types.LSPErrorCodes.RequestFailed.value


@attrs.define
class OptimizeParams:
    """`lessonl/optimize` params, and the one argument of the `lessonl.optimize` command."""

    uri: str
    version: int | None = None
    function: str | None = None
    range: types.Range | None = None
    #: The `[[targets]]` entry by name; needed only when several targets cover the file.
    target: str | None = None
    work_done_token: int | str | None = None


@attrs.define
class SetupArgs:
    """The one argument of the `lessonl.setup` command."""

    uri: str


@attrs.define
class LessonsParams:
    """`lessonl/lessons`; `uri` (ours) picks the project, else the first workspace folder."""

    query: str | None = None
    limit: int | None = None
    uri: str | None = None


@attrs.define
class ForgetParams:
    """`lessonl/forget` (our agreed extension); `uri` as for `lessonl/lessons`."""

    id: str
    uri: str | None = None


@attrs.define
class FeedbackParams:
    """`lessonl/feedback`: the user accepted or rejected a proposal."""

    proposal_id: str
    accepted: bool


_converter = converters.get_converter()
T = TypeVar("T")
P = ParamSpec("P")


def parse(cls: type[T], params: Any, method: str) -> T:
    """Structure raw JSON params into `cls`, or raise InvalidParams with a one-line reason."""
    if params is None:
        params = {}
    try:
        return _converter.structure(params, cls)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            reason = "; ".join(cattrs.transform_error(exc))
        else:
            reason = str(exc)
        raise JsonRpcInvalidParams(f"{method}: invalid params: {reason}") from exc


def to_json(value: Any) -> Any:
    """An lsprotocol/attrs value as JSON-ready data (camelCase keys)."""
    return _converter.unstructure(value)


def _keep_params(obj: dict[str, Any], cls: type) -> Any:
    return cls(**obj)


def params_converter() -> cattrs.Converter:
    """pygls's converter, minus the namedtuple conversion of unknown methods' params/results."""
    conv = converters.get_converter()
    conv.register_structure_hook(JsonRPCRequestMessage, _keep_params)
    conv.register_structure_hook(JsonRPCResponseMessage, _keep_params)
    conv.register_structure_hook(JsonRPCNotification, _keep_params)
    return conv


def one_line(text: str) -> str:
    return " ".join(text.split())


def error_data(exc: LessonLError) -> dict[str, Any] | None:
    """What a client can act on without parsing the prose: the engine's `data` (`needs`,
    `file`, ...), with `targets` when the run needs one chosen among several (`AmbiguousTarget`)
    and `setting` as editors name it (`lessonl.rounds`, not the `[run]` key), so a client can
    open it. None when there is nothing."""
    from lessonl.config import AmbiguousTarget

    from .settings import editor_setting

    data = dict(exc.data)
    if isinstance(exc, AmbiguousTarget):
        data["targets"] = list(exc.names)
    if isinstance(data.get("setting"), str):
        data["setting"] = editor_setting(data["setting"])
    return data or None


def request_error(exc: LessonLError) -> JsonRpcException:
    """`RequestFailed` with the error's one line and its structured `data` (`error_data`)."""
    return JsonRpcException(message=str(exc), code=REQUEST_FAILED, data=error_data(exc))


def internal_error(exc: BaseException) -> JsonRpcException:
    """What the client sees of a bug: one line, no traceback (that is in our stderr log)."""
    return JsonRpcInternalError(
        message=one_line(
            f"internal error in the LessonL server: {type(exc).__name__}: {exc} "
            "(details in the server log; please report it)"
        )
    )


class Shows(Protocol):
    """What the "message" reply needs of the server: `window/showMessage`."""

    def show(self, kind: types.MessageType, message: str) -> None: ...


Reply = Literal["error", "message"]


def reports_errors(
    method: str, *, reply: Reply = "error", context: str = ""
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T | None]]]:
    """The one error mapping of every handler (requests, commands, notifications).

    `reply="error"` (requests): a `LessonLError` is a `RequestFailed` response error (one line,
    `data` from `error_data`); a `JsonRpcException` (invalid params) passes as it is; anything
    else is logged with its traceback on stderr and answered with `internal_error`'s one line.

    `reply="message"` (commands and notifications, whose callers, generic editors, often drop
    an error answer or have none): the same three cases are shown with `window/showMessage`
    (`context` goes before the error's line) and the handler returns None. A cancelled
    handler says so, unless the server itself is shutting down (then it stays cancelled).
    The handler's first argument is the server (pygls passes it as `ls`).
    """

    def decorate(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T | None]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T | None:
            try:
                return await fn(*args, **kwargs)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if reply == "error" or (task is not None and task.cancelling()):
                    raise
                line, kind = "LessonL: run cancelled", types.MessageType.Info
            except JsonRpcException as exc:
                if reply == "error":
                    raise
                log.warning("%s: %s", method, exc.message)
                line, kind = f"LessonL: {context}{exc.message}", types.MessageType.Error
            except LessonLError as exc:
                log.info("%s failed: %s", method, exc)
                if reply == "error":
                    raise request_error(exc) from None
                line, kind = f"LessonL: {context}{exc}", types.MessageType.Error
            except Exception as exc:
                log.exception("%s: unexpected error", method)
                if reply == "error":
                    raise internal_error(exc) from None
                line = f"LessonL: {context}{internal_error(exc).message}"
                kind = types.MessageType.Error
            server = cast("Shows", args[0])
            server.show(kind, line)
            return None

        return wrapper

    return decorate
