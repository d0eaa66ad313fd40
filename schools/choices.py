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
