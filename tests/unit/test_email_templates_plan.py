"""Planning `/api/email-templates` rows: ownership by key, foreign rows untouched, taken-over rows restored."""

from __future__ import annotations

from connectors.deploy.email_templates import KeyChange, details_changes, make_plan, row_problems


def row(tag, usage, subject="s", **extra):
    return {"languageTag": tag, "templateType": usage, "details": {"subject": subject, "content": "c {{code}}", **extra}}


def live(*rows):
    return [{**r, "id": f"id-{r['languageTag']}-{r['templateType']}"} for r in rows]


def test_create_upserts_everything_and_adopts_existing_desired_rows():
    plan = make_plan(live(row("en", "SignIn", "old"), row("ko", "SignIn")), [row("en", "SignIn"), row("de", "SignIn")])
    assert [r["languageTag"] for r in plan.upsert] == ["de", "en"]
    assert plan.adopt == ("en/SignIn",) and plan.delete == () and plan.restore == ()
    assert {str(c) for c in plan.changes} == {"+de/SignIn", "~en/SignIn (subject)"}  # ko/SignIn is not ours: not shown


def test_only_owned_rows_are_deleted_and_taken_over_rows_are_restored():
    rows = live(row("en", "SignIn"), row("fr", "SignIn"), row("fr", "Generic", "mine"), row("ko", "SignIn"))
    plan = make_plan(rows, [row("en", "SignIn")], owned=["en/SignIn", "fr/SignIn", "fr/Generic"],
                     originals={"fr/Generic": {"subject": "theirs", "content": "c"}})
    assert plan.upsert == () and plan.delete == ("fr/SignIn",) and plan.restore == ("fr/Generic",)
    assert {str(c) for c in plan.changes} == {"-fr/SignIn", "~fr/Generic (content, subject)"}


def test_no_change_no_write():
    plan = make_plan(live(row("en", "SignIn")), [row("en", "SignIn")], owned=["en/SignIn"])
    assert not plan.writes and plan.summary == "no changes"


def test_changes_name_keys_and_fields_never_content():
    changes = details_changes({"en/SignIn": {"subject": "secret-ish content"}}, {"en/SignIn": {"subject": "x"}})
    assert changes == [KeyChange("en/SignIn", "changed", ("subject",))]
    assert "secret-ish" not in str(changes[0])


def test_row_problems():
    assert row_problems([row("en", "SignIn")]) == []
    problems = row_problems([row("pt", "SignIn"), row("en", "Nope"), row("en", "Nope"), {"languageTag": "en", "templateType": "Generic", "details": {"subject": "s"}}])
    text = "\n".join(problems)
    assert "'pt' is not a tag Logto resolves" in text and "'Nope' is not a Logto usage type" in text
    assert "en/Nope is listed twice" in text and "non-empty subject and content" in text


def test_a_taken_over_row_deleted_since_is_still_put_back():
    plan = make_plan(live(), [], owned=["fr/Generic"], originals={"fr/Generic": {"subject": "theirs", "content": "c"}})
    assert plan.restore == ("fr/Generic",) and plan.delete == ()
    assert [str(c) for c in plan.changes] == ["+fr/Generic"]
    assert "taking over" not in plan.summary
