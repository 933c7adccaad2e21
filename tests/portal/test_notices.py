"""Notifications: a bell with the unread count on every page, an inbox with every notice (read
or not, paged, never cut), opening one marks it read, and mark all read."""

from django_scopes import scope

from tiers.models import Notice
from tiers.notices import Recipient, notices_send


def notify(world, membership, n, link="/o/acme/rebates/"):
    with scope(tenant=world.tenant):
        return [
            Notice.objects.create(
                tenant=world.tenant,
                user=membership.user,
                event=f"e{i}",
                text=f"Notice {i}",
                link=link,
            )
            for i in range(n)
        ]


def test_the_bell_counts_unread_notices_on_every_page(acme):
    notify(acme, acme.manager, 3)
    client = acme.client_for(acme.manager)
    for page in ("/o/acme/", "/o/acme/partners/", "/o/acme/funds/"):
        body = client.get(page).content.decode()
        assert 'aria-label="Notifications, 3 unread"' in body
        assert '<span class="bell-count">3</span>' in body


def test_the_inbox_lists_every_notice_and_the_home_says_how_many_more(acme):
    notify(acme, acme.manager, 7)
    client = acme.client_for(acme.manager)
    inbox = client.get("/o/acme/notices/").content.decode()
    assert all(f"Notice {i}<" in inbox for i in range(7))
    home = client.get("/o/acme/").content.decode()
    assert home.count("Notice ") == 5 and "7 unread notifications: see them all" in home


def test_opening_a_notice_marks_it_read_and_goes_where_it_points(acme):
    first, second = notify(acme, acme.manager, 2)
    client = acme.client_for(acme.manager)
    response = client.get(f"/o/acme/notices/{first.pk}/")
    assert response.url == "/o/acme/rebates/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert 'aria-label="Notifications, 1 unread"' in client.get("/o/acme/").content.decode()


def test_mark_all_read_and_other_peoples_notices_are_not_found(acme):
    mine = notify(acme, acme.manager, 2)
    [theirs] = notify(acme, acme.partner_user, 1)
    client = acme.client_for(acme.manager)
    assert client.get(f"/o/acme/notices/{theirs.pk}/").status_code == 404
    response = client.post("/o/acme/notices/read/", follow=True)
    assert "2 notices marked read." in response.content.decode()
    with scope(tenant=acme.tenant):
        assert not Notice.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
        assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_a_notice_never_sends_anyone_off_site(acme):
    [notice] = notify(acme, acme.manager, 1, link="https://evil.example/phish")
    response = acme.client_for(acme.manager).get(f"/o/acme/notices/{notice.pk}/")
    assert response.url == "/o/acme/notices/"


def test_every_notice_takes_one_path_told_once_per_event_and_mailed_after_commit(
    acme, django_capture_on_commit_callbacks, mailoutbox
):
    long_text = (
        "Northwind’s request “Spring roadshow with three cities and a partner day” was approved."
    )
    people = [Recipient(acme.manager.user_id), Recipient(acme.admin.user_id, "Approved")]
    with scope(tenant=acme.tenant):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            first = notices_send(
                tenant_id=acme.tenant.pk,
                event="e-1",
                text=long_text,
                link="/o/acme/",
                recipients=people,
            )
            assert mailoutbox == [], "nothing is mailed before the commit"
        assert len(first) == 2 and len(callbacks) == 1
        again = notices_send(
            tenant_id=acme.tenant.pk,
            event="e-1",
            text=long_text,
            link="/o/acme/",
            recipients=people,
        )
        assert again == [] and Notice.objects.filter(event="e-1").count() == 2
    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects == [
        "Acme: Approved",
        "Acme: Northwind’s request “Spring roadshow with three cities and a partner…",
    ]
    assert all(message.body.endswith("/o/acme/") for message in mailoutbox)
