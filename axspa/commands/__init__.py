"""Subcommands of the ``axspa`` command line, one module each (see axspa/cli.py)."""
