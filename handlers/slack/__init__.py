"""Slack adapter: Bolt listeners grouped by Slack surface, and Block Kit rendering."""
