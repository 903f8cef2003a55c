"""``python -m lambdahost``: the command line, where the ``lambdahost`` script is not on PATH."""

from .cli import main

main()
