"""Tests that configure the process's logging (bot.logs) put the previous one back afterwards."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import structlog


@contextmanager
def logging_restored() -> Iterator[None]:
    """Inside, configure logging as the test needs; on leaving, the root logger's handlers and
    level, warnings capture and structlog's defaults are as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)
        structlog.reset_defaults()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The test configures the process's logging; put it back afterwards."""
    with logging_restored():
        yield
