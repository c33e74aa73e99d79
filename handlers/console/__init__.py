"""The local console: the same assistant, typed into a terminal, no Slack needed."""
