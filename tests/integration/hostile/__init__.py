"""Hostile input through the real HTTP server: every entry point fuzzed; never a 500, a half-save or a leak."""
