"""A request body over REQUEST_MAX_BYTES gets 413 before the app reads it (issue 15 part 2)."""

import socket

import pytest
from django.test import Client

from tests.html_checks import check_page

pytestmark = pytest.mark.django_db


def test_a_declared_oversized_body_is_refused_unread(reference_data, settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    client = Client()
    # Only the header is sent as oversized: the body is never read, so its real size does
    # not matter (a 200 MB upload is refused the same way, at its headers).
    response = client.generic(
        "POST",
        "/login/school/",
        data=b"x" * 10,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="209715200",
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "提交的内容超过 1 MB，未被接收" in html
    check_page(html)


def test_a_body_within_the_limit_is_read(reference_data):
    response = Client().post("/login/school/", {"username": "x"})
    assert response.status_code in (200, 400)


def test_a_200_mb_upload_to_a_real_server_is_refused_before_its_body_is_sent(live_server):
    """Through a real socket: the server answers 413 after the headers, without waiting for
    (or reading) the 200 MB."""
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST /login/school/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 209715200\r\n\r\n" + b"x" * 65536
        )
        answer = sock.recv(65536).decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
