import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from partnerhub.csvfiles import formula_safe
from partnerhub.tenancy.access import admin_only, object_or_404, staff_only

from . import services
from .certificates import certificate_pdf
from .forms import CertificationForm, CertifiedFilterForm, CourseForm, LessonForm, QuestionForm
from .models import Certification, CertificationAward, Course, Enrollment, LessonImage
from .selectors import (
    attempt_review,
    award_by_verify_code,
    awards_of,
    certifications_with_courses,
    certified_people_report,
    completed_lesson_ids,
    course_catalog,
    course_counts_toward,
    course_for_member,
    course_is_locked_for,
    my_training,
)


def _course(request, course_pk: int) -> Course:
    course = course_for_member(membership=request.membership, course_id=course_pk)
    if course is None:
        raise Http404("No such course.")
    return course


def _enrollment(request, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(course=course, membership=request.membership).first()


def _learner_only(request):
    if not request.membership.is_partner_user:
        raise PermissionDenied("Courses are taken by partner users.")


def training_home(request):
    if request.membership.works_with_partners:
        return redirect("training_catalog", tenant_slug=request.tenant.slug)
    context = {
        "cards": course_catalog(membership=request.membership),
        "mine": my_training(membership=request.membership, today=request.tenant.local_today()),
    }
    return render(request, "training/my_training.html", context)


def course_detail(request, course_pk: int):
    course = _course(request, course_pk)
    enrollment = _enrollment(request, course)
    done = completed_lesson_ids(enrollment)
    lessons = list(course.lessons.all())
    next_lesson = next((lesson for lesson in lessons if lesson.pk not in done), None)
    last_attempt = enrollment.attempts.first() if enrollment else None
    retry_problem = ""
    if last_attempt and not last_attempt.passed:
        try:
            services.quiz_check_may_attempt(enrollment=enrollment)
        except services.LearningError as refused:
            retry_problem = str(refused)
    may_retry = not retry_problem or "retry the quiz from" in retry_problem
    context = {
        "course": course,
        "enrollment": enrollment,
        "lessons": [(lesson, lesson.pk in done, lesson == next_lesson) for lesson in lessons],
        "locked": course_is_locked_for(course=course, membership=request.membership),
        "has_quiz": course.questions.exists(),
        "quiz_open": enrollment is not None and next_lesson is None,
        "last_attempt": last_attempt,
        "review": attempt_review(attempt=last_attempt, reveal=not may_retry)
        if last_attempt and not last_attempt.passed
        else [],
        "may_retry": may_retry,
        "retry_problem": retry_problem,
        "counts_toward": course_counts_toward(course=course, membership=request.membership),
    }
    return render(request, "training/course_detail.html", context)


def course_enroll(request, course_pk: int):
    course = _course(request, course_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _learner_only(request)
    try:
        services.course_enroll(course=course, membership=request.membership)
    except services.LearningError as error:
        messages.error(request, str(error))
    return redirect("course_detail", tenant_slug=request.tenant.slug, course_pk=course.pk)


@require_http_methods(["GET", "POST"])
def lesson_detail(request, course_pk: int, lesson_pk: int):
    course = _course(request, course_pk)
    lesson = object_or_404(course.lessons.all(), lesson_pk)
    enrollment = _enrollment(request, course)
    if request.membership.is_partner_user:
        if enrollment is None:
            messages.info(request, "Enrol in the course to read its lessons.")
            return redirect("course_detail", tenant_slug=request.tenant.slug, course_pk=course.pk)
        done = completed_lesson_ids(enrollment)
        upcoming = services.next_lesson(enrollment=enrollment)
        if lesson.pk not in done and (upcoming is None or upcoming.pk != lesson.pk):
            messages.info(request, f"Lessons are read in order: “{upcoming.title}” comes first.")
            return redirect(
                "lesson_detail",
                tenant_slug=request.tenant.slug,
                course_pk=course.pk,
                lesson_pk=upcoming.pk,
            )
    if request.method == "POST":
        _learner_only(request)
        earned = services.lesson_complete(
            enrollment=enrollment, lesson=lesson, today=request.tenant.local_today()
        )
        following = services.next_lesson(enrollment=enrollment)
        if following is not None:
            return redirect(
                "lesson_detail",
                tenant_slug=request.tenant.slug,
                course_pk=course.pk,
                lesson_pk=following.pk,
            )
        enrollment.refresh_from_db()
        if enrollment.completed_on:
            messages.success(request, f"You completed {course.title}." + _earned_text(earned))
        return redirect("course_detail", tenant_slug=request.tenant.slug, course_pk=course.pk)
    return render(request, "training/lesson_detail.html", {"course": course, "lesson": lesson})


@require_http_methods(["GET", "POST"])
def quiz(request, course_pk: int):
    course = _course(request, course_pk)
    _learner_only(request)
    enrollment = _enrollment(request, course)
    if enrollment is None:
        raise Http404("Enrol in the course first.")
    questions = list(course.questions.prefetch_related("choices"))
    problem = None
    if request.method == "POST":
        answers = {
            key.removeprefix("question-"): value
            for key, value in request.POST.items()
            if key.startswith("question-")
        }
        try:
            result = services.quiz_submit(
                enrollment=enrollment, answers=answers, today=request.tenant.local_today()
            )
        except (ValidationError, services.LearningError) as error:
            problem = " ".join(getattr(error, "messages", [str(error)]))
        else:
            attempt = result.attempt
            if result.course_completed:
                messages.success(
                    request,
                    f"Passed with {attempt.score_percent} %: you completed {course.title}."
                    + _earned_text(result.earned),
                )
            elif attempt.passed:
                messages.success(request, f"Passed with {attempt.score_percent} %.")
            else:
                messages.error(
                    request,
                    f"{attempt.score_percent} %: the pass mark is {course.pass_mark} %. "
                    "Read the lessons again and retry.",
                )
            return redirect("course_detail", tenant_slug=request.tenant.slug, course_pk=course.pk)
    return render(
        request,
        "training/quiz.html",
        {"course": course, "questions": questions, "problem": problem},
    )


@staff_only
def training_catalog(request):
    context = {
        "cards": course_catalog(membership=request.membership),
        "certifications": certifications_with_courses(),
    }
    return render(request, "training/catalog.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def course_edit(request, course_pk: int | None = None):
    course = object_or_404(Course.objects.all(), course_pk) if course_pk else None
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.tenant = request.tenant
        try:
            services.course_save(course=saved)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Course {saved.title} saved.")
            return redirect("course_edit", tenant_slug=request.tenant.slug, course_pk=saved.pk)
    context = {
        "form": form,
        "course": course,
        "lessons": course.lessons.all() if course else [],
        "questions": course.questions.prefetch_related("choices") if course else [],
    }
    return render(request, "training/course_form.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def lesson_edit(request, course_pk: int, lesson_pk: int | None = None):
    course = object_or_404(Course.objects.all(), course_pk)
    lesson = object_or_404(course.lessons.all(), lesson_pk) if lesson_pk else None
    upload_url = reverse("lesson_image_upload", kwargs={"tenant_slug": request.tenant.slug})
    form = LessonForm(request.POST or None, instance=lesson, upload_url=upload_url)
    if request.method == "POST" and request.POST.get("action") == "preview":
        form.is_valid()  # the preview shows what the text would be, problems and all
        preview = {
            "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""),
            "link_url": form.cleaned_data.get("link_url", ""),
            "link_problem": form.errors.get("link_url"),
        }
        return render(request, "training/partials/lesson_preview.html", preview)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.tenant, saved.course = request.tenant, course
        services.lesson_save(lesson=saved)
        messages.success(request, f"Lesson {saved.title} saved.")
        return redirect("course_edit", tenant_slug=request.tenant.slug, course_pk=course.pk)
    return render(
        request, "training/lesson_form.html", {"form": form, "course": course, "lesson": lesson}
    )


@admin_only
@require_POST
def lesson_image_upload(request):
    """Trix sends each image dropped into a lesson here; the answer is where it is shown."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": "No image was sent (the field is “file”)."}, status=400)
    try:
        image = services.lesson_image_store(tenant=request.tenant, upload=upload, by=request.user)
    except services.LessonImageRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    url = reverse(
        "lesson_image", kwargs={"tenant_slug": request.tenant.slug, "image_key": image.key}
    )
    return JsonResponse({"url": url, "href": url}, status=201)


def lesson_image(request, image_key):
    """A lesson's image, to the tenant's own people (any role: partners read lessons)."""
    image = LessonImage.objects.filter(key=image_key).first()
    if image is None or not default_storage.exists(image.stored_file):
        raise Http404("No such image.")
    response = FileResponse(
        default_storage.open(image.stored_file, "rb"), content_type=image.content_type
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@admin_only
@require_http_methods(["GET", "POST"])
def question_edit(request, course_pk: int, question_pk: int | None = None):
    course = object_or_404(Course.objects.all(), course_pk)
    question = object_or_404(course.questions.all(), question_pk) if question_pk else None
    initial = {}
    if question:
        initial = {"text": question.text}
        for n, choice in enumerate(question.choices.all(), start=1):
            initial[f"choice_{n}"] = choice.text
            if choice.is_correct:
                initial["correct"] = n
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_save(
                course=course,
                text=form.cleaned_data["text"],
                choices=form.choices(),
                question=question,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Question saved.")
            return redirect("course_edit", tenant_slug=request.tenant.slug, course_pk=course.pk)
    return render(
        request,
        "training/question_form.html",
        {"form": form, "course": course, "question": question},
    )


@admin_only
@require_http_methods(["GET", "POST"])
def certification_edit(request, certification_pk: int | None = None):
    certification = (
        object_or_404(Certification.objects.all(), certification_pk) if certification_pk else None
    )
    form = CertificationForm(request.POST or None, instance=certification)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.tenant = request.tenant
        services.certification_save(certification=saved, courses=form.cleaned_data["courses"])
        messages.success(request, f"Certification {saved.name} saved.")
        return redirect("training_catalog", tenant_slug=request.tenant.slug)
    return render(
        request, "training/certification_form.html", {"form": form, "certification": certification}
    )


@staff_only
def certified_people(request):
    form = CertifiedFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    rows = certified_people_report(
        on=request.tenant.local_today(),
        certification_key=data.get("certification") or "",
        partner_ref=data.get("partner") or "",
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="certified-{request.tenant.slug}.csv"'
        )
        writer = csv.writer(response, lineterminator="\n")
        writer.writerow(["certification", "partner_ref", "partner", "people"])
        for row in rows:
            writer.writerow(
                [
                    formula_safe(row.certification.key),
                    formula_safe(row.partner.ref),
                    formula_safe(row.partner.name),
                    row.people,
                ]
            )
        return response
    return render(request, "training/certified.html", {"form": form, "rows": rows})


def certificate_download(request, award_pk: int):
    """A certificate as PDF: to its holder, and to the program's staff."""
    awards = (
        CertificationAward.objects.all()
        if request.membership.works_with_partners
        else awards_of(membership=request.membership)
    )
    award = object_or_404(awards.select_related("certification", "partner", "user"), award_pk)
    code = services.award_verify_code(award=award)
    verify_url = settings.PUBLIC_BASE_URL + reverse("certificate_verify", kwargs={"code": code})
    holder = award.user.display_name if award.user else award.email
    pdf = certificate_pdf(
        award=award, holder=holder, program=request.tenant.name, verify_url=verify_url
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{award.certification.key}-{award.earned_on}.pdf"'
    )
    return response


def certificate_verify(request, code: str):
    """Public: is this certificate real, and does it still hold? Names the certification, the
    partner and the holder, nothing else."""
    award = award_by_verify_code(code)
    if award is None:
        raise Http404("No certificate has this code.")
    today = award.tenant.local_today()
    holds = award.earned_on <= today and (award.expires_on is None or award.expires_on > today)
    context = {"award": award, "holds": holds, "holder": _holder_shown(award)}
    return render(request, "training/certificate_verify.html", context)


def _holder_shown(award) -> str:
    if award.user and award.user.display_name != award.user.email:
        return award.user.display_name
    local, _, domain = award.email.partition("@")
    return f"{local[:1]}…@{domain}"


def _earned_text(earned) -> str:
    if not earned:
        return ""
    names = ", ".join(award.certification.name for award in earned)
    return f" You earned {names}: download the certificate under My training."
