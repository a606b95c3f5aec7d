"""Connectors: the only code that knows a tool's API. The engine sees them through
:mod:`opsync.connectors.base` protocols and finds them through entry points."""
