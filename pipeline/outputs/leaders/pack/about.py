"""说明: the as-of date, weights, scales and rules of the round."""

from __future__ import annotations

from pipeline.campaign import Campaign
from pipeline.outputs.leaders.pack.style import NOTE


def about_sheet(book, campaign: Campaign, report, files: list, charts: list) -> None:
    ws = book.sheet(NOTE)
    rnd = campaign.round(report.round)
    lines = [
        f"活动：{campaign.name}；评议阶段：{rnd.name}（{rnd.start} 至 {rnd.end}，报送截止 {rnd.submission_due}）。",
        f"基准日期：{report.as_of}（判断逾期、即将到期、未报的日期）。",
        "组织评议权重：" + "，".join(f"{f.name} {f.weight:g}" for f in campaign.forms["org"]) + "。",
        "党员评议权重：" + "，".join(f"{f.name} {f.weight:g}" for f in campaign.forms["member"]) + "。",
    ]
    for scale in {f.scale.key: f.scale for g in campaign.forms.values() for f in g}.values():
        lines.append(f"{scale.name}：" + "、".join(f"{o.label} {o.points:g} 分" if o.points is not None else
                                                 f"{o.label}（计票不计分）" for o in scale.options) + "。")
    mg, og = campaign.grades["member"], campaign.grades["org"]
    lines += [
        "计分：每项标准取计分票的平均分" + (f"（去掉最高、最低各 {campaign.trim} 票）" if campaign.trim else "") +
        "；评议方式得分为各项标准平均分的平均；综合得分为各评议方式得分按权重加权平均，缺少的评议方式按其余权重折算，"
        f"四舍五入保留 {campaign.decimals} 位小数。好评率/满意率 = 前两档票数 ÷ 计分票数。",
        "党员建议等次：" + "，".join(f"≥{b.min:g} {b.grade}" for b in mg.bands[:-1]) + f"，其余{mg.bands[-1].grade}" +
        (f"；{mg.veto.form}满意率低于 {mg.veto.min_rate:.0%} 的定为{mg.veto.grade}" if mg.veto else "") +
        (f"；{mg.cap.grade}不超过本单位正式党员的 1/{mg.cap.denominator}，超出的按得分改为{mg.cap.demote_to}" if mg.cap else "") +
        (f"；预备党员{mg.probationary_grade}" if mg.probationary_grade else "") +
        (f"；没有评议票的正式党员为{mg.not_reviewed_grade}，不定等次、不计入比例基数。" if mg.not_reviewed_grade else "。"),
        "组织等次：" + "，".join(f"≥{b.min:g} {b.grade}" for b in og.bands[:-1]) + f"，其余{og.bands[-1].grade}。排名并列同名次。",
        f"整改标记：逾期未销号（时限早于基准日期）、即将到期（{campaign.rectification.due_soon_days} 天内）、"
        "销号不实（已销号但缺完成日期或整改成效，或群众不满意）、三定不全。"
        f"某项标准得分低于 {campaign.rectification.low_score_threshold:g} 而无对应整改事项的，列为应整改未整改。",
        f"打印：各表打印时每页重复表头；图表每张完整地印在一页内。每名党员、每项整改、每条问题和收到的每个文件"
        f"见{campaign.outputs['detail']}.xlsx（供查阅，可筛选）。",
    ]
    ws.title(NOTE, 6)
    for line in lines:
        ws.title(line, 6, size=10, bold=False)
