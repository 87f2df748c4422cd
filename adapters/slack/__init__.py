"""The Slack surface: Bolt wiring, payload ↔ neutral type translation, delivery through the Web API.

Everything Slack-specific lives in this package; the product in ``bot/`` never sees a Slack payload.
"""
