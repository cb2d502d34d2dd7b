"""The plan table and the plan fit's branches, which the dashboard's PromQL and `report` share."""

import pytest

from agent_analytics.vocabulary import plan_limits as pl

PEAKS = [i / 1000 for i in range(1001)]


def test_the_plan_table_names_its_sources_and_each_family_grows_in_size_and_price():
    assert pl.checked() and set(pl.plans()) == {"pro", "max-5x", "max-20x", "team-standard", "team-premium"}
    for plan in pl.plans().values():
        assert plan.source.startswith("https://") and plan.size > 0 and plan.price_monthly_usd > 0
    for family in ("individual", "team"):
        ladder = pl.ladder(family)
        assert [p.price_monthly_usd for p in ladder] == sorted(p.price_monthly_usd for p in ladder)


@pytest.mark.parametrize("plan", sorted(pl.plans()))
def test_every_weekly_peak_meets_exactly_one_branch(plan):
    for peak in PEAKS:
        assert sum(b.holds(peak) for b in pl.branches(plan)) == 1, (plan, peak)


@pytest.mark.parametrize("plan", sorted(pl.plans()))
def test_a_smaller_plan_only_where_the_peak_would_fill_it_to_the_fit_share_and_a_larger_one_only_at_the_limit(plan):
    size = pl.plans()[plan].size
    family = pl.ladder(pl.plans()[plan].family)
    for peak in PEAKS:
        needs = pl.plans()[pl.recommend(plan, peak)]
        if needs.size < size:  # the smallest plan it fits
            fitting = [p for p in family if peak * size <= pl.FIT * p.size]
            assert needs == fitting[0], (plan, peak)
        elif needs.size > size:
            assert peak >= pl.AT and needs == next(p for p in family if p.size > size), (plan, peak)
        else:
            assert not any(peak * size <= pl.FIT * p.size for p in family if p.size < size), (plan, peak)


def test_worked_examples():
    assert pl.recommend("max-20x", 0.04) == "pro"  # 80% of a Pro week
    assert pl.recommend("max-20x", 0.041) == "max-5x"
    assert pl.recommend("max-20x", 1.0) == "max-20x"  # the largest stays
    assert pl.recommend("pro", 0.999) == "pro"
    assert pl.recommend("pro", 1.0) == "max-5x"
    assert pl.recommend("team-premium", 0.16) == "team-standard"
    assert pl.recommend("enterprise", 0.5) is None
    counts = pl.bands([0.0, 0.099, 0.1, 0.3, 0.6, 0.7, 0.9, 0.999, 1.0])
    assert counts == dict.fromkeys(pl.BANDS, 0) | {
        "0-10%": 2, "10-20%": 1, "30-40%": 1, "60-70%": 1, "70-80%": 1, "90-100%": 2, "at the limit": 1,
    }  # fmt: skip
