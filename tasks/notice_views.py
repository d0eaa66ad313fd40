"""消息 (notices) and 消息设置: the same pages for every role; each account sees its own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from schools.access import PortalRequest
from tasks.forms import MailSettingsForm
from tasks.models import Notice
from tasks.transitions import TransitionError
from tizhi.lib.http import client_ip

PAGE_SIZE = 30


@login_required
def notices(request: PortalRequest) -> HttpResponse:
    """消息: newest first, unread marked; each links to where the work is."""
    unread_only = request.GET.get("show") == "unread"
    found = Notice.objects.filter(user=request.user)
    if unread_only:
        found = found.unread()
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "tasks/notices.html", {"page": page, "unread_only": unread_only})


@login_required
def notice_open(request: PortalRequest, pk: int) -> HttpResponse:
    """Follow a notice: it is marked read and the reader lands where the work is."""
    notice = get_object_or_404(Notice, pk=pk, user=request.user)
    notice.open()
    if not url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect("tasks:notices")
    return redirect(notice.url)


@login_required
@require_POST
def notices_read_all(request: PortalRequest) -> HttpResponse:
    count = Notice.read_all(request.user)
    messages.success(request, f"已将{count}条消息标为已读。" if count else "没有未读消息。")
    return redirect("tasks:notices")


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: PortalRequest) -> HttpResponse:
    """消息设置: the address notices are mailed to, and 每条通知 / 每日汇总 / 不发送."""
    user = request.user
    initial = {"email": user.mail_address, "mail_mode": user.mail_mode}
    form = MailSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user.set_mail_preferences(**form.cleaned_data, ip=client_ip(request))
            except TransitionError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "消息设置已保存。")
                return redirect("tasks:mail_settings")
        status = 400
    return render(request, "tasks/mail_settings.html", {"form": form}, status=status)
