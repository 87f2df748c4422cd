"""Both surfaces' fixtures, so one test can drive Slack and Teams on the same server and database."""

from tests.integration.slack.conftest import fake_slack, slack
from tests.integration.teams.conftest import connector, teams

__all__ = ["connector", "fake_slack", "slack", "teams"]
