"""Generated pages as a target-neutral tree, and their renderers."""

from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    Heading,
    Inline,
    Link,
    ListItem,
    Paragraph,
    Region,
    StatusChip,
    Table,
    Text,
    Tone,
)

__all__ = [
    "Block",
    "BulletList",
    "Document",
    "Heading",
    "Inline",
    "Link",
    "ListItem",
    "Paragraph",
    "Region",
    "StatusChip",
    "Table",
    "Text",
    "Tone",
]
