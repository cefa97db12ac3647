"""Roles → ledger: menu entries, home queues and permission rules for the ledger's pages.

The ledger knows no domain app (DESIGN §2), so the mapping from roles to what they may
do in the ledger lives here, in the lowest app that may import both accounts and ledger.
"""


def register() -> None:
    """Registered from FundingConfig.ready(); filled in by the ledger capability."""
