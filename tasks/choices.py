from django.db import models

# The audit trail's actions are listed where every app can name them.
from schools.choices import AuditAction as AuditAction


class ItemScope(models.TextChoices):
    SCHOOL = "school", "学校承接"
    PROVINCE = "province", "省级承接"


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交"


class ReviewStatus(models.TextChoices):
    """省厅审核情况 of one commitment of a submitted declaration; blank while in draft."""

    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    RETURNED = "returned", "退回修改"


class SchoolStatus(models.TextChoices):
    """A school's overall state, derived from its declaration for lists and counts."""

    NOT_STARTED = "not_started", "未填报"
    FILLING = "filling", "填报中"
    SUBMITTED = "submitted", "已提交"
    REVIEWING = "reviewing", "审核中"
    RETURNED = "returned", "需修改"
    APPROVED = "approved", "已通过"


class FileKind(models.TextChoices):
    """Files the platform accepts, as the user knows them."""

    PDF = "pdf", "PDF"
    DOC = "doc", "DOC"
    DOCX = "docx", "DOCX"
    XLS = "xls", "XLS"
    XLSX = "xlsx", "XLSX"
    JPG = "jpg", "JPG"
    PNG = "png", "PNG"


class WindowState(models.TextChoices):
    NOT_STARTED = "not_started", "尚未开始"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已截止"


class ExtensionStatus(models.TextChoices):
    """An extension (延期) for one school: asked and waiting, granted, or refused. A grant the
    province gives unasked is stored granted from the start."""

    REQUESTED = "requested", "待处理"
    GRANTED = "granted", "已批准"
    REFUSED = "refused", "不同意"


class ReportProgress(models.TextChoices):
    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "进行中"
    DONE = "done", "已完成"


class ReportStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未填报"
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "退回修改"
    EVALUATED = "evaluated", "已评价"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


FUND_FIELDS = (
    ("school_funds", "学校自筹"),
    ("industry_funds", "行业企业投入"),
    ("sponsor_funds", "举办方投入"),
    ("local_funds", "地市县投入"),
    ("provincial_funds", "省财政投入"),
)
FUND_NAMES = tuple(name for name, _label in FUND_FIELDS)
FUND_LABELS = dict(FUND_FIELDS)


class NoticeKind(models.TextChoices):
    """What a notice (消息) is about."""

    ITEM_RETURNED = "item_returned", "任务退回修改"
    ITEMS_APPROVED = "items_approved", "任务审核通过"
    ALL_APPROVED = "all_approved", "全部任务审核通过"
    REOPENED = "reopened", "退回重新填报"
    REVIEW_UNDONE = "review_undone", "审核撤销"
    REPORT_RETURNED = "report_returned", "年度绩效退回修改"
    REPORT_EVALUATED = "report_evaluated", "年度绩效已评价"
    DEADLINE = "deadline", "截止提醒"
    SUBMITTED = "submitted", "学校提交"
    RESUBMITTED = "resubmitted", "学校重新提交"
    PROVINCE_REVIEWED = "province_reviewed", "省级审核完成"
    CHANGE_PROPOSED = "change_proposed", "学校变更申请"
    CHANGE_DECIDED = "change_decided", "变更申请审核结果"
    EXTENSION_REQUESTED = "extension_requested", "延期申请"
    EXTENSION_GRANTED = "extension_granted", "批准延期"
    EXTENSION_REFUSED = "extension_refused", "不同意延期"


class ChangeStatus(models.TextChoices):
    """变更申请: a school's proposal to change what the province approved."""

    PENDING = "pending", "待审核"
    APPROVED = "approved", "已同意"
    REFUSED = "refused", "未同意"
    WITHDRAWN = "withdrawn", "已撤回"
    CANCELLED = "cancelled", "已作废"


class MailStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
