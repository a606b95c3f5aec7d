"""The embedded local workspace: tracker file, wiki folder of Markdown records, pages."""
