"""`python -m pipeline` is the `xxgk` command."""

from pipeline.cli import main

main()
