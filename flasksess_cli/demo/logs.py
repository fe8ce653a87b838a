"""The demo's log lines, which no request can forge or use to reach the operator's terminal.

A request path (``/%0d%0a...`` decodes to CR LF), a username, a forwarded address or a
cookie is untrusted text; logged raw it could start a forged log line or send ESC and
OSC sequences to the terminal the server runs in. :class:`EscapedFormatter` escapes
every non-printable character of the message, and of each line of a traceback, for the
app's logger and Werkzeug's request log alike.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flasksess_cli.untrusted import printable, printable_lines

#: Flask's default log format (``flask.logging.default_handler``).
FLASK_FORMAT = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"


class EscapedFormatter(logging.Formatter):
    """Formats a record with its message on one line, every non-printable character escaped.

    ``keep_colours`` keeps SGR sequences (``ESC[31m``), for Werkzeug's request log: Werkzeug
    colours its lines itself, and escapes every control character of the request line
    first, so that any ESC left in its message is its own.
    """

    def __init__(self, fmt: str, *, keep_colours: bool = False) -> None:
        super().__init__(fmt)
        self.keep_colours = keep_colours

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)  # other handlers still see the record as logged
        message = record.getMessage()
        if self.keep_colours:
            parts = _SGR.split(message)
            colours = _SGR.findall(message)
            copy.msg = "".join(printable(part) + colour for part, colour in zip(parts, [*colours, ""], strict=True))
        else:
            copy.msg = printable(message)
        copy.args = None
        return super().format(copy)

    def formatException(self, ei: Any) -> str:
        return printable_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return printable_lines(super().formatStack(stack_info))


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def escape_logs(logger: logging.Logger, stream: Any, fmt: str, *, keep_colours: bool = False) -> None:
    """Give ``logger`` one handler writing to ``stream`` through an :class:`EscapedFormatter`, in place of its own.

    Idempotent: the demo's apps share one logger.
    """
    for handler in list(logger.handlers):
        if not isinstance(handler.formatter, EscapedFormatter):
            logger.removeHandler(handler)
    if not logger.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(EscapedFormatter(fmt, keep_colours=keep_colours))
        logger.addHandler(handler)
