from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from cite_emploi.core.navigation import PARTS
from cite_emploi.territory.queries import territory_summary

from .forms import LoginForm, NewPasswordForm, ResetRequestForm, TerritorySwitchForm
from .scope import switch_territory


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, proconnect=settings.PROCONNECT_ENABLED)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


def home(request):
    """The landing page for visitors; the dashboard of the user's territory once signed in."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html", {"parts": PARTS, "title": "Accueil"})
    scope = request.scope
    summary = territory_summary(scope.territory) if scope.territory else None
    return render(request, "accounts/home.html", {"summary": summary, "title": "Tableau de bord"})


@login_required
def account(request):
    scope = request.scope
    # The table lists every membership's communes; the scope fetched only the elected members'.
    prefetch_related_objects(scope.memberships, "communes")
    return render(request, "accounts/account.html", {"scope": scope})


@login_required
@require_POST
def switch(request):
    form = TerritorySwitchForm(request.POST)
    if form.is_valid() and switch_territory(request, form.cleaned_data["territory"]):
        messages.success(request, "Territoire changé.")
    else:
        messages.error(request, "Ce territoire ne fait pas partie de vos habilitations.")
    return redirect("accounts:home")
