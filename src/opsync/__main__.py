"""``python -m opsync``."""

from opsync.cli.app import main

main()
