"""Fixed reference data of the demo portfolio: names, places, staff, products, campaigns."""

from dataclasses import dataclass
from decimal import Decimal

from domain.enums import Channel
from domain.loan.schedule import AmortizationMethod

# (character, pinyin, relative frequency): the most common Chinese surnames.
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.8), ("刘", "liu", 5.4),
    ("陈", "chen", 4.6), ("杨", "yang", 3.1), ("黄", "huang", 2.4), ("赵", "zhao", 2.3),
    ("吴", "wu", 2.1), ("周", "zhou", 2.0), ("徐", "xu", 1.7), ("孙", "sun", 1.5),
    ("马", "ma", 1.5), ("朱", "zhu", 1.3), ("胡", "hu", 1.3), ("郭", "guo", 1.2),
    ("何", "he", 1.2), ("高", "gao", 1.1), ("林", "lin", 1.1), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.9), ("谢", "xie", 0.8), ("宋", "song", 0.7),
    ("唐", "tang", 0.7), ("许", "xu", 0.6), ("韩", "han", 0.6), ("冯", "feng", 0.6),
    ("邓", "deng", 0.6), ("曹", "cao", 0.6), ("彭", "peng", 0.5), ("曾", "zeng", 0.5),
    ("肖", "xiao", 0.5), ("田", "tian", 0.5), ("董", "dong", 0.5), ("袁", "yuan", 0.4),
    ("潘", "pan", 0.4), ("于", "yu", 0.4), ("蒋", "jiang", 0.4), ("蔡", "cai", 0.4),
    ("余", "yu", 0.4), ("杜", "du", 0.4), ("叶", "ye", 0.4), ("程", "cheng", 0.4),
    ("苏", "su", 0.3), ("魏", "wei", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3),
    ("任", "ren", 0.3), ("沈", "shen", 0.3), ("欧阳", "ouyang", 0.05), ("上官", "shangguan", 0.02),
)  # fmt: skip

MALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"),
    ("辉", "hui"), ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"),
    ("斌", "bin"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"),
    ("帆", "fan"), ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("建", "jian"), ("国", "guo"),
    ("峰", "feng"), ("亮", "liang"), ("成", "cheng"), ("东", "dong"), ("文", "wen"), ("博", "bo"),
    ("志", "zhi"), ("晨", "chen"), ("睿", "rui"), ("天", "tian"), ("泽", "ze"), ("海", "hai"),
)  # fmt: skip

FEMALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("秀", "xiu"), ("英", "ying"), ("燕", "yan"), ("玲", "ling"),
    ("丹", "dan"), ("萍", "ping"), ("红", "hong"), ("琳", "lin"), ("婷", "ting"), ("雪", "xue"),
    ("慧", "hui"), ("颖", "ying"), ("倩", "qian"), ("洁", "jie"), ("梅", "mei"), ("琴", "qin"),
    ("云", "yun"), ("莉", "li"), ("兰", "lan"), ("晶", "jing"), ("欣", "xin"), ("怡", "yi"),
    ("佳", "jia"), ("悦", "yue"), ("思", "si"), ("雨", "yu"), ("梦", "meng"), ("晓", "xiao"),
)  # fmt: skip

# Real administrative division codes: (code, place); the first 13 are the branch cities.
REGIONS: tuple[tuple[str, str], ...] = (
    ("310115", "上海市浦东新区"), ("310104", "上海市徐汇区"), ("310105", "上海市长宁区"),
    ("310112", "上海市闵行区"), ("310110", "上海市杨浦区"), ("110105", "北京市朝阳区"),
    ("110108", "北京市海淀区"), ("110101", "北京市东城区"), ("110102", "北京市西城区"),
    ("440305", "广东省深圳市南山区"), ("440304", "广东省深圳市福田区"),
    ("440303", "广东省深圳市罗湖区"), ("440306", "广东省深圳市宝安区"),
    ("330106", "浙江省杭州市西湖区"), ("320106", "江苏省南京市鼓楼区"),
    ("320505", "江苏省苏州市虎丘区"), ("510107", "四川省成都市武侯区"),
    ("420106", "湖北省武汉市武昌区"), ("430104", "湖南省长沙市岳麓区"),
    ("370102", "山东省济南市历下区"), ("410105", "河南省郑州市金水区"),
    ("350203", "福建省厦门市思明区"), ("340104", "安徽省合肥市蜀山区"),
    ("650102", "新疆维吾尔自治区乌鲁木齐市天山区"),
)  # fmt: skip
URUMQI_REGION = "650102"

SHANGHAI, BEIJING, SHENZHEN = "Shanghai-Pudong", "Beijing-Chaoyang", "Shenzhen-Nanshan"
BRANCHES = (SHANGHAI, BEIJING, SHENZHEN)
BRANCH_WEIGHTS = (0.45, 0.30, 0.25)
BRANCH_TEAMS = {SHANGHAI: "team-east", BEIJING: "team-north", SHENZHEN: "team-south"}
REGION_BRANCH = {"31": SHANGHAI, "11": BEIJING, "44": SHENZHEN}

# Where customers live: (place prefix, streets).
CITY_STREETS: dict[str, tuple[str, tuple[str, ...]]] = {
    SHANGHAI: ("上海市浦东新区", ("世纪大道", "张杨路", "东方路", "浦东南路", "锦绣路", "花木路")),
    BEIJING: ("北京市朝阳区", ("建国路", "朝阳北路", "东三环中路", "望京街", "酒仙桥路", "光华路")),
    SHENZHEN: ("广东省深圳市南山区", ("深南大道", "科技园路", "南海大道", "后海大道", "学府路")),
    "Urumqi": ("新疆维吾尔自治区乌鲁木齐市天山区", ("解放北路", "人民路", "光明路", "新华北路")),
}

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "175", "176", "177", "180", "181", "182", "185", "186",
    "187", "188", "189", "191", "198", "199",
)  # fmt: skip

COMPANY_CITIES = ("上海", "北京", "深圳", "杭州", "苏州", "广州")
COMPANY_BRANDS = (
    "恒泰", "华信", "鑫盛", "宏远", "瑞祥", "佳和", "安信", "德丰", "隆源", "兴达", "永辉", "中和",
    "天成", "金桥", "博远", "新航", "星河", "同创", "汇通", "明德",
)  # fmt: skip
COMPANY_TRADES = (
    "贸易", "科技", "机电设备", "餐饮管理", "物流", "建材", "服装", "食品", "电子", "文化传媒",
    "装饰工程", "农业发展", "汽车服务", "医疗器械", "印刷", "包装材料",
)  # fmt: skip
COMPANY_FORMS = (("有限公司", 0.7), ("有限责任公司", 0.2), ("股份有限公司", 0.1))

OCCUPATIONS = (
    "ENGINEER", "TEACHER", "DOCTOR", "NURSE", "CIVIL_SERVANT", "SALES", "OFFICE_STAFF",
    "SELF_EMPLOYED", "FACTORY_WORKER", "DRIVER", "FREELANCER", "OTHER",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StaffSpec:
    """A demo user: username, name, roles, branch and team."""

    username: str
    full_name: str
    roles: tuple[str, ...]
    branch: str | None
    team: str | None = None


DEMO_STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("admin", "王建国", ("admin",), None),
    StaffSpec("risk1", "李娜", ("risk_officer",), SHANGHAI),
    StaffSpec("senior1", "张伟", ("senior_risk_officer",), SHANGHAI),
    StaffSpec("am1", "刘洋", ("account_manager",), SHANGHAI, "team-east"),
    StaffSpec("am2", "陈静", ("account_manager",), SHANGHAI, "team-east"),
    StaffSpec("lead1", "杨帆", ("team_lead",), SHANGHAI, "team-east"),
    StaffSpec("collector1", "赵强", ("collector",), SHANGHAI),
    StaffSpec("collector2", "黄磊", ("collector",), BEIJING),
    StaffSpec("cs1", "周婷", ("customer_service",), SHENZHEN),
    StaffSpec("auditor1", "吴敏", ("auditor",), None),
    StaffSpec("analyst1", "徐晨", ("analyst",), None),
)


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A loan product with the terms the demo lends at."""

    code: str
    name: str
    method: AmortizationMethod
    min_rate: Decimal
    max_rate: Decimal
    terms: tuple[int, ...]
    term_weights: tuple[float, ...]
    min_amount: Decimal
    max_amount: Decimal
    purposes: tuple[str, ...]


EI, EP = AmortizationMethod.EQUAL_INSTALLMENT, AmortizationMethod.EQUAL_PRINCIPAL
PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "CONSUMER", "Consumer loan", EI, Decimal("0.08"), Decimal("0.24"),
        (6, 12, 18, 24, 36), (0.2, 0.4, 0.1, 0.2, 0.1), Decimal(1000), Decimal(200000),
        ("Home renovation", "Education", "Travel", "Medical expenses", "Wedding", "Electronics"),
    ),
    ProductSpec(
        "SME", "Small-business loan", EP, Decimal("0.06"), Decimal("0.18"),
        (12, 24, 36, 48, 60), (0.3, 0.35, 0.25, 0.05, 0.05), Decimal(50000), Decimal(3000000),
        ("Working capital", "Equipment purchase", "Inventory", "Shop expansion"),
    ),
    ProductSpec(
        "AUTO", "Auto loan", EI, Decimal("0.045"), Decimal("0.12"),
        (12, 24, 36, 48, 60), (0.2, 0.35, 0.3, 0.1, 0.05), Decimal(30000), Decimal(500000),
        ("New car purchase", "Used car purchase"),
    ),
    ProductSpec(
        "CREDIT_LINE_MICRO", "Micro credit line drawdown", EP, Decimal("0.072"), Decimal("0.24"),
        (3, 6, 9, 12), (0.3, 0.35, 0.15, 0.2), Decimal(500), Decimal(50000),
        ("Short-term cash flow", "Daily expenses", "Stock top-up"),
    ),
)  # fmt: skip
PRODUCT_CODES = tuple(p.code for p in PRODUCTS)


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """A marketing campaign: code, product, channel and its window relative to the date."""

    code: str
    name: str
    product_code: str
    channel: Channel
    starts_days_ago: int
    ends_days_ago: int  # negative: still running


CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec("CLI-INVITE", "Credit limit increase invitation", "CONSUMER",
                 Channel.APP_PUSH, 120, 60),
    CampaignSpec("AUTO-SPRING", "Auto loan spring offer", "AUTO", Channel.SMS, 240, 200),
    CampaignSpec("SME-GROWTH", "SME growth loan", "SME", Channel.EMAIL, 45, -15),
)  # fmt: skip

TAGS: dict[str, str] = {
    "EARLY_REPAYER": "Prepaid principal (paid more than was due) on at least two payments.",
    "HABITUAL_LATE": "Paid 1–5 days late on at least 3 of the last 6 installments due.",
    "PREFERS_ONLINE": "Most self-service contacts (inquiries and self-service) were online.",
}
