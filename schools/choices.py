from django.db import models


class Role(models.TextChoices):
    SCHOOL = "school", "学校（或其他）"
    PROVINCE = "province", "省级管理员"
    MINISTRY = "ministry", "教育部"
    OPERATOR = "operator", "系统运维"


class SchoolKind(models.TextChoices):
    SECONDARY = "secondary", "中职学校"
    JUNIOR_COLLEGE = "junior_college", "专科高职院校"
    UNDERGRADUATE = "undergraduate", "本科高职院校"
    OTHER = "other", "其他主体"


class MailMode(models.TextChoices):
    """How an account's notices are also mailed (消息设置)."""

    EACH = "each", "每条通知"
    DAILY = "daily", "每日汇总"
    NONE = "none", "不发送"


class AuditAction(models.TextChoices):
    """Every action the audit trail records, for every kind of subject.

    Listed here, in the app every other app depends on, so that schools (accounts), tasks
    (declarations, rounds, reports, catalogue) and review can all name their actions.
    """

    # A unit's declaration (承接任务) and the province's review of it.
    SAVE = "save", "保存"
    SUBMIT = "submit", "提交"
    WITHDRAW = "withdraw", "继续修改（撤回）"
    SAVE_RETURNED = "save_returned", "保存需修改的任务"
    RESUBMIT = "resubmit", "重新提交需修改的任务"
    APPROVE = "approve", "通过"
    RETURN = "return", "退回修改"
    UNDO = "undo", "撤销审核"
    REOPEN = "reopen", "退回学校重新填报"
    CHANGE_PROPOSE = "change_propose", "提交变更申请"
    CHANGE_WITHDRAW = "change_withdraw", "撤回变更申请"
    CHANGE_APPROVE = "change_approve", "同意变更"
    CHANGE_REFUSE = "change_refuse", "不同意变更"
    # Extensions for one school (延期).
    EXTENSION_REQUEST = "extension_request", "申请延期"
    EXTENSION_GRANT = "extension_grant", "批准延期"
    EXTENSION_REFUSE = "extension_refuse", "不同意延期"
    # Yearly reports.
    REPORT_SAVE = "report_save", "保存绩效填报"
    REPORT_SUBMIT = "report_submit", "提交绩效填报"
    REPORT_RETURN = "report_return", "退回绩效填报"
    REPORT_EVALUATE = "report_evaluate", "评价年度绩效"
    FILE_UPLOAD = "file_upload", "上传文件"
    FILE_DELETE = "file_delete", "删除文件"
    # Rounds and reporting years.
    ROUND_OPEN = "round_open", "开放本省申报"
    ROUND_CHANGE = "round_change", "修改本省申报要求"
    REQUIREMENT_SET = "requirement_set", "设置必选任务"
    REQUIREMENT_REMOVE = "requirement_remove", "移除必选任务"
    YEAR_OPEN = "year_open", "开放年度绩效填报"
    DEADLINE_SET = "deadline_set", "设置本省截止日期"
    SUMMARY_UPLOAD = "summary_upload", "上传省级总结报告"
    # Schools and accounts.
    SCHOOL_ADD = "school_add", "添加学校"
    SCHOOL_CHANGE = "school_change", "修改学校信息"
    CONTACTS_CHANGE = "contacts_change", "修改联系人信息"
    ACCOUNT_CREATE = "account_create", "新建账号"
    PASSWORD_RESET = "password_reset", "重置密码"
    PASSWORD_CHANGE = "password_change", "修改密码"
    ACCOUNT_DEACTIVATE = "account_deactivate", "停用账号"
    ACCOUNT_ACTIVATE = "account_activate", "启用账号"
    ACCOUNT_CHANGE = "account_change", "修改账号"
    MAIL_SETTINGS = "mail_settings", "修改消息设置"
    # The catalogue, and anything an operator edits in Django admin.
    ENTRY_ADD = "entry_add", "新增"
    ENTRY_CHANGE = "entry_change", "修改"
    ENTRY_DELETE = "entry_delete", "删除"
    REFERENCE_LOAD = "reference_load", "导入参考数据"
