from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from dlquiz.accounts.services import user_create
from dlquiz.decks.services import bundled_decks_enroll

USERNAME = "demo"
PASSWORD = "dlquiz-demo-2026"


class Command(BaseCommand):
    help = "Create (or refresh) the demo learner and print its credentials. Safe to re-run."

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            user = user_create(username=USERNAME, password=PASSWORD, email="demo@dlquiz.local")
        else:
            bundled_decks_enroll(user=user)  # decks added since the last run
        self.stdout.write(self.style.SUCCESS(f"Demo learner: username {USERNAME!r}, password {PASSWORD!r}"))
