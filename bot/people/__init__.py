"""The attendees: the organisers' registration list brought in as partnering profiles, and linked to chat
accounts by email through a port each door implements (:class:`bot.people.accounts.AccountFinder`)."""
