import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from partnerhub.tenancy.models import Membership
from partners.models import Partner

from .models import (
    Certification,
    CertificationAward,
    Course,
    CourseStatus,
    Enrollment,
    LessonCompletion,
    QuizAttempt,
)

EXPIRY_WARNING_DAYS = 60


def held_on(on: datetime.date) -> Q:
    """Awards held on `on`: earned on or before it, and not yet expired (expiry is exclusive)."""
    return Q(earned_on__lte=on) & (Q(expires_on__isnull=True) | Q(expires_on__gt=on))


def certified_people_count(
    *,
    on: datetime.date,
    partner_ids: Iterable[int] | QuerySet | None = None,
    certification_keys: Iterable[str] | None = None,
) -> dict[tuple[int, str], int]:
    """How many distinct people (by e-mail) of each partner hold each certification on `on`.

    The rule the tier engine uses, in one query: {(partner id, certification key): count};
    pairs with nobody certified are absent.
    """
    awards = CertificationAward.objects.filter(held_on(on))
    if partner_ids is not None:
        awards = awards.filter(partner_id__in=_ids_or_subquery(partner_ids))
    if certification_keys is not None:
        awards = awards.filter(certification__key__in=_ids_or_subquery(certification_keys))
    rows = (
        awards.values("partner_id", "certification__key")
        .annotate(people=Count(Lower("email"), distinct=True))
        .order_by()
    )
    return {(row["partner_id"], row["certification__key"]): row["people"] for row in rows}


def certified_people_count_any(
    *, on: datetime.date, partner_ids, certification_keys: Iterable[str]
) -> dict[int, int]:
    """How many distinct people of each partner hold at least one of the certifications on
    `on` (a certification family): {partner id: count}, in one query."""
    awards = CertificationAward.objects.filter(
        held_on(on),
        partner_id__in=_ids_or_subquery(partner_ids),
        certification__key__in=list(certification_keys),
    )
    rows = awards.values("partner_id").annotate(people=Count(Lower("email"), distinct=True))
    return {row["partner_id"]: row["people"] for row in rows.order_by()}


def _ids_or_subquery(values):
    """A queryset stays a subquery (no id list on the wire); other iterables become a list."""
    return values if isinstance(values, QuerySet) else list(values)


def partner_tiers(partner_id: int | None) -> list:
    """The tiers (tiers.Tier) the partner holds, one per program it is in. Read through the
    placements relation that tiers declares on Partner: training sits below tiers and does
    not import it."""
    placements = Partner._meta.get_field("placements").related_model.objects
    held = placements.filter(partner_id=partner_id, tier__isnull=False).select_related("tier")
    return [placement.tier for placement in held]


def _opens_for(course: Course, tiers: list) -> bool:
    return course.minimum_tier is None or any(course.minimum_tier.is_reached_by(t) for t in tiers)


@dataclass
class CourseCard:
    course: Course
    locked: bool
    lessons: int
    lessons_done: int
    enrollment: Enrollment | None

    @property
    def completed(self) -> bool:
        return bool(self.enrollment and self.enrollment.completed_on)

    @property
    def percent(self) -> int:
        if self.completed:
            return 100
        steps = self.lessons + (1 if self.course.question_count else 0)
        return round(100 * self.lessons_done / steps) if steps else 0


def course_catalog(*, membership: Membership) -> list[CourseCard]:
    """Published courses as a partner user sees them: locked or open, with their progress.

    Staff see every course, drafts too. A fixed number of queries whatever the catalog size.
    """
    courses = (
        Course.objects.select_related("minimum_tier__program")
        .annotate(
            lesson_count=Count("lessons", distinct=True),
            question_count=Count("questions", distinct=True),
        )
        .order_by("title")
    )
    if membership.is_partner_user:
        courses = courses.filter(status=CourseStatus.PUBLISHED)
    enrollments = {
        enrollment.course_id: enrollment
        for enrollment in Enrollment.objects.filter(membership=membership).annotate(
            done=Count("completions")
        )
    }
    tiers = partner_tiers(membership.partner_id) if membership.is_partner_user else []
    cards = []
    for course in courses:
        enrollment = enrollments.get(course.pk)
        locked = membership.is_partner_user and not _opens_for(course, tiers)
        cards.append(
            CourseCard(
                course=course,
                locked=locked,
                lessons=course.lesson_count,
                lessons_done=enrollment.done if enrollment else 0,
                enrollment=enrollment,
            )
        )
    return cards


def course_for_member(*, membership: Membership, course_id: int) -> Course | None:
    courses = Course.objects.select_related("minimum_tier__program").prefetch_related("lessons")
    if membership.is_partner_user:
        courses = courses.filter(status=CourseStatus.PUBLISHED)
    return courses.filter(pk=course_id).first()


def course_is_locked_for(*, course: Course, membership: Membership) -> bool:
    if not membership.is_partner_user or course.minimum_tier is None:
        return False
    return not _opens_for(course, partner_tiers(membership.partner_id))


def completed_lesson_ids(enrollment: Enrollment | None) -> set[int]:
    if enrollment is None:
        return set()
    return set(
        LessonCompletion.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
    )


@dataclass(frozen=True)
class HeldCertification:
    award: CertificationAward
    active: bool
    expires_soon: bool


def award_view(award: CertificationAward, today: datetime.date) -> HeldCertification:
    active = award.earned_on <= today and (award.expires_on is None or today < award.expires_on)
    soon = (
        active
        and award.expires_on is not None
        and (award.expires_on - today).days <= EXPIRY_WARNING_DAYS
    )
    return HeldCertification(award, active, soon)


@dataclass
class MyTraining:
    in_progress: list[CourseCard] = field(default_factory=list)
    completed: list[CourseCard] = field(default_factory=list)
    certifications: list[HeldCertification] = field(default_factory=list)

    @property
    def expiring(self) -> list[HeldCertification]:
        return [held for held in self.certifications if held.expires_soon]


def my_training(*, membership: Membership, today: datetime.date) -> MyTraining:
    mine = MyTraining()
    for card in course_catalog(membership=membership):
        if card.completed:
            mine.completed.append(card)
        elif card.enrollment:
            mine.in_progress.append(card)
    awards = CertificationAward.objects.filter(
        partner_id=membership.partner_id, email__iexact=membership.user.email
    ).select_related("certification")
    mine.certifications = [award_view(award, today) for award in awards]
    return mine


def partner_certifications(*, partner: Partner, today: datetime.date) -> list[HeldCertification]:
    awards = CertificationAward.objects.filter(partner=partner).select_related("certification")
    return [
        award_view(award, today)
        for award in awards.order_by("certification__name", "email", "-earned_on")
    ]


@dataclass(frozen=True)
class CertifiedRow:
    certification: Certification
    partner: Partner
    people: int


def certified_people_report(
    *, on: datetime.date, certification_key: str = "", partner_ref: str = ""
) -> list[CertifiedRow]:
    """People holding each certification on `on`, per partner; the manager's report and its CSV."""
    certifications = Certification.objects.order_by("name")
    if certification_key:
        certifications = certifications.filter(key=certification_key)
    partners = Partner.objects.order_by("ref")
    if partner_ref:
        partners = partners.filter(ref=partner_ref)
    counts = certified_people_count(
        on=on,
        partner_ids=partners.values_list("pk", flat=True),
        certification_keys=certifications.values_list("key", flat=True),
    )
    partners_by_id = {
        partner.pk: partner for partner in partners.filter(pk__in={p for p, _ in counts})
    }
    rows = []
    for certification in certifications:
        for partner_id, partner in partners_by_id.items():
            people = counts.get((partner_id, certification.key))
            if people:
                rows.append(CertifiedRow(certification, partner, people))
    return sorted(rows, key=lambda row: (row.certification.name, row.partner.ref))


def certifications_with_courses() -> QuerySet[Certification]:
    return Certification.objects.prefetch_related(
        Prefetch("courses", queryset=Course.objects.order_by("title"))
    ).order_by("name")


@dataclass(frozen=True)
class CountsToward:
    """A certification a course counts toward, and how far the learner is along its courses."""

    certification: Certification
    courses: list[Course]
    completed: int  # of those courses, by this learner (0 for staff)
    others: list[Course]  # the courses besides this one


def course_counts_toward(*, course: Course, membership: Membership) -> list[CountsToward]:
    """The certifications `course` counts toward, each with its courses and the learner's
    progress ("1 of 2 courses"). Two queries."""
    certifications = list(
        course.certifications.prefetch_related(
            Prefetch("courses", queryset=Course.objects.order_by("title"))
        ).order_by("name")
    )
    done: set[int] = set()
    if membership.is_partner_user:
        done = set(
            Enrollment.objects.filter(
                membership=membership,
                completed_on__isnull=False,
                course__certifications__in=certifications,
            ).values_list("course_id", flat=True)
        )
    return [
        CountsToward(
            certification,
            list(certification.courses.all()),
            sum(1 for c in certification.courses.all() if c.pk in done),
            [c for c in certification.courses.all() if c.pk != course.pk],
        )
        for certification in certifications
    ]


@dataclass(frozen=True)
class AnswerReview:
    position: int
    question: str
    right: bool
    correct_answer: str  # shown only when no retry is left


def attempt_review(*, attempt: QuizAttempt, reveal: bool) -> list[AnswerReview]:
    """Which answers of an attempt were wrong; the right answer only when `reveal` (no retry
    left), so a learner who may retry still has to learn it."""
    questions = attempt.enrollment.course.questions.prefetch_related("choices").order_by("position")
    review = []
    for question in questions:
        chosen = attempt.answers.get(str(question.pk))
        correct = next((c for c in question.choices.all() if c.is_correct), None)
        right = correct is not None and chosen == correct.pk
        review.append(
            AnswerReview(
                question.position,
                question.text,
                right,
                correct.text if (reveal and correct is not None and not right) else "",
            )
        )
    return review


def award_by_verify_code(code: str) -> CertificationAward | None:
    """The award a certificate's code names, whatever its tenant: keyed by a secret, like an
    invitation token, so it reveals nothing but the one award."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        return (
            CertificationAward.objects.select_related("certification", "partner", "tenant", "user")
            .filter(verify_code=code)
            .first()
        )


def awards_of(*, membership: Membership):
    """The awards that belong to this person (by account, or by e-mail from an LMS feed)."""
    email = membership.user.email
    return CertificationAward.objects.filter(
        Q(user=membership.user) | Q(email__iexact=email), partner_id=membership.partner_id
    )
