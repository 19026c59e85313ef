"""Who is the city data authority (access.md: a configured group of users, or sysadmin)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context


def is_data_authority(context: Context) -> bool:
    """Sysadmins (also the site user of the seeder, harvesters and CLI) and
    the users listed in ``ckanext.lyg.data_authority_users``.  An
    ``ignore_auth`` context is not enough: CKAN sets it on internal calls
    made for ordinary users."""
    user = context.get("user") or ""
    if not user:
        return False
    if authz.is_sysadmin(user):
        return True
    return user in tk.config.get("ckanext.lyg.data_authority_users")
