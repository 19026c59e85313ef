"""Who is the city data authority (access.md: a configured group of users, or sysadmin).

The roles live in :mod:`ckanext.lyg.access.roles`; this is the catalog's
context-based entry point.
"""

from __future__ import annotations

from ckan.types import Context
from ckanext.lyg.access import roles


def is_data_authority(context: Context) -> bool:
    """Sysadmins (also the site user of the seeder, harvesters and CLI) and
    the users of the data-authority role (``ckanext.lyg.data_authority_users``
    or the admin page).  An ``ignore_auth`` context is not enough: CKAN sets
    it on internal calls made for ordinary users."""
    return roles.is_data_authority(context.get("user") or "")
