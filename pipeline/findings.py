"""The one catalogue of problem codes (file findings E_/W_/N_, round flags R_/C_) with severity, title
and Chinese message, and the two records that carry them: a Finding points at a file's cell, a Flag
at a subject of the round (unit, member, criterion, rectification item)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

SEVERITY = {"E": "错误", "W": "警告", "N": "提示"}
ERROR, WARNING = SEVERITY["E"], SEVERITY["W"]


@dataclass(frozen=True)
class Code:
    """One catalogued problem: how serious, its short title, and the message template."""
    severity: str
    title: str
    message: str


def _codes(entries: dict[str, tuple[str, str]], severity: str | None = None) -> dict[str, Code]:
    """Catalogue entries; a finding's severity is its code's first letter (E_/W_/N_)."""
    return {code: Code(severity or SEVERITY[code[0]], title, message) for code, (title, message) in entries.items()}


# Finding codes -> (title, message template). Templates are filled from the finding's fields
# (column, value) and its extra `detail`; each says how to fix the problem.
_FINDINGS: dict[str, tuple[str, str]] = {
    # --- the file as a whole
    "E_UNSUPPORTED_FORMAT": ("文件格式不支持", "此文件不是 Excel 工作簿（{detail}）。请用本活动的模板填写，另存为 .xlsx 后重新报送。"),
    "E_EMPTY_FILE": ("空文件", "文件大小为 0，可能是邮件附件未下载完整。请重新发送原文件。"),
    "E_TOO_LARGE": ("文件过大", "文件超出处理上限（{detail}）。请删除多余的空行空列或图片，另存为 .xlsx 后重新报送。"),
    "E_ENCRYPTED": ("文件已加密", "文件设置了打开密码，无法读取。请取消密码（文件→信息→保护工作簿），另存为 .xlsx 后重新报送。"),
    "E_CORRUPT": ("文件已损坏", "文件无法打开（{detail}）。请用 Excel 或 WPS 打开确认无误，另存为 .xlsx 后重新报送。"),
    "E_NOT_TEMPLATE": ("不是本活动的模板", "未找到本活动模板的工作表和表头（{detail}）。请用街道下发的模板填写后重新报送。"),
    "E_WRONG_CAMPAIGN": ("不是本次活动的模板", "此模板属于其他活动（{detail}）。请用本次活动下发的模板填写。"),
    "E_MISSING_SHEET": ("缺少工作表", "缺少工作表“{detail}”。请用模板填写，不要删除工作表。"),
    "E_MISSING_COLUMN": ("缺少列", "工作表中找不到“{column}”列。请恢复模板的表头（第一行），不要删除或改名。"),
    "E_OLD_TEMPLATE": ("模板版本较旧", "此文件用的是旧版模板（{detail}），缺少必填的“{column}”列。"
                       "请向街道党办索取本阶段的新模板，把数据复制过去填好后重新报送。"),
    "E_TOO_MANY_CELLS": ("表格范围过大", "此工作表声明的范围过大（{detail}），超出处理上限。请删除多余的行列后另存。"),
    "E_INTERNAL": ("程序处理出错", "程序处理此文件时发生意外错误（{detail}），本次按退回修改处理，文件已原样存档。请联系党办（附上日志）。"),
    "W_ROUND_CLOSED": ("该阶段已结束", "{detail}的评议已经结束（街道已开始汇总下一阶段），此文件在{detail}结束后才收到，"
                       "没有计入{detail}的结果，{detail}的结果保持不变。如确需更正{detail}的结果，请与街道党办联系。"),
    "W_DUPLICATE_FILE": ("重复报送", "与已收到的文件“{detail}”内容完全相同，按重复报送处理，不再计入。若文件名所示单位尚未报送，请联系该单位。"),
    # --- identification (填报说明)
    "E_UNKNOWN_UNIT": ("单位编码有误", "单位编码“{value}”不在本活动单位名单中。请在下拉框中选择本单位编码。"),
    "E_ROUND_MISMATCH": ("评议阶段与模板不符", "填报说明中的评议阶段为“{value}”，而本模板属于“{detail}”阶段。"
                         "若报送的是{detail}阶段，请改为{detail}；若是{value}阶段，请改用该阶段的模板重新填报。"),
    "E_UNKNOWN_ROUND": ("评议阶段有误", "评议阶段“{value}”无法识别。请在下拉框中选择（如 R1）。"),
    # --- cells
    "E_REQUIRED": ("必填项为空", "“{column}”为必填项，不能为空。请补填。"),
    "E_ENUM": ("选项不符", "“{value}”不是“{column}”的有效选项。请在下拉框中选择：{detail}。"),
    "E_RANGE": ("分值或数值超出范围", "“{value}”超出“{column}”的有效范围（{detail}）。请改正。"),
    "E_TYPE": ("类型不符", "“{column}”应填{detail}，现为“{value}”。请改为{detail}。"),
    "E_DATE": ("日期无法识别", "“{value}”不是有效日期。请按 2010-06-01 的格式填写“{column}”。"),
    "E_DUPLICATE_ID": ("编号重复", "“{column}”为“{value}”的行不止一行（另见 {detail}）。编号必须唯一，请改正。"),
    "E_UNKNOWN_MEMBER": ("党员编号不在名册中", "党员编号“{value}”在“党员名册”中找不到。请核对编号，或先在名册中补录该党员。"),
    "E_UNKNOWN_SUBJECT": ("对象编号无效", "对象编号“{value}”既不是本单位编码，也不在“党员名册”中。请填写本单位编码或党员编号。"),
    "E_DATE_ORDER": ("日期先后不符", "“{column}”（{value}）早于{detail}。请核对日期。"),
    "E_FORM_COUNT": ("评议票数不符", "{detail}。请核对“党员评议”表。"),
    "E_GRADE_MISSING": ("缺少评定结果", "正式党员“{member}”没有评定等次。请在{where}中补填。"),
    "E_FORMULA_ERROR": ("公式结果为错误值", "此格的值是 Excel 错误值“{value}”（公式算不出结果）。请改为有效的值，不要用公式，然后重新报送。"),
    "E_SCALE_FORM": ("选项与评议方式不符", "“{value}”不能用于{detail}。请改用该评议方式的选项。"),
    "E_TALLY_SUM": ("得票数多于票数", "{detail}。各选项得票合计不能多于票数（有人对此项未评价时可以少于票数），请核对。"),
    "E_TALLY_BALLOTS": ("汇总票数不一致", "{detail}。同一对象、同一评议方式的各行票数应相同，请核对。"),
    "E_TALLY_DUPLICATE": ("汇总行重复", "{detail}。同一对象、同一评议方式、同一标准只能有一行汇总，请合并。"),
    "E_TALLY_AND_BALLOTS": ("既录票又填汇总", "{detail}。同一对象的同一评议方式只能逐票录入或填写得票汇总，二者选一，请删去其中一处。"),
    "E_FORMULA_NO_VALUE": ("公式没有计算结果", "此格是公式，但文件中没有保存它的计算结果（可能由其他程序生成）。"
                           "请在 Excel/WPS 中打开并保存后重新报送，或把公式改为数值。"),
    "E_FUTURE_DATE": ("日期晚于汇总日期", "“{column}”为 {value}，晚于{detail}。请填写实际填报的日期。"),
    "E_ROUND_DATES": ("评议阶段与日期不符", "{detail}。若本表报送的是后一阶段的材料，请向街道党办索取该阶段的模板重新填写；"
                      "若确是所填阶段的材料，请改正日期后重新报送。"),
    "E_ABSENT_VOTED": ("未参评却有评议票", "填了未参评原因“{value}”的党员 {detail}有评议票或得票汇总。确未参评的，"
                       "请删去其评议票；参加了评议的，请清空未参评原因。"),
    "E_ABSENT_GRADE": ("未参评党员的评定等次", "此党员填了未参评原因，评定等次应为“{detail}”，现为“{value}”。请改正。"),
    "E_TALLY_INCOMPLETE": ("得票汇总缺少标准", "{value}的得票汇总缺少“{detail}”。一张票对每项标准都有评价，"
                           "汇总也应每项标准一行，请补齐。"),
    "E_NOMINATION_SUBJECT": ("推荐对象不符", "{detail}。请核对“对象编号”。"),
    # --- warnings
    "W_SAME_FILLED_ON": ("填报日期相同的两份报送", "本单位本阶段另有一份报送的填报日期也是 {value}（{detail}）。"
                         "请核对哪一份是最终版本；若采用的不是最终版本，请修改填报日期后重新报送。"),
    "W_NOT_REVIEWED": ("党员没有评议票", "正式党员“{value}”没有任何评议票，也没有填写未参评原因，按未参评处理。"
                       "若确未参加评议，请在“党员名册”的“未参评原因”中选择原因；若参加了，请补录评议票。"),
    "W_FEW_BALLOTS": ("评议票偏少", "{detail}，少于规定的最低票数，结果仅供参考。"),
    "W_FORM_MISSING": ("缺少评议方式", "{detail}没有任何评议票，综合得分按其余评议方式的权重重新折算。"),
    "W_GRADE_UNEXPLAINED": ("评定等次未说明", "评定等次“{value}”与建议等次“{detail}”不一致，请在“说明”中写明理由。"),
    "W_HIDDEN_DATA": ("隐藏的行或列中有数据", "{detail}在 Excel 中被隐藏，但其中的数据已计入汇总。请核对这些数据是否应当报送；不应报送的请删除整行（列）后重新报送。"),
    "W_CAP_EXCEEDED": ("优秀等次超出比例", "{detail}。请核对评定结果。"),
    # --- notes (accepted, recorded)
    "N_NORMALISED": ("已规范化", "“{value}”已按“{detail}”读取。"),
    "N_POINTS": ("分值已换算", "“{value}”按分值读取为“{detail}”。以后请直接在下拉框中选择。"),
    "N_DATE_TEXT": ("文字日期已识别", "文字日期“{value}”已读取为 {detail}。"),
    "N_FORMULA": ("公式按结果读取", "此格是公式，已按其计算结果“{detail}”读取。"),
    "N_HEADER_MOVED": ("表头位置已识别", "表头在第 {detail} 行（模板为第 1 行），已按表头读取。"),
    "N_COLUMN_ORDER": ("列顺序已识别", "列顺序与模板不同，已按列名读取。"),
    "N_OLD_TEMPLATE": ("旧版模板", "此文件用的是旧版模板（{detail}），没有“{column}”列，按空白读取。下次请用新模板填报。"),
    "N_EXTRA_COLUMN": ("多余列已忽略", "“{column}”不是模板中的列，已忽略。"),
    "N_SHEET_RENAMED": ("工作表已识别", "工作表“{value}”按表头识别为“{detail}”。"),
    "N_RESENT": ("与上次退回的文件相同，问题尚未修改", "此文件与此前退回的文件“{detail}”内容完全相同，其中标出的问题尚未修改。"
                 "请按标出的问题逐项修改后重新报送。"),
    "N_UNKNOWN_VERSION": ("模板版本不明", "此文件的模板版本为“{value}”，不是本活动发布过的版本（已发布：{detail}），已按当前模板读取。"
                          "请向街道党办索取本阶段的模板，以后用它填报。"),
    "N_MACRO": ("宏未执行", "此文件含宏（.xlsm），宏不会被执行，只读取单元格数据。"),
    "N_NO_META": ("按表头识别", "文件中没有模板标识，已按工作表名和表头识别为{detail}。"),
    "N_CONVERTED": ("已转换为 .xlsx", "原文件为 {detail} 格式，退回的修改稿已按单元格数值重建为 .xlsx。"),
}

# Sentences the rules write into their tables (a member's grade note, a coverage flag's detail, a nomination's
# reasons, a spot check's target): the rule gives the code and the facts, the words are made here.
_SENTENCES: dict[str, str] = {
    "G_VETO": "{form}满意率 {rate:.1%} 低于 {min_rate:.0%}，定为{grade}",
    "G_CAP": "本单位{full} {n_full} 名，{grade}至多 {allowed} 名（1/{denominator}），按得分顺序调整为{demote_to}",
    "G_NOT_REVIEWED": "{grade}：{reason}",
    "G_NO_BALLOTS": "没有评议票",
    # a form without ballots (W_FORM_MISSING's detail)
    "FORM_OF_MEMBER": "党员 {member} 的{form}",
    "FORM_OF_UNIT": "单位 {unit} 的{form}",
    # coverage flags (应整改未整改): what is missing from the 整改台账
    "WHO_MEMBER": "党员 {member} {name}",
    "WHO_UNIT": "单位 {unit}",
    "COV_LOW_SCORE": "{who}“{criterion}”得分 {score:.2f}，低于 {threshold:g}，整改台账中没有针对此项的整改事项",
    "COV_LOW_GRADE": "党员 {member} {name} 建议等次为{grade}，整改台账中没有针对该党员的整改事项",
    "COV_REVIEW": "街道{form}（{leaders}）指出：{problems}。单位 {unit} 整改台账中没有针对本单位、来源为{form}的事项",
    "COV_OPINION": "单位 {unit} 的{forms}票中有 {n} 条意见建议，整改台账中没有来源为{forms}的事项",
    "COV_DROPPED": "{previous}整改台账第 {item} 项（{problem}，状态：{status}）未销号，{current}台账中没有此项",
    # nominations (先进推荐): the verdict and its reasons
    "NOM_OK": "符合",
    "NOM_NOT_OK": "不符合",
    "NOM_NOT_A_MEMBER": "不是本单位党员",
    "NOM_NOT_REVIEWED": "本阶段{grade}",
    "NOM_NOT_A_WORKER": "不是党务工作者",
    "NOM_NEVER_GRADE": "各阶段评定等次均未达到{grade}",
    "NOM_BELOW_FLOOR": "有阶段低于{floor}（{rounds}）",
    "NOM_GRADE": "评定等次为{grade}，须为{need}",
    "NOM_NO_GRADE": "空",
    "NOM_ORG_ONLY_ITSELF": "{kind}只能推荐本单位",
    "NOM_ORG_NO_RESULT": "本阶段没有组织评议结果",
    "NOM_ORG_GRADE": "组织等次为{grade}，须为{need}",
    "NOM_ORG_OVERDUE": "有 {n} 项整改逾期未销号",
    "NOM_OVER_QUOTA": "超出名额（每单位{kind}至多 {n} 名）",
    "NOM_ORG_ELIGIBLE": "组织等次{grade}，无逾期整改",
    "NOM_MEMBER_ELIGIBLE": "评定等次{grade}",
    "NOM_WORKER_ELIGIBLE": "评定等次{grade}，党务工作者",
    # supervision (督查)
    "SUP_FILED_LATE": "逾期报送",
    "SUP_NOT_FILED": "逾期未报",
    "SPOT_UNIT": "单位",
    "SPOT_UNIT_WHY": "{kind}党组织，实地检查创先争优活动开展情况",
    "SPOT_ITEM": "整改事项",
    "SPOT_ITEM_WHY": "已销号事项核实：{problem}",
}


def say(code: str, **facts) -> str:
    """The sentence of a catalogued code, filled with the facts a rule found."""
    return _SENTENCES[code].format(**facts)


# Findings decided by each run from the stored facts (SPEC §4: a verdict that depends on the run's date, the
# round it reports or the other receipts is decided again by every run); the ledger never stores them.
RUN_CODES = frozenset({"E_FUTURE_DATE", "W_SAME_FILLED_ON", "W_ROUND_CLOSED", "N_RESENT"})

# Flag codes of the round (SPEC §7): R_ on a rectification item, C_ on a subject's coverage.
# The message of a C_ flag is its detail, written by the rule that raised it.
_SEVERE_ITEM_FLAGS = {
    "R_OVERDUE": ("逾期未销号", "整改时限已过，尚未销号。"),
    "R_FALSE_CLOSE": ("销号不实", "已销号，但缺完成日期或整改成效，或群众不满意：应复号。"),
}
_ITEM_FLAGS = {
    "R_NO_MEASURE": ("缺整改措施", "整改事项没有整改措施。"),
    "R_NO_OWNER": ("缺责任人", "整改事项没有责任人。"),
    "R_NO_DEADLINE": ("缺整改时限", "整改事项没有整改时限。"),
    "R_DUE_SOON": ("即将到期", "整改时限临近，尚未销号。"),
}
_COVERAGE_FLAGS = {
    "C_LOW_SCORE": ("低分项无整改", "{detail}"),
    "C_LOW_GRADE": ("等次偏低无整改", "{detail}"),
    "C_REVIEW_UNADDRESSED": ("点评问题未整改", "{detail}"),
    "C_OPINION_UNANSWERED": ("群众意见未回应", "{detail}"),
    "C_DROPPED": ("整改事项遗漏", "{detail}"),
}
CATALOGUE: dict[str, Code] = {**_codes(_FINDINGS), **_codes(_SEVERE_ITEM_FLAGS, ERROR), **_codes(_ITEM_FLAGS, WARNING),
                              **_codes(_COVERAGE_FLAGS, WARNING)}
# Flag codes in the order reports list them.
FLAG_CODES = ["R_NO_MEASURE", "R_NO_OWNER", "R_NO_DEADLINE", "R_OVERDUE", "R_DUE_SOON", "R_FALSE_CLOSE",
              "C_LOW_SCORE", "C_LOW_GRADE", "C_REVIEW_UNADDRESSED", "C_OPINION_UNANSWERED", "C_DROPPED"]


def title_of(code: str) -> str:
    return CATALOGUE[code].title


def severity_of(code: str) -> str:
    return CATALOGUE[code].severity


class Catalogued:
    """What a record's code says in the catalogue: its severity and title."""
    code: str

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code].severity

    @property
    def title(self) -> str:
        return CATALOGUE[self.code].title


@dataclass(frozen=True)
class Finding(Catalogued):
    code: str
    file: str
    sheet: str = ""
    cell: str = ""
    column: str = ""
    value: str = ""
    detail: str = ""

    @property
    def message(self) -> str:
        member, _, where = self.detail.partition("|")  # E_GRADE_MISSING's detail: the member | where to fill
        return CATALOGUE[self.code].message.format(column=self.column, value=self.value, detail=self.detail,
                                                   member=member, where=where)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def record(self) -> dict:
        """The finding as a flat dict, for manifest.json and findings.csv."""
        out = asdict(self)
        out.pop("detail")
        out.update(severity=self.severity, title=self.title, message=self.message,
                   decided_by_run=self.code in RUN_CODES)
        return out


def _text(v) -> str:
    """A value as a person reads it: 120 not 120.0, dates as 2010-06-01."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10] if not isinstance(v, dt.datetime) or v.time() == dt.time() else v.isoformat(" ")
    return str(v)


@dataclass(frozen=True)
class Flag(Catalogued):
    """A flag of the round on a subject: a rectification item (R_) or a unit or member's coverage (C_)."""
    code: str
    unit_code: str
    member_id: str = ""
    criterion: str = ""
    item_id: str = ""
    detail: str = ""

    def __post_init__(self):
        if self.code not in CATALOGUE or self.code[0] not in "RC":
            raise KeyError(f"uncatalogued flag code {self.code}")

    @property
    def message(self) -> str:
        return CATALOGUE[self.code].message.format(detail=self.detail)


def make(code: str, file: str, **fields) -> Finding:
    """Build a finding, refusing codes that are not catalogued."""
    if code not in CATALOGUE:
        raise KeyError(f"uncatalogued finding code {code}")
    return Finding(code, file, **{k: _text(v) for k, v in fields.items()})
