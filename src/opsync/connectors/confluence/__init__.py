"""Confluence as the wiki: generated pages and one page per record, Cloud and Data Center."""
