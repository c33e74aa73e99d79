"""The doors into the assistant: one thin package per platform (``slack``, ``console``; later ``teams``)."""
