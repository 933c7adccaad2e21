from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from partnerhub.tenancy.models import TenantOwnedModel
from partners.models import partner_type_validator


class CourseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Course(TenantOwnedModel):
    key = models.CharField(max_length=64, validators=[partner_type_validator])
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    estimated_minutes = models.PositiveIntegerField(default=30)
    status = models.CharField(max_length=16, choices=CourseStatus, default=CourseStatus.DRAFT)
    minimum_tier = models.ForeignKey(
        "tiers.Tier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Partners below this tier see the course locked.",
    )
    pass_mark = models.PositiveIntegerField(
        "quiz pass mark (%)",
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    max_attempts = models.PositiveIntegerField(
        "quiz attempts allowed",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How many times a learner may take the quiz; empty for no limit.",
    )
    retry_wait_hours = models.PositiveIntegerField(
        "hours before a retry",
        default=0,
        help_text="How long a learner waits after a failed attempt before the next one.",
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="course_key_unique_per_tenant")
        ]

    def __str__(self):
        return self.title


class Lesson(TenantOwnedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Basic HTML: paragraphs, headings, lists, links.")
    link_url = models.URLField(
        "video or file link", blank=True, help_text="A video or a document to open with the lesson."
    )

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="lesson_position_unique")
        ]

    def __str__(self):
        return self.title


class Question(TenantOwnedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["course", "position"]

    def __str__(self):
        return self.text[:60]


class Choice(TenantOwnedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "pk"]

    def __str__(self):
        return self.text


class Enrollment(TenantOwnedModel):
    """A person taking a course, as a member of one partner."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    membership = models.ForeignKey(
        "tenancy.Membership", on_delete=models.CASCADE, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "membership"], name="enrollment_once")
        ]


class LessonCompletion(TenantOwnedModel):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "lesson"], name="lesson_completed_once")
        ]


class QuizAttempt(TenantOwnedModel):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    submitted_at = models.DateTimeField(auto_now_add=True)
    answers = models.JSONField(help_text="question id → chosen choice id, as submitted")
    correct = models.PositiveIntegerField()
    questions = models.PositiveIntegerField()
    score_percent = models.PositiveIntegerField()
    passed = models.BooleanField()

    class Meta:
        ordering = ["-submitted_at"]


class Certification(TenantOwnedModel):
    key = models.CharField(max_length=64, validators=[partner_type_validator])
    name = models.CharField(max_length=200)
    courses = models.ManyToManyField(Course, related_name="certifications", blank=True)
    validity_months = models.PositiveIntegerField(
        null=True, blank=True, help_text="Leave empty for a certification that never expires."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="certification_key_unique")
        ]

    def __str__(self):
        return self.name

    def expiry_for(self, earned_on):
        if self.validity_months is None:
            return None
        return earned_on + relativedelta(months=self.validity_months)


class AwardSource(models.TextChoices):
    COURSES = "courses", "Completed the courses"
    IMPORT = "import", "Imported"


class CertificationAward(TenantOwnedModel):
    """One person of a partner earning a certification on a date; a renewal is a new award.

    The person is their e-mail within the partner: awards imported from an outside LMS name
    people who may never sign in here."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="awards"
    )
    earned_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=AwardSource)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Made when its certificate is first downloaded; anyone with it can check the award is real.
    verify_code = models.CharField(max_length=32, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-earned_on"]
        constraints = [
            models.UniqueConstraint(
                "partner", Lower("email"), "certification", "earned_on", name="award_once"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gt=models.F("earned_on")),
                name="award_expires_after_earned",
            ),
        ]
        indexes = [models.Index(fields=["certification", "partner"], name="award_by_partner")]


class ExpiryReminder(TenantOwnedModel):
    """That the reminder for an award at a threshold went out; the unique key sends it once."""

    award = models.ForeignKey(CertificationAward, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["award", "days_before"], name="reminder_once")
        ]


class LessonImage(TenantOwnedModel):
    """An image placed in a lesson's text. Stored like other uploads (default storage, under
    the tenant) and shown only to the tenant's own people."""

    key = models.UUIDField(unique=True, editable=False)
    stored_file = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.key)
