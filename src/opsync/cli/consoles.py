"""The CLI's two consoles, made on first use: rich costs a few tens of milliseconds to import,
and a quiet cron run that has nothing to say never needs it (issue 19, cron start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """Stands for a :class:`rich.console.Console`, built with ``options`` when first used."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def lazy_console(*, stderr: bool = False, soft_wrap: bool = False) -> Console:
    """A console to standard output (or error) that imports rich when first used."""
    return cast("Console", _LazyConsole(stderr=stderr, soft_wrap=soft_wrap))


def escape(text: str) -> str:
    """:func:`rich.markup.escape`, imported when text is first escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)
