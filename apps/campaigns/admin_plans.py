"""Products and campaigns in the back office (imported by apps/campaigns/admin.py)."""
