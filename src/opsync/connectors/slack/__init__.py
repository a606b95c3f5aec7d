"""Slack notifier connector (``type = "slack"``), on the official slack-sdk."""
