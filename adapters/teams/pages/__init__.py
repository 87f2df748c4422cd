"""The Teams tab's static assets: its script files and style sheet (served by :mod:`adapters.teams.tab`)."""
