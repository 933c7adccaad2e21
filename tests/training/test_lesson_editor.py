"""Lessons are written in a rich-text editor: images are stored like other uploads and shown only
to the tenant's people, YouTube and Vimeo links play in the lesson, and the text is cleaned by nh3
when saved and when shown."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from training.embeds import VideoLinkError, video_player_url
from training.models import Lesson, LessonImage

from .conftest import make_course

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
UPLOAD = "/o/acme/training/catalog/lesson-images/"


def upload(client, name, content, content_type="image/png"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, content_type)})


def test_an_image_is_stored_for_the_tenant_and_shown_to_its_partners_only(acme, globex):
    answer = upload(acme.client_for(acme.admin), "diagram.png", PNG)
    assert answer.status_code == 201
    url = answer.json()["url"]
    with scope(tenant=acme.tenant):
        image = LessonImage.objects.get()
    assert url == f"/o/acme/training/lesson-images/{image.key}/"
    assert image.stored_file.startswith(f"lesson-images/{acme.tenant.pk}/")
    shown = acme.client_for(acme.partner_user).get(url)
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    assert b"".join(shown.streaming_content) == PNG
    foreign = f"/o/globex/training/lesson-images/{image.key}/"
    assert globex.client_for(globex.admin).get(foreign).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "logo.png: lesson images are PNG, JPEG, GIF or WebP.",
        ),
        ("notes.pdf", b"%PDF-1.7", "notes.pdf: lesson images are PNG, JPEG, GIF or WebP."),
        ("huge.png", PNG + b"\0" * 2_000, "huge.png is 0.0 MB: images up to 0 MB are accepted."),
    ],
)
def test_an_image_that_is_not_one_is_refused_by_its_bytes_and_nothing_is_kept(
    acme, settings, name, content, error
):
    settings.LESSON_IMAGE_MAX_BYTES = 1_000
    answer = upload(acme.client_for(acme.admin), name, content)
    assert (answer.status_code, answer.json()) == (400, {"error": error})
    with scope(tenant=acme.tenant):
        assert not LessonImage.objects.exists()


def test_only_admins_upload_images(acme):
    assert upload(acme.client_for(acme.manager), "a.png", PNG).status_code == 403
    assert upload(acme.client_for(acme.partner_user), "a.png", PNG).status_code == 403


def test_the_saved_text_keeps_formatting_and_own_images_and_loses_everything_else(acme):
    course = make_course(acme, "cloud", lessons=0, quiz=False)
    client = acme.client_for(acme.admin)
    own = upload(client, "own.png", PNG).json()["url"]
    body = (
        '<div><strong>Read</strong> <del>this</del><figure data-trix-attachment="{}">'
        f'<img src="{own}" width="640" height="x" onerror="steal()">'
        "<figcaption>Our diagram</figcaption></figure>"
        '<img src="https://tracker.example/pixel.gif"><script>steal()</script>'
        '<a href="javascript:steal()">bad</a><iframe src="https://evil.example"></iframe></div>'
    )
    response = client.post(
        f"/o/acme/training/catalog/courses/{course.pk}/lessons/new/",
        {"title": "Diagrams", "body": body, "link_url": "", "action": "save"},
    )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        saved = Lesson.objects.get(course=course).body
    assert saved == (
        f'<div><strong>Read</strong> <del>this</del><figure><img src="{own}" width="640">'
        '<figcaption>Our diagram</figcaption></figure><img><a rel="noopener noreferrer">bad</a>'
        "</div>"
    )


@pytest.mark.parametrize(
    ("link", "player"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        (
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://videos.example.com/watch?v=dQw4w9WgXcQ", None),
        ("https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ", None),
        ("javascript:alert(1)", None),
    ],
)
def test_only_youtube_and_vimeo_links_become_players(link, player):
    assert video_player_url(link) == player


def test_a_youtube_or_vimeo_link_without_a_video_is_refused_with_the_shape_wanted(acme):
    with pytest.raises(VideoLinkError, match="names no video"):
        video_player_url("https://www.youtube.com/watch?list=PL123")
    course = make_course(acme, "cloud", lessons=0, quiz=False)
    response = acme.client_for(acme.admin).post(
        f"/o/acme/training/catalog/courses/{course.pk}/lessons/new/",
        {"title": "Intro", "body": "<p>Hi</p>", "link_url": "https://vimeo.com/about"},
    )
    assert "A Vimeo link names its video by number: vimeo.com/123456789." in (
        response.content.decode()
    )


def test_the_preview_shows_the_cleaned_text_and_the_player_and_saves_nothing(acme):
    course = make_course(acme, "cloud", lessons=0, quiz=False)
    response = acme.client_for(acme.admin).post(
        f"/o/acme/training/catalog/courses/{course.pk}/lessons/new/",
        {
            "title": "Watch",
            "body": "<p>Before you start<script>x()</script></p>",
            "link_url": "https://youtu.be/dQw4w9WgXcQ",
            "action": "preview",
        },
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "<p>Before you start</p>" in page and "<script>" not in page
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="Video: Watch"' in page
    with scope(tenant=acme.tenant):
        assert not Lesson.objects.filter(course=course).exists()


def test_a_partner_reads_the_lesson_with_its_player_and_the_policy_allows_only_those_players(
    acme,
):
    course = make_course(acme, "cloud", lessons=1, quiz=False)
    with scope(tenant=acme.tenant):
        Lesson.objects.filter(course=course).update(link_url="https://vimeo.com/76979871")
        lesson = Lesson.objects.get(course=course)
    client = acme.client_for(acme.partner_user)
    client.post(f"/o/acme/training/courses/{course.pk}/enrol/")
    response = client.get(f"/o/acme/training/courses/{course.pk}/lessons/{lesson.pk}/")
    assert '<iframe src="https://player.vimeo.com/video/76979871"' in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in policy
