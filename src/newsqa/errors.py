"""Errors a user can act on: each carries a one-line message naming the problem."""


class NewsqaError(Exception):
    """Base class; the CLI and the bot print ``str(err)`` as a single line."""


class IndexMissingError(NewsqaError):
    """The index directory holds no newsqa index yet."""


class ModelMismatchError(NewsqaError):
    """The index was built with another embedding model than the one configured."""


class LoadError(NewsqaError):
    """An input file or record could not be read; ``where`` is ``file`` or ``file:line``."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class LoadSkip(LoadError):
    """Input that is deliberately not an article (a WARC's images, redirects, 404 pages).

    Reported and counted under ``skipped`` rather than ``failed``: nothing is wrong with it,
    but the user should see what was left out and why.
    """
