"""Surfaces that translate a chat platform (or the terminal) to and from the core."""
