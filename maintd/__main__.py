"""`python -m maintd` runs the command line."""

from maintd.cli import main

main()
