"""Packaging for ckanext-lyg: the extension, its search engine and harvesters.

Metadata lives in pyproject.toml; this file only maps the three source
folders (``ckanext-lyg/``, ``harvesters/``) onto importable ``ckanext.*``
names, which pyproject alone cannot express for a multi-root layout.
"""

from setuptools import setup

setup(
    package_dir={
        "ckanext.lyg": "ckanext-lyg/ckanext/lyg",
        "ckanext.lyg_search": "ckanext-lyg/ckanext/lyg_search",
        "ckanext.lyg_harvest": "harvesters/ckanext/lyg_harvest",
        "ckanext.lyg_dev": "ckanext-lyg/ckanext/lyg_dev",
    },
    packages=[
        "ckanext.lyg",
        "ckanext.lyg_search",
        "ckanext.lyg_harvest",
        "ckanext.lyg_dev",
    ],
)
