"""Password sign-in that costs the same for every failure.

Django's ModelBackend refuses an inactive account like a wrong password, so telling its owner
"该账号已停用" meant checking the password a second time: a failed sign-in on a deactivated
account took two hashes, on any other account one, and the difference told an attacker which
accounts exist and are deactivated. This backend checks the password once for every account,
active or not; the sign-in form then refuses an inactive account by name. Sessions still end
with the account: get_user returns nobody for an inactive user.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class SignInBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        # Whether the password is right is answered for inactive accounts too (one hash, as
        # for any account); the caller decides what an inactive account may do.
        return True

    def get_user(self, user_id: int) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
