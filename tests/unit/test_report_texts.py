"""The fixed texts: both languages say the same things with the same placeholders, and the
Chinese uses the words a Chinese ops team uses."""

from __future__ import annotations

import string

import pytest

from maintd.report.texts import EN, LANG_TO_TEXTS, LANGUAGES, ZH, Texts


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys() -> None:
    assert set(LANG_TO_TEXTS) == set(LANGUAGES)
    assert sorted(EN) == sorted(ZH)


@pytest.mark.parametrize("key", sorted(EN))
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    assert placeholders(EN[key]) == placeholders(ZH[key]), key
    values = dict.fromkeys(placeholders(EN[key]), 1)
    for lang in LANGUAGES:
        assert Texts(lang)(key, **values)  # formats without error


def test_the_chinese_texts_use_the_words_of_the_trade() -> None:
    texts = Texts("zh")
    assert texts("title_custom") == "维护报告"
    assert texts("section_plan") == "计划与执行"
    assert texts("col_compliance") == "合规率"
    assert texts("section_incidents") == "事件"
    assert texts("kpi_first_time_fix") == "首次修复率"
    assert texts("section_forecasts") == "预测"
    assert texts("pct", value=95.25) == "95.2%"
    assert texts.html_lang == "zh-CN"


def test_stored_words_are_translated_when_known_and_kept_otherwise() -> None:
    assert Texts("zh").word("state", "acknowledged") == "已确认"
    assert Texts("zh").word("state", "snoozed") == "snoozed"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of en, zh"):
        Texts("fr")
