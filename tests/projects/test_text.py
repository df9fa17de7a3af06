from projects.text import plain_text


def test_it_drops_nul_trims_and_cuts():
    assert plain_text("  ab\x00c  ", max_length=2) == "ab"
    assert plain_text(None) == ""
    assert plain_text(" x ") == "x"
