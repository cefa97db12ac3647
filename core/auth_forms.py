"""Login and password forms with bounded input: Django's own leave the password (and,
on the login form, the user name's validation) unbounded, so a megabyte typed there
would be hashed, or written into the failed-login log's 255-character column."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.validators import MaxLengthValidator

# A pass-phrase fits; anything longer is refused before it is hashed.
PASSWORD_MAX_LENGTH = 128
# AbstractUser.username's column.
USERNAME_MAX_LENGTH = 150


def _bound(field: forms.Field, limit: int) -> None:
    assert isinstance(field, forms.CharField)
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)


class _BoundedLogin:
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound(self.fields["username"], USERNAME_MAX_LENGTH)
        _bound(self.fields["password"], PASSWORD_MAX_LENGTH)


class LoginForm(_BoundedLogin, auth_forms.AuthenticationForm):
    """The login page's form."""


class AdminLoginForm(_BoundedLogin, AdminAuthenticationForm):
    """The admin's login form."""


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("old_password", "new_password1", "new_password2"):
            _bound(self.fields[name], PASSWORD_MAX_LENGTH)
