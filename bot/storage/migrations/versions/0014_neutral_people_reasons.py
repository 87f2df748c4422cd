"""Reasons stored before the rotation weighed only the people the channel is shown no longer tell who wrote an
anonymous story.

Until then an anonymous story's author counted as featured, so a stored reason that names the people rule
("so the same people are not featured two meetings running", "not the people featured last time") could tell
the channel that the author of last meeting's anonymous story was among the people of an item passed over, or
the other way round. Which items were passed over is not stored, so such a reason cannot be checked after the
fact: in every team whose pool has held an anonymous story or a private shout-out, the people rule in a stored
reason (of agenda items and of the featuring history, which the export and any card shown again read) is said
neutrally instead — still true, naming no people. Teams that never had either keep their reasons as they are.

Going back leaves the reasons as they are now: what they said before is not kept, and the neutral wording stays
true under the older rotation too.

Revision ID: 0014_neutral_people_reasons
Revises: 0013_slack_delivery_claims
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_neutral_people_reasons"
down_revision: str | None = "0013_slack_delivery_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rotation's wording of the people rule, and what is said instead.
EXERCISE = "Picked an exercise so the same people are not featured two meetings running"
EXERCISE_NEUTRAL = "Picked an exercise from the library, next by the rotation's rules"
CLAUSE = "not the people featured last time"
CLAUSE_NEUTRAL = "next by the rotation's rules"


def _neutral(table: str) -> sa.TextClause:
    return sa.text(
        f"UPDATE {table} SET reason = REPLACE(REPLACE(reason, :exercise, :exercise_neutral), :clause, :clause_neutral)"
        f" WHERE (reason LIKE :has_exercise OR reason LIKE :has_clause) AND EXISTS (SELECT 1 FROM moments"
        f" WHERE moments.team_id = {table}.team_id AND (moments.anonymous = :yes OR moments.private = :yes))"
    ).bindparams(
        sa.bindparam("yes", True, type_=sa.Boolean()),
        exercise=EXERCISE,
        exercise_neutral=EXERCISE_NEUTRAL,
        clause=CLAUSE,
        clause_neutral=CLAUSE_NEUTRAL,
        has_exercise=f"%{EXERCISE}%",
        has_clause=f"%{CLAUSE}%",
    )


def upgrade() -> None:
    for table in ("agenda_items", "featurings"):
        op.execute(_neutral(table))


def downgrade() -> None:
    pass
