from django.db import models


class ItemScope(models.TextChoices):
    SCHOOL = "school", "学校承接"
    PROVINCE = "province", "省级承接"
