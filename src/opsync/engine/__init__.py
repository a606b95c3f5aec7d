"""The engine: desired state from the rules, a plan (pure data), applied through the journal."""
