import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from training.models import CertificationAward, Enrollment
from training.selectors import course_catalog
from training.services import LearningError, course_enroll, lesson_complete, quiz_submit

from .conftest import TODAY, answers_for, place


def take_lessons(enrollment):
    for lesson in enrollment.course.lessons.all():
        lesson_complete(enrollment=enrollment, lesson=lesson, today=TODAY)


def test_completing_every_course_of_a_certification_grants_it(catalog):
    with scope(tenant=catalog.tenant):
        basics = course_enroll(course=catalog.basics, membership=catalog.partner_user)
        take_lessons(basics)
        result = quiz_submit(enrollment=basics, answers=answers_for(catalog.basics), today=TODAY)
        assert result.attempt.passed and result.course_completed
        assert not CertificationAward.objects.exists(), "one of two courses is not enough"

        selling = course_enroll(course=catalog.selling, membership=catalog.partner_user)
        take_lessons(selling)  # no quiz: reading every lesson completes it
        award = CertificationAward.objects.get()
    assert (award.partner, award.email, award.earned_on, award.expires_on) == (
        catalog.partner,
        "partner@acme.test",
        TODAY,
        datetime.date(2028, 11, 22),
    )


def test_lessons_are_read_in_order(catalog):
    with scope(tenant=catalog.tenant):
        enrollment = course_enroll(course=catalog.basics, membership=catalog.partner_user)
        first, second = enrollment.course.lessons.all()
        with pytest.raises(LearningError, match=re.escape("Read “basics lesson 1” first.")):
            lesson_complete(enrollment=enrollment, lesson=second, today=TODAY)
        lesson_complete(enrollment=enrollment, lesson=first, today=TODAY)
        lesson_complete(enrollment=enrollment, lesson=second, today=TODAY)


def test_the_quiz_opens_after_the_lessons_and_a_failed_attempt_is_recorded(catalog):
    with scope(tenant=catalog.tenant):
        enrollment = course_enroll(course=catalog.basics, membership=catalog.partner_user)
        with pytest.raises(LearningError, match="Read every lesson"):
            quiz_submit(enrollment=enrollment, answers=answers_for(catalog.basics), today=TODAY)
        take_lessons(enrollment)
        failed = quiz_submit(
            enrollment=enrollment, answers=answers_for(catalog.basics, correct=False), today=TODAY
        )
        assert (failed.attempt.score_percent, failed.attempt.passed) == (0, False)
        enrollment.refresh_from_db()
        assert enrollment.completed_on is None
        assert enrollment.attempts.count() == 1


def test_quiz_answers_cannot_be_forged(catalog):
    """The client sends choice ids only; correctness is looked up on the server."""
    elite_answers = answers_for(catalog.elite)
    with scope(tenant=catalog.tenant):
        enrollment = course_enroll(course=catalog.basics, membership=catalog.partner_user)
        take_lessons(enrollment)
        questions = list(catalog.basics.questions.all())
        forged = [
            {},  # nothing answered
            {
                str(questions[0].pk): answers_for(catalog.basics)[str(questions[0].pk)]
            },  # one missing
            {str(q.pk): "999999" for q in questions},  # unknown choice ids
            {str(q.pk): "true" for q in questions},  # "is_correct" instead of a choice
            # another course's correct choices, placed under this course's questions
            {
                str(q.pk): choice
                for q, choice in zip(questions, elite_answers.values(), strict=True)
            },
            # the right answer of question 1 given for question 2 and vice versa
            dict(
                zip(
                    map(str, (q.pk for q in questions)),
                    reversed(answers_for(catalog.basics).values()),
                    strict=True,
                )
            ),
        ]
        for answers in forged:
            with pytest.raises(ValidationError):
                quiz_submit(enrollment=enrollment, answers=answers, today=TODAY)
        assert enrollment.attempts.count() == 0


def test_a_tier_gated_course_is_locked_below_its_tier(catalog):
    with scope(tenant=catalog.tenant):
        cards = {card.course.key: card for card in course_catalog(membership=catalog.partner_user)}
        assert cards["elite"].locked and not cards["basics"].locked
        with pytest.raises(LearningError, match=re.escape("This course opens at the Gold tier.")):
            course_enroll(course=catalog.elite, membership=catalog.partner_user)
    place(catalog, catalog.silver)
    with scope(tenant=catalog.tenant):
        assert course_catalog(membership=catalog.partner_user)[1].locked  # elite, sorted by title
    place(catalog, catalog.gold)
    with scope(tenant=catalog.tenant):
        course_enroll(course=catalog.elite, membership=catalog.partner_user)
        assert Enrollment.objects.filter(course=catalog.elite).exists()


def test_drafts_are_hidden_from_partner_users(catalog):
    from .conftest import make_course

    make_course(catalog, "draft", status="draft")
    with scope(tenant=catalog.tenant):
        partner_keys = {card.course.key for card in course_catalog(membership=catalog.partner_user)}
        staff_keys = {card.course.key for card in course_catalog(membership=catalog.admin)}
    assert "draft" not in partner_keys and "draft" in staff_keys


def test_a_certification_held_is_not_granted_twice(catalog):
    with scope(tenant=catalog.tenant):
        for course in (catalog.basics, catalog.selling):
            enrollment = course_enroll(course=course, membership=catalog.partner_user)
            take_lessons(enrollment)
            if course.questions.exists():
                quiz_submit(enrollment=enrollment, answers=answers_for(course), today=TODAY)
        from training.services import certifications_grant

        assert certifications_grant(membership=catalog.partner_user, today=TODAY) == []
        assert CertificationAward.objects.count() == 1


def test_a_quiz_can_limit_attempts_and_make_a_learner_wait_between_them(catalog, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
    with scope(tenant=catalog.tenant):
        course = catalog.basics
        course.max_attempts, course.retry_wait_hours = 2, 24
        course.save()
        enrollment = Enrollment.objects.create(
            tenant=catalog.tenant, course=course, membership=catalog.partner_user
        )
        for lesson in course.lessons.all():
            lesson_complete(enrollment=enrollment, lesson=lesson, today=datetime.date(2026, 11, 24))
        wrong = answers_for(course, correct=False)
        quiz_submit(enrollment=enrollment, answers=wrong, today=datetime.date(2026, 11, 24))
        with pytest.raises(LearningError, match="You can retry the quiz from 25 November 2026"):
            quiz_submit(enrollment=enrollment, answers=wrong, today=datetime.date(2026, 11, 24))
    learner = catalog.client_for(catalog.partner_user)
    page = learner.get(f"/o/acme/training/courses/{course.pk}/").content.decode()
    assert "✗" in page and "— the answer: " not in page, "a retry is left: no answers given"
    assert "1 of 2 attempts used" in page and "You can retry the quiz from" in page
    time_machine.shift(datetime.timedelta(hours=25))
    with scope(tenant=catalog.tenant):
        quiz_submit(enrollment=enrollment, answers=wrong, today=datetime.date(2026, 11, 25))
    time_machine.shift(datetime.timedelta(hours=25))
    with (
        scope(tenant=catalog.tenant),
        pytest.raises(LearningError, match="You have used all 2 attempts at this quiz"),
    ):
        quiz_submit(enrollment=enrollment, answers=wrong, today=datetime.date(2026, 11, 26))
    page = (
        catalog.client_for(catalog.partner_user)
        .get(f"/o/acme/training/courses/{course.pk}/")
        .content.decode()
    )
    assert "2 of 2 attempts used" in page and "You have used all 2 attempts" in page
    assert "✗" in page and "— the answer: " in page, "no retry left: the right answers show"
