"""package_create with random catalog field values: success or ValidationError."""

from __future__ import annotations

import itertools

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests.helpers import call_action
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import VALID

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=12)
ANY = st.one_of(st.none(), TEXT, st.integers(-5, 10**20), st.booleans(), st.floats(allow_nan=True),
                st.lists(TEXT, max_size=3), st.dictionaries(TEXT, TEXT, max_size=2))
ENUMS = {
    "share_type": ["unconditional", "conditional", "none"],
    "open_type": ["unconditional", "conditional", "none"],
    "share_review": ["pending", "confirmed", ""],
    "update_cycle": ["实时", "每日", "每年", "不定期"],
    "format_class": ["电子文件", "电子表格", "数据库", "服务接口", "自描述格式", "图形图像"],
    "format_type": ["xlsx", "pdf", "mysql", "REST", "其他", "png"],
    "share_mode_class": ["共享平台方式", "邮件或介质方式", ""],
    "share_mode_type": ["接口", "数据库", "文件", ""],
    "catalog_class": ["1", "2", "3"],
    "catalog_item": ["01", "02", "06", "12", "15"],
    "catalog_sub": ["001", "002", "", "005"],
    "catalog_detail": ["", "001", "002"],
    "data_level": ["一般", "核心"],
    "area_scope": ["全市", "东海县"],
    "issued": ["2024-01-01", "2024-02-30"],
    "temporal_start": ["2020-01-01"],
    "temporal_end": ["2019-01-01", "2021-01-01"],
    "resource_code": ["", "101001/000001", "101001001/000002"],
    "related_codes": [[], ["101001/000001"]],
    "record_count": ["10", "-1"],
}
INFO_ITEM = st.fixed_dictionaries({}, optional={
    "name": st.one_of(TEXT, st.sampled_from(["姓名", "代码"])),
    "data_type": st.one_of(st.sampled_from(["C", "N", "D", "Z"]), ANY),
    "length": ANY, "description": ANY, "is_key": ANY, "sensitive": ANY,
})
FIELD = st.sampled_from(sorted(ENUMS) + ["info_items", "title", "notes", "share_condition", "share_basis",
                                         "open_condition", "spatial", "storage_size", "source_system"])


@st.composite
def changes(draw):
    result = {}
    for key in draw(st.lists(FIELD, max_size=6, unique=True)):
        if key == "info_items":
            result[key] = draw(st.one_of(st.lists(INFO_ITEM, max_size=3), ANY))
        elif key in ENUMS and draw(st.booleans()):
            result[key] = draw(st.sampled_from(ENUMS[key]))
        else:
            result[key] = draw(ANY)
    return result


counter = itertools.count()


@pytest.mark.usefixtures("clean_db")
def test_random_fields_give_success_or_validation_error(sysadmin, org):
    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(changes())
    def run(change):
        data = dict(VALID, name=f"p-{next(counter)}", owner_org=org["id"], **change)
        try:
            pkg = call_action("package_create", context={"user": sysadmin["name"]}, **data)
        except tk.ValidationError:
            model.Session.rollback()
            return
        assert pkg["resource_code"]

    run()
