"""Every scenario field says what it means: the lever catalogue has no blank meaning."""

from gridtwin.scenarios.catalogue import lever_rows


def test_every_lever_has_a_meaning() -> None:
    blank = [row.path for row in lever_rows() if not row.meaning.strip()]
    assert not blank, f"fields without a docstring: {blank}"
