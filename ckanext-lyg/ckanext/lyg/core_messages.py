"""CKAN core messages whose Chinese translation this portal corrects.

Our ``ckanext-lyg`` catalog is merged after CKAN's own, so a msgid listed
here (and translated in our .po) overrides CKAN's translation.  Listing them
in code keeps them in the extracted template.
"""

from __future__ import annotations

from ckanext.lyg.portal import N_

CORRECTED = (
    N_("Log in"),  # CKAN: 登陆 (a typo) → 登录
    N_("Login"),
    N_("Register"),  # CKAN: 登记 (to file) → 注册 (to sign up)
    N_("Log out"),  # CKAN: 登出 → 退出
)
