"""The Linear tracker connector. Its ``[connectors.<name>]`` model (``type = "linear"``)
reaches the config loader through the connector registry."""

from opsync.connectors.linear.config import LabelMap, LinearConnectorConfig, LinearWriteBack

__all__ = ["LabelMap", "LinearConnectorConfig", "LinearWriteBack"]
