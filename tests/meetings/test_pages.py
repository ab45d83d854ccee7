"""The live meeting through the pages: the facilitator starts it and steps through, members add
thoughts and vote from their own view, the end lands on the existing pages."""

from __future__ import annotations

import re
from datetime import timedelta

from web.cycles.models import Action, Cycle, Phase
from web.extensions import db
from web.meetings.models import LiveMeeting
from web.models import today as local_today
from web.tenancy import tenant_scope


def html(reply) -> str:
    return reply.get_data(as_text=True)


def test_a_whole_live_meeting_through_the_pages(client, login, world, prepared, app):
    w, base = world, f"/t/{world.tenant.slug}/cycles/{prepared}"
    login(w.leader)
    assert "Start mødet" in html(client.get(f"{base}/live"))
    assert client.post(f"{base}/live/start").status_code == 302
    screen = html(client.get(f"{base}/live/present"))
    assert "Når ingen ser det" in screen and "Anna Andersen" in screen
    assert "Bo Bech" not in screen
    assert "De fire forventninger til aktørskab" in screen  # the aids on the shared screen
    version = client.get(f"{base}/live/state").get_json()["version"]

    # Carl adds an anonymous thought from his phone; the state moves for every view.
    login(w.carl)
    page = html(client.get(f"{base}/live"))
    prompt_id = re.search(r'name="prompt_id" value="(\d+)" data-current-prompt', page).group(1)
    reply = client.post(
        f"{base}/live/card",
        data={
            "prompt_id": prompt_id,
            "text": "Vi skal tale om det svære",
            "visibility": "anonymous",
        },
    )
    assert reply.status_code == 302
    assert client.get(f"{base}/live/state").get_json()["version"] > version
    refused = client.post(
        f"{base}/live/card",
        data={"prompt_id": prompt_id, "text": "", "visibility": "anonymous"},
        headers={"X-Live": "1"},
    )
    assert refused.status_code == 422 and "text" in refused.get_json()["errors"]
    assert client.post(f"{base}/live/open-voting", data={"votes": "2"}).status_code == 403

    # The facilitator groups two cards with the keyboard form and opens voting.
    login(w.leader)
    screen = html(client.get(f"{base}/live/present"))
    ids = re.findall(r'data-card-id="(\d+)"', screen)
    assert len(ids) == 3
    assert (
        client.post(
            f"{base}/live/merge", data={"card_id": ids[0], "into_id": ids[1], "view": "present"}
        ).status_code
        == 302
    )
    assert client.post(f"{base}/live/open-voting", data={"votes": "2"}).status_code == 302
    for person in (w.anna, w.bo, w.carl):
        login(person)
        client.get(f"{base}/live")
        assert (
            client.post(
                f"{base}/live/vote", data={"card_id": ids[1]}, headers={"X-Live": "1"}
            ).status_code
            == 200
        )
    login(w.leader)
    client.post(f"{base}/live/close-voting")
    assert "3 stemmer" in html(client.get(f"{base}/live/present"))

    # Two actions from the top cards, edited in place, and the conclusion.
    client.post(f"{base}/live/action", data={"card_id": ids[1]})
    client.post(f"{base}/live/action", data={"card_id": ids[2]})
    screen = html(client.get(f"{base}/live/present"))
    action_ids = re.findall(r'name="action_id" value="(\d+)"', screen)
    due = (local_today() + timedelta(days=30)).isoformat()
    for action_id, owner in zip(action_ids, (w.anna, w.bo), strict=True):
        reply = client.post(
            f"{base}/live/edit-action",
            data={
                "action_id": action_id,
                "text": f"Handling {owner.display_name}",
                "owner_id": str(owner.id),
                "due_on": due,
                "expectation": "context",
                "kkc": "course",
            },
        )
        assert reply.status_code == 302
    client.post(
        f"{base}/live/conclusion",
        data={"prompt_id": prompt_id, "conclusion": "Vi taler om det svære."},
    )
    refused = client.post(f"{base}/live/end", data={})
    assert refused.status_code == 422 and "Bekræft" in html(refused)
    assert client.post(f"{base}/live/end", data={"confirm": "yes"}).status_code == 302

    # The existing pages hold it all, and the meeting only how many took part.
    assert "Vi taler om det svære." in html(client.get(f"{base}/meeting"))
    actions = html(client.get(f"{base}/actions"))
    assert "Handling Anna Andersen" in actions and "Handling Bo Bech" in actions
    with app.app_context(), tenant_scope(w.tenant.id):
        assert db.session.get(Cycle, prepared).phase == Phase.AGREEMENTS
        assert db.session.query(Action).filter_by(cycle_id=prepared).count() == 2
        assert db.session.query(LiveMeeting).one().participant_count == 3
