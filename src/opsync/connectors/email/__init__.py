"""Email notifier (``type = "email"``): ``email:<list>`` and ``email-dm:<person>`` messages
over SMTP with the standard library; see ``notifier.py`` and docs/email.md."""
