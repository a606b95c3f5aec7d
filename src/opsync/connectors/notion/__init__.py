"""The Notion connector. Its ``[connectors.<name>]`` model
(``type = "notion"``) reaches the config loader through the connector registry."""

from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig

__all__ = ["CollectionMapping", "NotionConnectorConfig"]
