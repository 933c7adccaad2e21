from django_scopes import scope

from training.models import CertificationAward, Course, Enrollment, Lesson

from .conftest import answers_for


def url(world, course, suffix=""):
    return f"/o/{world.tenant.slug}/training/courses/{course.pk}/{suffix}"


def test_a_partner_user_takes_a_course_through_the_pages(catalog):
    client = catalog.client_for(catalog.partner_user)
    course = catalog.basics
    client.post(url(catalog, course, "enrol/"))
    with scope(tenant=catalog.tenant):
        first, second = course.lessons.all()
    response = client.get(url(catalog, course, f"lessons/{second.pk}/"))
    assert response["Location"] == url(catalog, course, f"lessons/{first.pk}/"), "in order"
    assert client.post(url(catalog, course, f"lessons/{first.pk}/"))["Location"] == url(
        catalog, course, f"lessons/{second.pk}/"
    )
    client.post(url(catalog, course, f"lessons/{second.pk}/"))
    quiz_page = client.get(url(catalog, course, "quiz/")).content.decode()
    assert "is_correct" not in quiz_page and "Right" in quiz_page
    answers = {f"question-{q}": c for q, c in answers_for(course).items()}
    response = client.post(url(catalog, course, "quiz/"), answers, follow=True)
    assert "Passed with 100 %: you completed Basics course." in response.content.decode()


def test_a_forged_quiz_post_is_refused_with_a_message(catalog):
    client = catalog.client_for(catalog.partner_user)
    course = catalog.basics
    client.post(url(catalog, course, "enrol/"))
    with scope(tenant=catalog.tenant):
        for lesson in course.lessons.all():
            client.post(url(catalog, course, f"lessons/{lesson.pk}/"))
        question = course.questions.first()
    response = client.post(url(catalog, course, "quiz/"), {f"question-{question.pk}": "correct"})
    assert response.status_code == 200
    assert "Answer question 1: Question 1?" in response.content.decode()
    with scope(tenant=catalog.tenant):
        assert not Enrollment.objects.get(course=course).attempts.exists()


def test_a_locked_course_cannot_be_entered_by_url(catalog):
    client = catalog.client_for(catalog.partner_user)
    page = client.get(url(catalog, catalog.elite)).content.decode()
    assert "This course opens at the Gold tier." in page
    response = client.post(url(catalog, catalog.elite, "enrol/"), follow=True)
    assert "This course opens at the Gold tier." in response.content.decode()
    with scope(tenant=catalog.tenant):
        assert not Enrollment.objects.filter(course=catalog.elite).exists()


def test_a_partner_user_sees_only_their_own_progress(catalog):
    from tests.factories import MembershipFactory, UserFactory

    with scope(tenant=catalog.tenant):
        colleague_elsewhere = MembershipFactory(
            tenant=catalog.tenant,
            role="partner",
            partner=catalog.other_partner,
            user=UserFactory(email="other@acme.test"),
        )
    catalog.client_for(catalog.partner_user).post(url(catalog, catalog.basics, "enrol/"))
    page = catalog.client_for(colleague_elsewhere).get(url(catalog, catalog.basics))
    assert page.context["enrollment"] is None
    assert "Enrol" in page.content.decode()


def test_drafts_answer_404_to_partner_users(catalog):
    with scope(tenant=catalog.tenant):
        Course.objects.filter(pk=catalog.basics.pk).update(status="draft")
    assert (
        catalog.client_for(catalog.partner_user).get(url(catalog, catalog.basics)).status_code
        == 404
    )


def test_my_training_lists_certifications_and_warns_before_expiry(catalog):
    today = catalog.tenant.local_today()
    import datetime

    with scope(tenant=catalog.tenant):
        CertificationAward.objects.create(
            tenant=catalog.tenant,
            partner=catalog.partner,
            email="partner@acme.test",
            certification=catalog.sales_pro,
            earned_on=today - datetime.timedelta(days=700),
            expires_on=today + datetime.timedelta(days=20),
            source="import",
        )
    page = catalog.client_for(catalog.partner_user).get("/o/acme/training/").content.decode()
    assert "Sales Professional</strong> expires on" in page
    assert "Locked</span> Elite course" in page and "Opens at the Gold tier." in page


def test_an_admin_builds_a_course_with_a_lesson_and_a_question(catalog):
    client = catalog.client_for(catalog.admin)
    response = client.post(
        "/o/acme/training/catalog/courses/new/",
        {
            "key": "Cloud-101",
            "title": "Cloud 101",
            "summary": "",
            "estimated_minutes": 20,
            "status": "published",
            "minimum_tier": catalog.silver.pk,
            "pass_mark": 75,
        },
    )
    with scope(tenant=catalog.tenant):
        course = Course.objects.get(key="cloud-101")
    assert response["Location"] == f"/o/acme/training/catalog/courses/{course.pk}/"
    client.post(
        f"/o/acme/training/catalog/courses/{course.pk}/lessons/new/",
        {
            "title": "Intro",
            "body": '<p onclick="steal()">Hi<script>x()</script></p>',
            "link_url": "videos.example.com/1",
        },
    )
    response = client.post(
        f"/o/acme/training/catalog/courses/{course.pk}/questions/new/",
        {
            "text": "Which?",
            "choice_1": "A",
            "choice_2": "B",
            "choice_3": "",
            "choice_4": "",
            "correct": 3,
        },
    )
    assert "Choice 3 is empty." in response.content.decode()
    client.post(
        f"/o/acme/training/catalog/courses/{course.pk}/questions/new/",
        {"text": "Which?", "choice_1": "A", "choice_2": "B", "correct": 2},
    )
    with scope(tenant=catalog.tenant):
        lesson = Lesson.objects.get(course=course)
        assert lesson.body == "<p>Hi</p>"
        assert lesson.link_url == "https://videos.example.com/1"
        assert [(c.text, c.is_correct) for c in course.questions.get().choices.all()] == [
            ("A", False),
            ("B", True),
        ]


def test_managers_cannot_edit_the_catalog(catalog):
    assert (
        catalog.client_for(catalog.manager).get("/o/acme/training/catalog/courses/new/").status_code
        == 403
    )


def test_the_certified_people_report_and_its_csv(catalog):
    import datetime

    with scope(tenant=catalog.tenant):
        for email, partner in (
            ("a@x.test", catalog.partner),
            ("b@x.test", catalog.partner),
            ("c@x.test", catalog.other_partner),
        ):
            CertificationAward.objects.create(
                tenant=catalog.tenant,
                partner=partner,
                email=email,
                certification=catalog.sales_pro,
                earned_on=datetime.date(2025, 1, 1),
                source="import",
            )
    client = catalog.client_for(catalog.manager)
    rows = client.get("/o/acme/training/certified/").context["rows"]
    assert [(r.partner.ref, r.people) for r in rows] == [("P-001", 2), ("P-002", 1)]
    csv_text = client.get(
        "/o/acme/training/certified/", {"partner": "P-002", "format": "csv"}
    ).content.decode()
    assert csv_text == "certification,partner_ref,partner,people\nsales-pro,P-002,Acme P-002,1\n"


def test_a_course_says_which_certification_it_counts_toward_and_how_far_the_learner_is(
    catalog,
):
    import datetime

    from django_scopes import scope

    with scope(tenant=catalog.tenant):
        Enrollment.objects.create(
            tenant=catalog.tenant,
            course=catalog.selling,
            membership=catalog.partner_user,
            completed_on=datetime.date(2026, 11, 1),
        )
    learner = catalog.client_for(catalog.partner_user)
    page = learner.get(f"/o/acme/training/courses/{catalog.basics.pk}/").content.decode()
    assert "Counts toward <strong>Sales Professional</strong>, with " in page
    assert f'/o/acme/training/courses/{catalog.selling.pk}/">Selling course</a>' in page
    assert "1 of 2 courses done" in page
    staff = catalog.client_for(catalog.manager)
    page = staff.get(f"/o/acme/training/courses/{catalog.elite.pk}/").content.decode()
    assert "Counts toward" not in page


def test_passing_the_last_course_says_which_certification_was_earned(catalog):
    from django_scopes import scope

    from .conftest import answers_for

    learner = catalog.client_for(catalog.partner_user)
    for course in (catalog.selling, catalog.basics):
        learner.post(f"/o/acme/training/courses/{course.pk}/enrol/")
        with scope(tenant=catalog.tenant):
            lessons = list(course.lessons.order_by("position"))
        for lesson in lessons:
            learner.post(f"/o/acme/training/courses/{course.pk}/lessons/{lesson.pk}/")
    page = learner.post(
        f"/o/acme/training/courses/{catalog.basics.pk}/quiz/",
        {f"question-{q}": c for q, c in answers_for(catalog.basics).items()},
        follow=True,
    ).content.decode()
    assert "you completed Basics course. You earned Sales Professional" in page
