"""Log records without request values: tracebacks and exception messages can quote the body that was
sent (pydantic puts the input into its messages), so only the exception's type reaches the log."""

from __future__ import annotations

import logging


class DropValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__}; details withheld from the log)"
            record.args = None
            record.exc_info, record.exc_text = None, None
        return True


def install_redaction() -> None:
    """Put the filter on every handler the server configured (called in the worker, not at import)."""
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if not any(isinstance(f, DropValues) for f in handler.filters):
                handler.addFilter(DropValues())
