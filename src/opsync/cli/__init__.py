"""The command line (typer + rich). Only this package imports them; it calls opsync.api."""
