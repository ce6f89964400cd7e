"""code submissions: a submission's kind, its run's outcome, time bucket and scoring-side log

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='predictions'))
        batch.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('run_bucket', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('log_path', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('log_path')
        batch.drop_column('run_bucket')
        batch.drop_column('outcome')
        batch.drop_column('kind')
