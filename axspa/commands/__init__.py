"""One module per ``axspa`` verb (see axspa/cli.py): parse the arguments, call the family, print."""
