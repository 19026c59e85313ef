"""Harvesters of department systems for the Lianyungang catalog (ckanext-harvest).

One ``IHarvester`` class per source type (``lyg_json``, ``lyg_sql``), on a
shared base (:mod:`.base`). Downloading (:mod:`.download`) is separate from
mapping (:mod:`.mapping`, pure functions) and from the source configuration
(:mod:`.config`, pure validation).
"""
