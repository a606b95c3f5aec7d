"""The Jira tracker connector. Its ``[connectors.<name>]`` model
(``type = "jira"``) reaches the config loader through the connector registry."""

from opsync.connectors.jira.config import FieldMap, JiraConnectorConfig

__all__ = ["FieldMap", "JiraConnectorConfig"]
