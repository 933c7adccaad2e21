from django.urls import path

from . import views

urlpatterns = [
    path("training/", views.training_home, name="training_home"),
    path("training/courses/<int:course_pk>/", views.course_detail, name="course_detail"),
    path("training/courses/<int:course_pk>/enrol/", views.course_enroll, name="course_enroll"),
    path(
        "training/courses/<int:course_pk>/lessons/<int:lesson_pk>/",
        views.lesson_detail,
        name="lesson_detail",
    ),
    path("training/courses/<int:course_pk>/quiz/", views.quiz, name="course_quiz"),
    path("training/catalog/", views.training_catalog, name="training_catalog"),
    path("training/catalog/lesson-images/", views.lesson_image_upload, name="lesson_image_upload"),
    path("training/lesson-images/<uuid:image_key>/", views.lesson_image, name="lesson_image"),
    path("training/catalog/courses/new/", views.course_edit, name="course_create"),
    path("training/catalog/courses/<int:course_pk>/", views.course_edit, name="course_edit"),
    path(
        "training/catalog/courses/<int:course_pk>/lessons/new/",
        views.lesson_edit,
        name="lesson_create",
    ),
    path(
        "training/catalog/courses/<int:course_pk>/lessons/<int:lesson_pk>/",
        views.lesson_edit,
        name="lesson_edit",
    ),
    path(
        "training/catalog/courses/<int:course_pk>/questions/new/",
        views.question_edit,
        name="question_create",
    ),
    path(
        "training/catalog/courses/<int:course_pk>/questions/<int:question_pk>/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "training/catalog/certifications/new/",
        views.certification_edit,
        name="certification_create",
    ),
    path(
        "training/catalog/certifications/<int:certification_pk>/",
        views.certification_edit,
        name="certification_edit",
    ),
    path("training/certified/", views.certified_people, name="certified_people"),
    path(
        "training/certificates/<int:award_pk>/",
        views.certificate_download,
        name="certificate_download",
    ),
]
