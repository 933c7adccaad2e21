import datetime

import pytest
from django_scopes import scope

from tiers.models import Placement, Program, Tier
from training.models import Certification, Choice, Course, Lesson, Question

TODAY = datetime.date(2026, 11, 22)


def make_course(world, key, *, lessons=2, quiz=True, tier=None, status="published"):
    with scope(tenant=world.tenant):
        course = Course.objects.create(
            tenant=world.tenant,
            key=key,
            title=f"{key.title()} course",
            status=status,
            minimum_tier=tier,
            pass_mark=50,
        )
        for position in range(1, lessons + 1):
            Lesson.objects.create(
                tenant=world.tenant,
                course=course,
                position=position,
                title=f"{key} lesson {position}",
                body=f"<p>Body {position}</p>",
            )
        if quiz:
            for position in (1, 2):
                question = Question.objects.create(
                    tenant=world.tenant,
                    course=course,
                    position=position,
                    text=f"Question {position}?",
                )
                Choice.objects.create(
                    tenant=world.tenant, question=question, text="Right", is_correct=True
                )
                Choice.objects.create(tenant=world.tenant, question=question, text="Wrong")
    return course


@pytest.fixture
def catalog(acme):
    """Acme: a program with Silver (1) and Gold (2), two courses making the Sales
    Professional certification (valid 24 months), and a Gold-only course."""
    with scope(tenant=acme.tenant):
        program = Program.objects.create(tenant=acme.tenant, key="resell", name="Resell")
        acme.silver = Tier.objects.create(
            tenant=acme.tenant, program=program, key="silver", name="Silver", rank=1
        )
        acme.gold = Tier.objects.create(
            tenant=acme.tenant, program=program, key="gold", name="Gold", rank=2
        )
    acme.basics = make_course(acme, "basics")
    acme.selling = make_course(acme, "selling", quiz=False)
    acme.elite = make_course(acme, "elite", tier=acme.gold)
    with scope(tenant=acme.tenant):
        acme.sales_pro = Certification.objects.create(
            tenant=acme.tenant, key="sales-pro", name="Sales Professional", validity_months=24
        )
        acme.sales_pro.courses.set([acme.basics, acme.selling])
    return acme


def place(world, tier):
    with scope(tenant=world.tenant):
        Placement.objects.update_or_create(
            partner=world.partner,
            program=tier.program,
            defaults={"tier": tier},
            create_defaults={
                "tenant": world.tenant,
                "joined_on": world.partner.joined_on,
                "tier": tier,
            },
        )


def answers_for(course, correct=True) -> dict[str, str]:
    with scope(tenant=course.tenant):
        return {
            str(question.pk): str(question.choices.get(is_correct=correct).pk)
            for question in course.questions.all()
        }
