"""``python -m newsqa.cli``: the same as the ``newsqa`` command."""

from newsqa.cli import main

main()
