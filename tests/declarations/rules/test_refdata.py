"""The shipped reference data: what it holds, and that the build script reproduces it exactly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from declarations import refdata
from declarations.refdata import build

DATA = Path(settings.SHARED_DATA_DIR)


def test_hs_2022_has_every_chapter_heading_and_subheading_but_not_comtrade_chapter_99() -> None:
    lengths = Counter(len(code) for code in refdata.hs_codes())
    # The source's 97 chapters, 1,229 headings and 5,613 subheadings include UN Comtrade's chapter 99.
    assert lengths == {2: 96, 4: 1228, 6: 5612}
    assert refdata.hs_description("999999") is None
    assert (
        refdata.hs_description("851090")
        == "Shavers and hair clippers; parts of those with self-contained electric motor"
    )


def test_hs_2017_subheadings_removed_in_2022_are_not_in_the_nomenclature() -> None:
    changes = refdata.hs_edition_changes()
    assert changes["970200"] == ("970210", "970290")
    for old, successors in changes.items():
        assert refdata.hs_description(old) is None
        assert all(refdata.hs_description(new) for new in successors)


def test_countries_include_iso_and_hmrc_user_assigned_codes() -> None:
    assert refdata.country_name("GB") is not None
    assert refdata.country_name("MC") is not None  # ISO only: HMRC's list omits Monaco
    assert refdata.country_name("XK") is not None  # HMRC only: Kosovo
    assert refdata.country_name("UK") is None


def test_offices_of_exit_come_from_hmrc_list() -> None:
    assert refdata.office_of_exit("GB000093") is not None
    assert refdata.office_of_exit("GB999999") is None


def test_procedure_code_halves_cover_hmrc_list_and_accepted_samples_but_not_99() -> None:
    parts = refdata.procedure_code_parts()
    assert {"10", "40", "71", "00", "90", "61"} <= parts
    assert "99" not in parts


@pytest.mark.skipif(not DATA.is_dir(), reason="needs the shared data beside the project")
def test_build_script_reproduces_the_shipped_files(tmp_path: Path) -> None:
    build.build(DATA, tmp_path)
    shipped = Path(build.__file__).parent
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated
    for name in generated:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name
