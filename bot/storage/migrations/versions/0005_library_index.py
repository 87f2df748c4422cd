"""The library-exercise index covers only library rows, so it stays tiny however large the pool grows.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("library_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_moments_library", table_name="moments")
    op.create_index(
        "ix_moments_library", "moments", ["workspace_id", "library_key"], sqlite_where=WHERE, postgresql_where=WHERE
    )


def downgrade() -> None:
    op.drop_index("ix_moments_library", table_name="moments")
    op.create_index("ix_moments_library", "moments", ["workspace_id", "library_key"])
