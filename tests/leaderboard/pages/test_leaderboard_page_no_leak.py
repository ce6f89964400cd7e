"""Before close, no page sends a competitor anything of the private board."""

from __future__ import annotations

import pytest

COMPETITOR_PAGES = ["challenges", "overview", "datasets", "leaderboard", "plots", "my-submissions", "team"]


@pytest.mark.parametrize("page", COMPETITOR_PAGES)
def test_no_private_value_reaches_a_competitor(open_app, seeded, rendered, chart_values, page: str) -> None:
    seeded.add_teams(3)  # T000..T002 score 0.9, 0.899, 0.898 privately, 0.5.. publicly

    app = open_app("alice", page=page, challenge=seeded.slug)

    assert not app.exception
    text = rendered(app)
    private = [value for _metric, value in seeded.private] + [0.9, 0.899, 0.898]
    for value in private:
        assert str(value) not in text and str(round(value, 4)) not in text
        assert all(abs(number - value) > 1e-9 for number in chart_values(app))
    assert "private accuracy" not in text
