"""Helpers shared by the test layers: a settable clock, database URLs, incoming-event builders."""
