"""The three workflows of ``spec/access.md``: sharing requests (有条件共享申请),
open-data applications (有条件开放申请) and the not-shared review (不予共享认定).
"""

from ckanext.lyg.workflow import cli as _cli  # noqa: E402

# ``ckan lyg workflow expire``: the ``lyg`` group is ``ckanext/lyg/cli.py``'s
_cli.attach()
