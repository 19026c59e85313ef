"""Who sees what (``spec/access.md``): portal mode, roles, the one access rule,
permission labels and the audit log.

Every path that shows an entry or its data asks :mod:`.rule` (one module);
nothing else decides visibility.
"""
