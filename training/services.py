import datetime
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scope

from partnerhub.accounts.models import User
from partnerhub.csvfiles import (
    FileRejected,
    ProblemReport,
    date_from_iso,
    parse_csv,
    unknown_text,
)
from partnerhub.tenancy.models import Membership, Tenant
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import event_emit
from partners.models import Partner
from partners.selectors import partner_refs_by_case

from .lesson_content import clean_lesson_html, image_type
from .models import (
    AwardSource,
    Certification,
    CertificationAward,
    Choice,
    Course,
    CourseStatus,
    Enrollment,
    ExpiryReminder,
    Lesson,
    LessonCompletion,
    LessonImage,
    Question,
    QuizAttempt,
)
from .selectors import completed_lesson_ids, course_is_locked_for, held_on


class LearningError(Exception):
    """A learner asked for something the course does not allow (yet)."""


def course_enroll(*, course: Course, membership: Membership) -> Enrollment:
    if not membership.is_partner_user:
        raise LearningError("Only partner users take courses.")
    if course.status != CourseStatus.PUBLISHED:
        raise LearningError("This course is not published.")
    if course_is_locked_for(course=course, membership=membership):
        raise LearningError(f"This course opens at the {course.minimum_tier.name} tier.")
    enrollment, _ = Enrollment.objects.get_or_create(
        tenant=membership.tenant, course=course, membership=membership
    )
    return enrollment


def next_lesson(*, enrollment: Enrollment) -> Lesson | None:
    done = completed_lesson_ids(enrollment)
    return next(
        (lesson for lesson in enrollment.course.lessons.all() if lesson.pk not in done), None
    )


@transaction.atomic
def lesson_complete(
    *, enrollment: Enrollment, lesson: Lesson, today: datetime.date
) -> list[CertificationAward]:
    """Mark a lesson read. Lessons are read in order: only the next unread one can be."""
    if lesson.course_id != enrollment.course_id:
        raise LearningError("That lesson is not part of this course.")
    done = completed_lesson_ids(enrollment)
    if lesson.pk in done:
        return
    expected = next_lesson(enrollment=enrollment)
    if expected is None or expected.pk != lesson.pk:
        raise LearningError(
            f"Read “{expected.title}” first." if expected else "All lessons are read."
        )
    LessonCompletion.objects.create(tenant=enrollment.tenant, enrollment=enrollment, lesson=lesson)
    return _complete_if_done(enrollment, today) or []


@dataclass(frozen=True)
class QuizResult:
    attempt: QuizAttempt
    course_completed: bool
    earned: list[CertificationAward] = field(default_factory=list)  # certifications it completed


@transaction.atomic
def quiz_submit(
    *, enrollment: Enrollment, answers: dict[str, str], today: datetime.date
) -> QuizResult:
    """Grade a quiz on the server from the choice ids submitted.

    Every question must be answered with one of its own choices; anything else (another
    question's choice, an unknown id, a missing answer) is refused before anything is recorded.
    """
    course = enrollment.course
    if next_lesson(enrollment=enrollment) is not None:
        raise LearningError("Read every lesson before taking the quiz.")
    quiz_check_may_attempt(enrollment=enrollment)
    questions = list(Question.objects.filter(course=course).prefetch_related("choices"))
    if not questions:
        raise LearningError("This course has no quiz.")
    chosen: dict[int, Choice] = {}
    for question in questions:
        raw = answers.get(str(question.pk), "")
        choice = next((c for c in question.choices.all() if str(c.pk) == raw), None)
        if choice is None:
            raise ValidationError(f"Answer question {question.position}: {question.text[:60]}")
        chosen[question.pk] = choice
    correct = sum(1 for choice in chosen.values() if choice.is_correct)
    score = correct * 100 // len(questions)
    attempt = QuizAttempt.objects.create(
        tenant=enrollment.tenant,
        enrollment=enrollment,
        answers={str(q): c.pk for q, c in chosen.items()},
        correct=correct,
        questions=len(questions),
        score_percent=score,
        passed=score >= course.pass_mark,
    )
    earned = _complete_if_done(enrollment, today) if attempt.passed else None
    return QuizResult(attempt, earned is not None, earned or [])


def quiz_check_may_attempt(*, enrollment: Enrollment) -> None:
    """LearningError when the course's attempt limit is used up, or its wait after a failed
    attempt has not passed; the message says until when."""
    course = enrollment.course
    attempts = list(enrollment.attempts.order_by("-submitted_at")[:1])
    count = enrollment.attempts.count()
    if attempts and attempts[0].passed:
        return
    if course.max_attempts and count >= course.max_attempts:
        raise LearningError(
            f"You have used all {course.max_attempts} attempts at this quiz: ask your partner "
            "manager to reset it."
        )
    if attempts and course.retry_wait_hours:
        ready = attempts[0].submitted_at + datetime.timedelta(hours=course.retry_wait_hours)
        if timezone.now() < ready:
            local = timezone.localtime(ready)
            raise LearningError(f"You can retry the quiz from {local:%d %B %Y, %H:%M}.")


def _complete_if_done(
    enrollment: Enrollment, today: datetime.date
) -> list[CertificationAward] | None:
    """Complete the course when it is done: the certifications that completes (perhaps none),
    or None when the course is not complete."""
    if enrollment.completed_on or next_lesson(enrollment=enrollment) is not None:
        return None
    has_quiz = Question.objects.filter(course=enrollment.course).exists()
    if has_quiz and not enrollment.attempts.filter(passed=True).exists():
        return None
    enrollment.completed_on = today
    enrollment.save(update_fields=["completed_on"])
    return certifications_grant(membership=enrollment.membership, today=today)


def certifications_grant(
    *, membership: Membership, today: datetime.date
) -> list[CertificationAward]:
    """Award every certification whose courses this person has all completed and does not hold."""
    completed = set(
        Enrollment.objects.filter(membership=membership, completed_on__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    granted = []
    certifications = (
        Certification.objects.annotate(course_count=Count("courses"))
        .filter(course_count__gt=0)
        .prefetch_related("courses")
    )
    email = membership.user.email.lower()
    for certification in certifications:
        if not {course.pk for course in certification.courses.all()} <= completed:
            continue
        holds = CertificationAward.objects.filter(
            held_on(today),
            certification=certification,
            partner_id=membership.partner_id,
            email__iexact=email,
        ).exists()
        if holds:
            continue
        granted.append(
            CertificationAward.objects.create(
                tenant=membership.tenant,
                partner_id=membership.partner_id,
                email=email,
                certification=certification,
                earned_on=today,
                expires_on=certification.expiry_for(today),
                source=AwardSource.COURSES,
                user=membership.user,
            )
        )
    return granted


@dataclass(frozen=True)
class AwardImportResult:
    rows: int
    created: int
    updated: int
    unchanged: int


CERTIFICATION_CSV_COLUMNS = ("partner_ref", "email", "certification", "earned_on", "expires_on")


def _iso_date(text: str, name: str, line: int, report: ProblemReport) -> datetime.date | None:
    try:
        return date_from_iso(text)
    except ValueError as error:
        report.add(line, f"{name} {error}")
        return None


def certification_import_csv(*, tenant: Tenant, data: bytes) -> AwardImportResult:
    """Import awards from an outside LMS: one row is one award, identified by partner, e-mail,
    certification and earned_on; importing it again updates its expiry. All or nothing."""
    report = ProblemReport()
    _, rows = parse_csv(data, required=CERTIFICATION_CSV_COLUMNS, report=report, empty_is_ok=True)
    return certification_awards_import(
        tenant=tenant, rows=[(row.line, row.values) for row in rows], report=report
    )


def certification_awards_import(
    *,
    tenant: Tenant,
    rows: list[tuple[int, dict[str, str]]],
    report: ProblemReport,
    place: Callable[[int], str] = lambda line: f"on line {line}",
) -> AwardImportResult:
    """The awards of `(line, {partner_ref, email, certification, earned_on, expires_on})`
    rows, checked whole (FileRejected naming each problem by line) and written all or nothing:
    the one path behind the LMS file and the API."""
    refs = {values["partner_ref"] for _, values in rows}
    with scope(tenant=tenant):
        partners = {p.ref: p for p in Partner.objects.filter(ref__in=refs)}
        ref_spelled = partner_refs_by_case(refs - partners.keys())
        certifications = {c.key: c for c in Certification.objects.all()}
    awards: dict[tuple, tuple[int, dict]] = {}
    for line, values in rows:
        before = report.total
        partner = partners.get(values["partner_ref"])
        if not values["partner_ref"]:
            report.add(line, "partner_ref is missing")
        elif partner is None:
            report.add(line, unknown_text("partner_ref", values["partner_ref"], ref_spelled))
        email = values["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            report.add(line, f"email “{values['email'][:60]}” is not an e-mail address")
        certification = certifications.get(values["certification"])
        if certification is None:
            by_case = {key.lower(): key for key in certifications}
            report.add(line, unknown_text("certification", values["certification"], by_case))
        earned_on = _iso_date(values["earned_on"], "earned_on", line, report)
        expires_on = None
        if values["expires_on"]:
            expires_on = _iso_date(values["expires_on"], "expires_on", line, report)
            if earned_on and expires_on and expires_on <= earned_on:
                report.add(line, "expires_on must be after earned_on")
        if report.total > before:
            continue
        key = (partner.pk, email, certification.pk, earned_on)
        if key in awards:
            report.add(line, f"the same award already appears {place(awards[key][0])}")
            continue
        awards[key] = (line, {"expires_on": expires_on})
    if report:
        raise FileRejected(report)
    return _write_awards(tenant, awards, rows=len(rows))


@transaction.atomic
def _write_awards(
    tenant: Tenant, awards: dict[tuple, tuple[int, dict]], *, rows: int
) -> AwardImportResult:
    created = updated = unchanged = 0
    users = {u.email.lower(): u for u in User.objects.filter(email__in={k[1] for k in awards})}
    with scope(tenant=tenant):
        existing = {
            (a.partner_id, a.email.lower(), a.certification_id, a.earned_on): a
            for a in CertificationAward.objects.filter(
                partner_id__in={k[0] for k in awards}, email__in={k[1] for k in awards}
            )
        }
        for key, (_, fields) in awards.items():
            award = existing.get(key)
            if award is None:
                partner_id, email, certification_id, earned_on = key
                CertificationAward.objects.create(
                    tenant=tenant,
                    partner_id=partner_id,
                    email=email,
                    certification_id=certification_id,
                    earned_on=earned_on,
                    expires_on=fields["expires_on"],
                    source=AwardSource.IMPORT,
                    user=users.get(email),
                )
                created += 1
            elif award.expires_on != fields["expires_on"]:
                award.expires_on = fields["expires_on"]
                award.save(update_fields=["expires_on"])
                updated += 1
            else:
                unchanged += 1
    return AwardImportResult(rows, created, updated, unchanged)


REMINDER_DAYS_BEFORE = 30


def expiry_reminders_send(*, tenant: Tenant, today: datetime.date) -> int:
    """E-mail the holders of awards that expire within 30 days, once per award and threshold.

    The reminder row is written before the e-mail goes out, in its own transaction: a crash
    between the two loses one reminder rather than sending it twice.
    """
    horizon = today + datetime.timedelta(days=REMINDER_DAYS_BEFORE)
    due = (
        CertificationAward.objects.filter(held_on(today), expires_on__lte=horizon)
        .exclude(
            pk__in=ExpiryReminder.objects.filter(days_before=REMINDER_DAYS_BEFORE).values(
                "award_id"
            )
        )
        .select_related("certification", "partner")
    )
    sent = 0
    for award in due:
        if _superseded(award):
            continue
        try:
            with transaction.atomic():
                ExpiryReminder.objects.create(
                    tenant=tenant, award=award, days_before=REMINDER_DAYS_BEFORE
                )
                event_emit(
                    tenant=tenant,
                    type=EventType.CERTIFICATION_EXPIRING,
                    data={
                        "partner_ref": award.partner.ref,
                        "email": award.email,
                        "certification": award.certification.key,
                        "earned_on": award.earned_on,
                        "expires_on": award.expires_on,
                    },
                )
        except IntegrityError:
            continue  # another worker claimed it
        send_mail(
            subject=(
                f"Your {award.certification.name} certification expires on "
                f"{award.expires_on:%d %B %Y}"
            ),
            message=render_to_string(
                "training/email/expiry_reminder.txt", {"award": award, "tenant": tenant}
            ),
            from_email=None,
            recipient_list=[award.email],
        )
        sent += 1
    return sent


def _superseded(award: CertificationAward) -> bool:
    """A renewal already earned makes the old award's expiry moot."""
    return CertificationAward.objects.filter(
        partner_id=award.partner_id,
        email__iexact=award.email,
        certification_id=award.certification_id,
        earned_on__gt=award.earned_on,
    ).exists()


def course_save(*, course: Course) -> Course:
    course.full_clean()
    course.save()
    return course


def lesson_save(*, lesson: Lesson) -> Lesson:
    lesson.body = clean_lesson_html(lesson.body)
    if lesson.position is None:
        last = Lesson.objects.filter(course=lesson.course).order_by("-position").first()
        lesson.position = last.position + 1 if last else 1
    lesson.full_clean()
    lesson.save()
    return lesson


@transaction.atomic
def question_save(
    *, course: Course, text: str, choices: list[tuple[str, bool]], question=None
) -> Question:
    if sum(1 for _, correct in choices if correct) != 1:
        raise ValidationError("Mark exactly one choice as the correct answer.")
    if len(choices) < 2:
        raise ValidationError("Give at least two choices.")
    if question is None:
        last = Question.objects.filter(course=course).order_by("-position").first()
        question = Question(
            tenant=course.tenant, course=course, position=last.position + 1 if last else 1
        )
    question.text = text
    question.save()
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(tenant=course.tenant, question=question, text=choice_text, is_correct=correct)
        for choice_text, correct in choices
    )
    return question


def certification_save(*, certification: Certification, courses) -> Certification:
    certification.full_clean()
    certification.save()
    certification.courses.set(courses)
    return certification


def award_verify_code(*, award: CertificationAward) -> str:
    """The code that lets anyone check the award (made once, on the first download)."""
    if not award.verify_code:
        CertificationAward.objects.filter(pk=award.pk, verify_code__isnull=True).update(
            verify_code=secrets.token_urlsafe(12)
        )
        award.refresh_from_db(fields=["verify_code"])
    return award.verify_code


class LessonImageRefused(ValueError):
    pass


def lesson_image_store(*, tenant: Tenant, upload, by) -> LessonImage:
    """Keep an image for a lesson's text: PNG, JPEG, GIF or WebP (read from its first bytes, not
    its name), at most LESSON_IMAGE_MAX_BYTES."""
    limit = settings.LESSON_IMAGE_MAX_BYTES
    if upload.size > limit:
        raise LessonImageRefused(
            f"{upload.name} is {upload.size / 1e6:.1f} MB: images up to {limit / 1e6:.0f} MB "
            "are accepted."
        )
    head = upload.read(16)
    upload.seek(0)
    found = image_type(head)
    if found is None:
        raise LessonImageRefused(f"{upload.name}: lesson images are PNG, JPEG, GIF or WebP.")
    content_type, suffix = found
    key = uuid.uuid4()
    stored = default_storage.save(f"lesson-images/{tenant.pk}/{key.hex}{suffix}", upload)
    return LessonImage.objects.create(
        tenant=tenant,
        key=key,
        stored_file=stored,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
