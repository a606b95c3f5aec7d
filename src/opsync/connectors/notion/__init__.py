"""The Notion connector. Importing the package registers its ``[connectors.<name>]`` model
(``type = "notion"``) with opsync's config loader."""

from opsync.connectors.notion.mapping import CollectionMapping, NotionConnectorConfig

__all__ = ["CollectionMapping", "NotionConnectorConfig"]
