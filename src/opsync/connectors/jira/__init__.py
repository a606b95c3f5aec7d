"""The Jira tracker connector. Importing the package registers its ``[connectors.<name>]``
model (``type = "jira"``) with opsync's config loader."""

from opsync.connectors.jira.config import FieldMap, JiraConnectorConfig

__all__ = ["FieldMap", "JiraConnectorConfig"]
