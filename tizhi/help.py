"""帮助: the screenshots the help page shows, one list for the page and for the browser test that
takes them (tests/e2e/test_help.py), so a screenshot the page needs is never missing or stale."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Shot:
    name: str  # static/help/<name>.png
    caption: str


SCHOOL_SHOTS = [
    Shot("school-sign-in", "图1 学校用户登录：用户名为10位学校标识码，输入验证码后登录"),
    Shot("school-form", "图2 承接任务：填写联系人，勾选任务并填写承接数量和预计投入经费，先保存"),
    Shot("school-preview", "图3 提交后的预览：可打印盖章；省厅开始审核前可撤回"),
    Shot("school-returned", "图4 需修改的任务：按省厅意见修改后重新提交，并可查看与退回时的对比"),
    Shot("school-contacts", "图5 省级平台联系人：填报中遇到问题，按此电话咨询"),
]

PROVINCE_SHOTS = [
    Shot("province-queue", "图6 待审核：按提交时间先后列出等待审核的学校"),
    Shot("province-review", "图7 审核一所学校：逐项通过或退回修改（退回须填写意见）"),
    Shot("province-by-item", "图8 按任务审核：同一任务（项目）下本省各校的承接情况，可批量处理"),
]

SHOTS = SCHOOL_SHOTS + PROVINCE_SHOTS
