"""What every signed-in page shows in its header and menu: unread notices, for a school the
items waiting in 需修改的任务, for a province the schools waiting in 待审核 and the requests
waiting in 延期申请. One query each, whatever the number of notices, items or schools."""

from typing import Any

from django.http import HttpRequest

from tasks.models import Commitment, Extension, Notice


def notices(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.must_change_password:
        return {}
    found: dict[str, Any] = {"unread_notices": Notice.objects.filter(user=user).unread().count()}
    if user.school_id is not None:
        found["returned_items"] = Commitment.objects.returned_to(user.school_id).count()
    elif user.is_province_admin:
        # 待审核 in the menu: schools of the province with items awaiting review.
        found["awaiting_schools"] = (
            Commitment.objects.awaiting_review()
            .filter(declaration__round__province_id=user.province_id)
            .values("declaration_id")
            .distinct()
            .count()
        )
        # 延期申请 in the menu: the province's requests waiting for an answer.
        found["pending_extensions"] = (
            Extension.objects.filter(
                round__province_id=user.province_id, round__plan__is_current=True
            )
            .pending()
            .count()
        )
    return found
