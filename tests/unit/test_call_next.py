"""Who to call next (issue 16): a line per gap of the buying group."""

from __future__ import annotations

from datetime import date

from abm_tui.review.call_next import Person, who_to_call

T = date(2026, 11, 20)


def test_a_silent_role_names_its_contact_touched_last_and_a_missing_one_the_titles_to_look_for():
    people = [
        Person("decision_maker", "Silke Wagner", "Geschäftsführung", "silke@x.de", None, date(2026, 7, 1)),
        Person("decision_maker", "Jan Os", "CEO", "jan@x.de", "+49 30 1234", date(2026, 9, 1)),
        Person("influencer", "Ada", None, None, None, None),
    ]
    gaps = {
        "decision_maker": "silent",
        "budget_holder": "missing",
        "influencer": "thin",
        "champion": "covered",
    }
    assert who_to_call(gaps, people, T) == [
        "Decision maker silent: call Jan Os (CEO) · jan@x.de · +49 30 1234 · last touch 80 d ago",
        "Budget holder missing: find one, look for CFO, Finance Director, Controller",
        "Influencer thin: find another, look for Head of Operations, VP Sales, Department Director",
    ]
    never = who_to_call({"influencer": "silent"}, people, T)
    assert never == ["Influencer silent: call Ada · no e-mail or phone on file · never touched"]
