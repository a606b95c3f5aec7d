"""Loopback emulators of external APIs, faithful to their documented limits and failures.

`opsync.testing.emulators.notion.NotionEmulator` is the Notion one; it is not re-exported
here so that `python -m opsync.testing.emulators.notion` runs without a double import.
"""
