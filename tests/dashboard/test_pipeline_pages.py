"""AppTest on data the real pipeline produced: simulator → collectors → scoring engine → snapshot."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from province.registry import load_registry
from tests.dashboard.conftest import PipelineData
from ui import formatting as fmt
from ui.i18n import LANGUAGES, text
from ui.navigation import PAGES

MY_PAGES = ("rankings", "unit_card", "trends", "collection_health", "methodology")


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", MY_PAGES)
def test_every_page_runs_on_pipeline_data(pipeline_signed_in: Callable[..., AppTest], page: str, lang: str) -> None:
    at = pipeline_signed_in("quantri", lang)
    at.switch_page(PAGES[page].path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == text(PAGES[page].title_key, lang)


@pytest.mark.slow
def test_sandbox_units_are_ranked(pipeline_signed_in: Callable[..., AppTest], pipeline_data: PipelineData) -> None:
    departments = {u.code: u.name for u in load_registry(pipeline_data.data_dir / "province.toml").units
                   if u.level == "department" and u.valid_to is None}
    at = pipeline_signed_in("lanhdao")
    table = at.dataframe[0].value
    assert set(table["unit_code"]) == set(departments)
    assert table["rank"].dropna().min() == 1
    assert dict(zip(table["unit_code"], table["name"], strict=True)) == departments


@pytest.mark.slow
def test_unit_that_stopped_reporting_is_provisional_on_ranking_and_card(
    pipeline_signed_in: Callable[..., AppTest], pipeline_data: PipelineData,
) -> None:
    expected = f"Tạm tính — không có dữ liệu từ {fmt.day(pipeline_data.silent_since, 'vi')} (Một cửa điện tử)"
    at = pipeline_signed_in("lanhdao")
    at.segmented_control(key="rankings_level").set_value(pipeline_data.silent_level).run()
    table = at.dataframe[0].value.set_index("unit_code")
    assert table.loc[pipeline_data.silent_unit, "provisional"]
    assert table.loc[pipeline_data.silent_unit, "note"] == expected

    card = pipeline_signed_in("soyte")  # the unit account of the silent unit
    card.switch_page("app_pages/unit_card.py").run()
    assert not card.exception
    assert card.warning[0].value == expected
