from django import forms
from django.conf import settings
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from .embeds import VideoLinkError, video_player_url
from .models import Certification, Course, Lesson


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "key",
            "title",
            "summary",
            "estimated_minutes",
            "status",
            "minimum_tier",
            "pass_mark",
            "max_attempts",
            "retry_wait_hours",
        ]
        field_classes = {"minimum_tier": SafeModelChoiceField}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tiers = Course._meta.get_field("minimum_tier").related_model  # tiers.Tier, not imported
        self.fields["minimum_tier"].queryset = tiers.objects.select_related("program")
        self.fields["minimum_tier"].empty_label = "Open to every partner"
        self.fields["retry_wait_hours"].required = False  # empty: no wait

    def clean_retry_wait_hours(self):
        return self.cleaned_data.get("retry_wait_hours") or 0

    def clean_key(self):
        key = self.cleaned_data["key"].strip().lower()
        others = Course.objects.filter(key=key).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"Another course already has the key “{key}”.")
        return key


class RichTextInput(forms.Widget):
    """Trix: the text in a hidden input that the editor keeps in step. Its template sits in
    the app, where the form renderer looks."""

    template_name = "training/widgets/rich_text.html"

    def id_for_label(self, id_):
        return f"{id_}_editor" if id_ else id_


class LessonForm(forms.ModelForm):
    link_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Video or file link",
        help_text="A YouTube or Vimeo link plays in the lesson; any other link opens with it.",
    )

    class Meta:
        model = Lesson
        fields = ["title", "body", "link_url"]
        labels = {"body": "Text"}
        widgets = {"body": RichTextInput}

    def __init__(self, *args, upload_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.LESSON_IMAGE_MAX_BYTES
        body = self.fields["body"]
        body.widget.attrs.update(upload_url=upload_url, max_bytes=limit, label=body.label)
        body.help_text = (
            "Headings, lists, links, quotes and images (PNG, JPEG, GIF or WebP up to "
            f"{limit / 1e6:.0f} MB: drop them in, or use the paperclip)."
        )

    def clean_link_url(self):
        link = self.cleaned_data["link_url"]
        try:
            video_player_url(link)
        except VideoLinkError as error:
            raise forms.ValidationError(str(error)) from error
        return link


class QuestionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Question")
    choice_1 = forms.CharField(max_length=300, label="Choice 1")
    choice_2 = forms.CharField(max_length=300, label="Choice 2")
    choice_3 = forms.CharField(max_length=300, required=False, label="Choice 3")
    choice_4 = forms.CharField(max_length=300, required=False, label="Choice 4")
    correct = forms.TypedChoiceField(
        choices=[(n, f"Choice {n}") for n in range(1, 5)], coerce=int, label="Correct answer"
    )

    def clean(self):
        data = super().clean()
        correct = data.get("correct")
        if correct and not data.get(f"choice_{correct}"):
            self.add_error("correct", f"Choice {correct} is empty.")
        return data

    def choices(self) -> list[tuple[str, bool]]:
        data = self.cleaned_data
        return [
            (data[f"choice_{n}"], n == data["correct"])
            for n in range(1, 5)
            if data.get(f"choice_{n}")
        ]


class CertificationForm(forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["key", "name", "courses", "validity_months"]
        field_classes = {"courses": SafeModelMultipleChoiceField}
        widgets = {"courses": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = Course.objects.order_by("title")

    def clean_key(self):
        key = self.cleaned_data["key"].strip().lower()
        if Certification.objects.filter(key=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"Another certification already has the key “{key}”.")
        return key


class CertifiedFilterForm(forms.Form):
    certification = forms.ChoiceField(required=False)
    partner = forms.CharField(required=False, max_length=64, label="Partner reference")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].choices = [
            ("", "All certifications"),
            *Certification.objects.order_by("name").values_list("key", "name"),
        ]
