"""One module per ``axspa`` verb (see axspa/cli.py): parse the arguments, call the family, print.

Every numeric option is range-checked by the parser with the types of axspa/commands/options.py (``integer``,
``number``, ``PROBABILITY``, ``SEED``), so a value out of range is argparse's usage error (exit 2),
never a traceback or a silently wrong result."""
