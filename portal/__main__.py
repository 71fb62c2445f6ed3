"""`python -m portal`: the same commands as the `portal` script."""

from portal.cli import main

main()
