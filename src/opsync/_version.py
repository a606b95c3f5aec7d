"""The version of opsync, in a module of its own so that any layer can name it (a read
cache row records the version that wrote it) without importing the whole package."""

__version__ = "0.1.0"
