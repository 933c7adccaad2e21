from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """One global identity per person; what they may do in a tenant lives on Membership."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self):
        return self.get_full_name() or self.email


class SignInThrottle(models.Model):
    """Failed sign-ins to one account from browsers that never signed in to it.

    Kept in PostgreSQL, not the cache, so it holds while Redis is down. It slows guessing down
    instead of locking the account: see partnerhub/accounts/throttle.py.
    """

    email = models.EmailField(unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.email}: {self.failures} failed sign-ins"
