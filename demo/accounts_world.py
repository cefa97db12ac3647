"""The demo regions, organisations, persons, experts and users (one per role)."""

from __future__ import annotations

from accounts import services as accounts
from accounts.models import Organisation, OrgUnit, Person, RoleMembership, User
from accounts.roles import Role
from reviews import services as reviews
from reviews.models import ExpertProfile

from .codes import credit_code, id_number
from .log import Log

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - written in the README on purpose

REGIONS = [
    # code, name, level, parent code
    ("330000", "浙江省", "province", None),
    ("330100", "杭州市", "city", "330000"),
    ("330102", "上城区", "district", "330100"),
    ("330106", "西湖区", "district", "330100"),
    ("330110", "余杭区", "district", "330100"),
    ("330500", "湖州市", "city", "330000"),
    ("330502", "吴兴区", "district", "330500"),
    ("330503", "南浔区", "district", "330500"),
    ("330521", "德清县", "district", "330500"),
    ("330106109", "转塘街道", "township", "330106"),
    ("330106110", "双浦镇", "township", "330106"),
    ("330110102", "径山镇", "township", "330110"),
    ("330503101", "练市镇", "township", "330503"),
    ("330521102", "莫干山镇", "township", "330521"),
    ("330521103", "新市镇", "township", "330521"),
]

ORGANISATIONS = [
    # name, type, authority, district, contact, phone
    ("杭州西湖智慧农业科技有限公司", "enterprise", "91", "330106", "周明", "0571-87650001"),
    ("杭州余杭径山茶叶专业合作社", "cooperative", "93", "330110", "陈建国", "0571-88590012"),
    ("湖州南浔精工机械有限公司", "enterprise", "91", "330503", "沈立强", "0572-30120033"),
    ("德清县五四村果蔬专业合作社", "cooperative", "93", "330521", "朱永林", "0572-84210045"),
    ("德清县莫干山生态茶业有限公司", "enterprise", "91", "330521", "姚雪芬", "0572-84330016"),
    ("杭州市西湖区农业技术推广中心", "institution", "12", "330106", "王丽", "0571-87970021"),
    ("湖州市吴兴区农村专业技术协会", "social", "51", "330502", "钱志华", "0572-20310078"),
    ("杭州市上城区科学技术协会", "government", "11", "330102", "刘洋", "0571-86010093"),
    ("湖州师范学院", "university", "12", "330502", "孙晓东", "0572-23210000"),
    ("杭州市农业科学研究院", "research", "12", "330102", "吴海燕", "0571-86900055"),
    ("杭州市科学技术协会", "government", "11", "330102", "郑伟", "0571-85150011"),
    ("湖州市科学技术协会", "government", "11", "330502", "许敏", "0572-22390022"),
    ("南浔区练市镇农技服务站", "other", "12", "330503", "蒋国华", "0572-33010066"),
]

EXPERTS = [
    # name, district, birth, employer, title, specialties
    ("张立新", "330102", "19680312", "杭州市农业科学研究院", "senior", "农业、种植业"),
    (
        "李雪梅",
        "330106",
        "19750821",
        "杭州市西湖区农业技术推广中心",
        "associate",
        "农业技术推广、科普",
    ),
    ("王建华", "330502", "19620105", "湖州师范学院", "senior", "生物技术、水产"),
    ("赵敏", "330102", "19800917", "杭州市农业科学研究院", "associate", "畜牧兽医"),
    ("陈国栋", "330503", "19710430", "湖州南浔精工机械有限公司", "senior", "机械制造、工业"),
    ("刘芳", "330502", "19830214", "湖州师范学院", "intermediate", "财务管理"),
    ("杨光明", "330110", "19661126", None, "senior", "茶叶、农产品加工"),
    (
        "黄晓燕",
        "330106",
        "19790608",
        "杭州西湖智慧农业科技有限公司",
        "associate",
        "电子信息、智慧农业",
    ),
    ("周志强", "330521", "19730719", None, "associate", "林业、生态"),
    ("吴丽华", "330102", "19850302", "杭州市上城区科学技术协会", "intermediate", "科普、软科学"),
    ("徐海峰", "330502", "19640923", "湖州师范学院", "senior", "软科学、管理"),
    ("孙静", "330106", "19811111", "杭州市西湖区农业技术推广中心", "associate", "植物保护"),
    ("马建军", "330503", "19690528", None, "senior", "水产养殖"),
    ("朱红", "330521", "19770115", "德清县莫干山生态茶业有限公司", "intermediate", "茶叶、营销"),
    ("胡斌", "330110", "19720804", None, "associate", "农业机械"),
    ("郭晓丽", "330102", "19860627", "杭州市农业科学研究院", "intermediate", "食品安全"),
    ("何志刚", "330502", "19610310", "湖州师范学院", "senior", "生物医药"),
    ("林秀英", "330106", "19741019", None, "associate", "农村经济"),
    ("罗伟", "330503", "19820222", "南浔区练市镇农技服务站", "intermediate", "农业技术推广"),
    ("高峰", "330102", "19670717", "杭州市农业科学研究院", "senior", "土壤肥料"),
    ("梁淑芬", "330521", "19780905", None, "associate", "果蔬种植"),
    ("宋志明", "330110", "19700131", None, "senior", "工业、新材料"),
    ("郑丽娟", "330502", "19840413", "湖州市吴兴区农村专业技术协会", "intermediate", "科普、培训"),
    ("谢文斌", "330106", "19650829", None, "senior", "电子信息"),
    ("韩冬梅", "330102", "19761203", "杭州市上城区科学技术协会", "associate", "社会发展、科普"),
    ("唐建平", "330503", "19630618", None, "senior", "财务管理、审计"),
    ("冯晓明", "330521", "19871024", None, "intermediate", "畜牧兽医"),
    ("董玉兰", "330110", "19730307", None, "associate", "茶叶、农产品加工"),
    ("程浩", "330502", "19690912", "湖州师范学院", "senior", "环境保护"),
    ("曹丽萍", "330106", "19800506", "杭州西湖智慧农业科技有限公司", "associate", "智慧农业、软件"),
]

USERS = [
    # username, full name, role, scope region code, organisation name (applicants), person
    ("admin", "系统管理员", Role.ADMIN, "330000", None),
    ("auditor", "审计员 陆审", Role.AUDITOR, "330000", None),
    ("city_officer", "杭州市科协 项目管理 方晴", Role.CITY_OFFICER, "330100", None),
    ("finance", "杭州市财政局 经办 严可", Role.FINANCE, "330100", None),
    ("finance_checker", "杭州市财政局 复核 汤宁", Role.FINANCE_CHECKER, "330100", None),
    ("district_officer", "西湖区科协 卢峰", Role.DISTRICT_OFFICER, "330106", None),
    ("district_finance", "西湖区财政局 邵兰", Role.DISTRICT_FINANCE, "330106", None),
    ("district_officer_yh", "余杭区科协 戴云", Role.DISTRICT_OFFICER, "330110", None),
    ("expert", "张立新", Role.EXPERT, "330100", None),
    ("applicant", "周明", Role.APPLICANT, None, "杭州西湖智慧农业科技有限公司"),
    ("applicant_yh", "陈建国", Role.APPLICANT, None, "杭州余杭径山茶叶专业合作社"),
    ("applicant_nt", "王丽", Role.APPLICANT, None, "杭州市西湖区农业技术推广中心"),
]

# Individuals nominated in the award flow (by the organisation that employs them).
NOMINEES = [
    # name, district, birth, employer
    ("俞根土", "330106", "19660418", "杭州市西湖区农业技术推广中心"),
    ("沈建明", "330106", "19780923", "杭州市西湖区农业技术推广中心"),
    ("潘桂英", "330106", "19710602", "杭州市西湖区农业技术推广中心"),
]


def build(log: Log) -> None:
    units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
    for code, name, level, parent_code in REGIONS:
        if code not in units:
            parent = units[parent_code] if parent_code else None
            units[code] = log.created(
                accounts.org_unit_create(code=code, name=name, level=level, parent=parent)
            )

    orgs: dict[str, Organisation] = {o.name: o for o in Organisation.objects.all()}
    for name, org_type, authority, district, contact, phone in ORGANISATIONS:
        if name not in orgs:
            code = credit_code(authority=authority, division=district, seed=name)
            orgs[name] = log.created(
                accounts.organisation_create(
                    credit_code=code,
                    name=name,
                    org_type=org_type,
                    region=units[district],
                    contact_name=contact,
                    contact_phone=phone,
                )
            )

    persons: dict[str, Person] = {p.id_number: p for p in Person.objects.all()}
    experts = set(ExpertProfile.objects.values_list("person__id_number", flat=True))
    for seq, (name, district, birth, employer, title, specialties) in enumerate(EXPERTS, start=1):
        number = id_number(division=district, birth=birth, seq=100 + seq)
        if number not in persons:
            persons[number] = log.created(
                accounts.person_create(
                    name=name,
                    id_number=number,
                    region=units[district],
                    organisation=orgs[employer] if employer else None,
                    mobile=f"139{(seq * 7919) % 10**8:08d}",
                    email=f"expert{seq:02d}@example.cn",
                )
            )
        if number not in experts:
            log.created(
                reviews.expert_register(
                    person=persons[number],
                    title=title,
                    specialties=specialties,
                    load_cap=12 if title == "senior" else 10,
                )
            )

    for seq, (name, district, birth, employer) in enumerate(NOMINEES, start=1):
        number = id_number(division=district, birth=birth, seq=300 + seq)
        if number not in persons:
            persons[number] = log.created(
                accounts.person_create(
                    name=name,
                    id_number=number,
                    region=units[district],
                    organisation=orgs[employer],
                    mobile=f"137{(seq * 104729) % 10**8:08d}",
                )
            )

    existing_users = {u.username: u for u in User.objects.all()}
    for username, full_name, role, region_code, org_name in USERS:
        user = existing_users.get(username)
        if user is None:
            person = None
            if role == Role.EXPERT:
                person = Person.objects.get(name=full_name, expert_profile__isnull=False)
            user = log.created(
                accounts.user_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    email=f"{username}@example.cn",
                    person=person,
                )
            )
        organisation = orgs[org_name] if org_name else None
        unit = units[region_code] if region_code else None
        exists = RoleMembership.objects.filter(
            user=user,
            role=role,
            org_unit=unit if organisation is None else organisation.region,
            organisation=organisation,
        ).exists()
        if not exists:
            log.created(
                accounts.membership_grant(
                    user=user, role=role, org_unit=unit, organisation=organisation
                )
            )
