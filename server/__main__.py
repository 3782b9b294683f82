"""`lessonl-lsp` / `python -m lessonl_server`: the language server on stdio.

stdout is the protocol, so logging goes to stderr only. The `pygls` logger stays at WARNING:
at INFO it logs every message body, i.e. whole files, prompts and proposals. pygls also logs
every request error with a traceback at ERROR; for errors we raised on purpose (a user's
`LessonLError`, a cancelled request) that is noise, so `_ExpectedErrors` drops those records.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from lessonl import __version__

from . import wire


class _ExpectedErrors(logging.Filter):
    """Drops pygls's traceback records for user errors and cancellations (we log those)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, JsonRpcRequestCancelled):
            return False
        return not (isinstance(exc, JsonRpcException) and exc.code == wire.REQUEST_FAILED)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ExpectedErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pygls").setLevel(max(logging.WARNING, root.level))
    # The SDKs log request details (headers included) at DEBUG; never let them near a key.
    for noisy in ("openai", "anthropic", "httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lessonl-lsp", description="The LessonL language server (LSP on stdio)."
    )
    parser.add_argument("--version", action="version", version=f"lessonl-lsp {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (default INFO; pygls stays at WARNING)",
    )
    # vscode-languageclient appends --stdio for the stdio transport; stdio is all we speak.
    parser.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    configure_logging(args.log_level)

    from .server import build_server

    build_server().start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
