"""The organisers' dashboard, read-only: the numbers, the table plan, everyone's itinerary, and the
one-time sign-in links that open it. Pages and PDFs are drawn by ``handlers/web``; this package only
answers questions about the event (it changes nothing but its own sign-in tokens)."""
