import factory
from factory.django import DjangoModelFactory

from schools.choices import Role, SchoolKind
from schools.models import Province, School, User

PASSWORD = "Zhiye2026Pw"


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    # Codes 70–99 are not used by real provinces, so factories never clash with the fixture.
    code = factory.Sequence(lambda n: f"{70 + n % 30:02d}")
    name = factory.LazyAttribute(lambda o: f"测试省{o.code}")


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"41{n:08d}")
    name = factory.Sequence(lambda n: f"测试职业技术学院{n}")
    kind = SchoolKind.JUNIOR_COLLEGE
    province = factory.SubFactory(ProvinceFactory)
    city = "测试市"
    contact_name = "张老师"
    office_phone = "0351-1234567"
    mobile = "13800000000"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.MINISTRY
    password = factory.django.Password(PASSWORD)


class SchoolUserFactory(UserFactory):
    role = Role.SCHOOL
    school = factory.SubFactory(SchoolFactory)
    username = factory.LazyAttribute(lambda o: o.school.code)  # type: ignore[assignment]


class ProvinceAdminFactory(UserFactory):
    role = Role.PROVINCE
    province = factory.SubFactory(ProvinceFactory)
    username = factory.Sequence(lambda n: f"prov{n}")


class MinistryUserFactory(UserFactory):
    role = Role.MINISTRY
    username = factory.Sequence(lambda n: f"moe{n}")
