"""The Slack and Teams servers of the surface tests, reused as they are (fixtures re-exported here)."""

from __future__ import annotations

from tests.integration.slack.conftest import fake_slack, slack, slack_oauth
from tests.integration.teams.conftest import connector, teams

__all__ = ["connector", "fake_slack", "slack", "slack_oauth", "teams"]
