import pytest
from tests.e2e.test_display import school, submitted, FORM, DESKTOP, PHONE, MinistryUserFactory  # noqa
from tests.e2e.conftest import sign_in_by_cookie

pytestmark = pytest.mark.django_db(transaction=True)

def test_shots(live_server, browser, school):
    from tests.factories import ProvinceAdminFactory
    d = submitted(school, {"school_funds": "4723742.32"})
    for name, vp in [("desk", DESKTOP), ("phone", PHONE), ("mid", {"width": 1024, "height": 768})]:
        if name != "desk":
            submitted(school, {"school_funds": "4723742.32"})
        ctx = browser.new_context(viewport=vp, locale="zh-CN")
        sign_in_by_cookie(ctx, live_server, school)
        p = ctx.new_page()
        p.goto(live_server.url + FORM)
        p.screenshot(path=f"/tmp/shots/{name}-preview.png", full_page=False)
        p.get_by_role("button", name="继续修改").click()
        p.screenshot(path=f"/tmp/shots/{name}-form.png", full_page=False)
        p.evaluate("window.scrollTo(0, 1500)")
        p.screenshot(path=f"/tmp/shots/{name}-form-scrolled.png", full_page=False)
        ctx.close()
    # resubmit for review
    submitted(school, {"school_funds": "4723742.32"})
    for name, vp in [("desk", DESKTOP), ("phone", PHONE)]:
        ctx = browser.new_context(viewport=vp, locale="zh-CN")
        sign_in_by_cookie(ctx, live_server, MinistryUserFactory())
        p = ctx.new_page()
        p.goto(live_server.url + "/ministry/")
        p.screenshot(path=f"/tmp/shots/{name}-ministry.png", full_page=False)
        p.goto(live_server.url + "/ministry/tables/provinces/")
        p.screenshot(path=f"/tmp/shots/{name}-tprov.png", full_page=False)
        ctx.close()
        ctx = browser.new_context(viewport=vp, locale="zh-CN")
        sign_in_by_cookie(ctx, live_server, ProvinceAdminFactory(province=school.school.province))
        p = ctx.new_page()
        p.goto(live_server.url + f"/province/schools/{school.school.code}/")
        p.screenshot(path=f"/tmp/shots/{name}-review.png", full_page=False)
        if name == "desk":
            p.emulate_media(media="print")
            open("/tmp/shots/review.pdf","wb").write(p.pdf(prefer_css_page_size=True))
        ctx.close()
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    sign_in_by_cookie(ctx, live_server, school)
    p = ctx.new_page()
    p.goto(live_server.url + FORM)
    p.emulate_media(media="print")
    open("/tmp/shots/preview.pdf","wb").write(p.pdf(prefer_css_page_size=True))
    ctx.close()
