"""Use cases: what happens for each command, button and form, over the database."""
