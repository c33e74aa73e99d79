"""PartnerUp's platform-neutral core: what the assistant knows and decides.

Nothing in this package imports a chat platform SDK; adapters live in ``handlers/``.
"""
