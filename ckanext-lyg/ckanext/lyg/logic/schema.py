"""Schemas of the lyg actions."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def catalog_show_by_code(not_empty: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {"code": [not_empty, unicode_safe, strip_value]}
