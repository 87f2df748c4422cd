"""Content the product ships with: words for people to read and use, not rules."""
