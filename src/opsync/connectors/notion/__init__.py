"""The Notion connector. Importing the package registers its ``[connectors.<name>]`` model
(``type = "notion"``) with opsync's config loader."""

from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig

__all__ = ["CollectionMapping", "NotionConnectorConfig"]
