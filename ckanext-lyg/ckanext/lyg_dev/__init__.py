"""Developer and operator tooling for the lyg portal.

``services`` finds or starts PostgreSQL and Redis (system, given by URL, or
embedded), ``config`` renders the ini files and keeps the generated secrets,
``bootstrap`` creates databases, roles, tables and the sysadmin, ``runner``
starts everything under honcho, and ``__main__`` is the CLI the Makefile
calls (``python -m ckanext.lyg_dev run|test|bootstrap|...``).

Nothing here is a CKAN plugin: it works before CKAN can even load.
"""
