"""Errors a user can act on: each carries a one-line message naming the problem."""

from newsqa.text.control import one_line


class NewsqaError(Exception):
    """Base class; the CLI and the bot print ``str(err)`` as a single line."""


class IndexMissingError(NewsqaError):
    """The index directory holds no newsqa index yet."""


class ModelMismatchError(NewsqaError):
    """The index was built with another embedding model than the one configured."""


class LoadError(NewsqaError):
    """An input file or record could not be read; ``where`` is ``file`` or ``file:line``.

    Both parts come from the input (a file name, a parser's message quoting it), so each is
    made one printable line of bounded length (:func:`one_line`) before it is reported.
    """

    def __init__(self, where: str, reason: str) -> None:
        where, reason = one_line(where, 500), one_line(reason)
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class LoadSkip(LoadError):
    """Input that is deliberately not an article (a WARC's images, redirects, 404 pages).

    Reported and counted under ``skipped`` rather than ``failed``: nothing is wrong with it,
    but the user should see what was left out and why.
    """
