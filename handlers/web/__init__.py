"""Web pages served by the same process as the chat doors: the organisers' dashboard and its printouts."""
