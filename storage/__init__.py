"""PartnerUp's memory: SQLAlchemy models, database sessions, migrations and event-file loading."""
