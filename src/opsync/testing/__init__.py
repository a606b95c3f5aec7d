"""Test support shipped with opsync: emulators of the services connectors speak to.

`opsync.testing.pytest_plugin` turns them into pytest fixtures (`notion_emulator`).
"""
