"""Ledger templates: one .xlsx per raw table, Chinese headers, a drop-down of Chinese labels
for every enumeration column, the ID-number and code columns formatted as text (so Excel
keeps all 18 digits and the X), one example row (skipped on import while it is left
unchanged), and a 填写说明 sheet listing each column's rules."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from data.load.parsing import norm_text
from data.load.specs import (
    BOOL,
    DATE,
    ENUM,
    ENUMS,
    ID_NUMBER,
    INT,
    LEVEL_NAMES,
    MONEY,
    PHONE,
    REF,
    REGION,
    SPECS,
    TEXT,
    Field,
    Spec,
    enum_choices,
)

NOTES_SHEET = "填写说明"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_REQUIRED_FONT = Font(bold=True, color="9C0006")
_OPTIONAL_FONT = Font(bold=True)
_EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
_TYPE_TEXT = {
    TEXT: "文字",
    INT: "整数",
    MONEY: "金额（元，数字）",
    DATE: "日期，如 2024-03-05（也可 2024/3/5、2024.3.5、2024年3月5日）",
    BOOL: "是 / 否",
    REGION: "统计用区划代码（数字）",
    ID_NUMBER: "18位身份证号（文本格式）",
    PHONE: "电话号码",
    REF: "编号（整数）",
}
GENERAL_NOTES = (
    "1. 第1行为表头，请勿修改列名；可删除不需要的选填列，也可增加列（导入时忽略）。",
    "2. 第2行为示例（灰色斜体），导入时自动跳过；可直接覆盖为真实数据。",
    "3. 红色列名为必填项。可选值请从下拉列表中选择，或填写下表列出的中文名称。",
    "4. 日期可填 2024-03-05、2024/3/5、2024.3.5 或 2024年3月5日；日期不能晚于导入当天（办结时限除外）。",
    "5. 身份证号、区划代码列已设为文本格式，请勿改为数字格式，否则 Excel 会丢失末尾数字。",
    "6. 同一文件中编号不能重复。再次导入相同编号的记录会更新原记录；内容相同的记录不作改动。",
    "7. 导入时先校验全部行：只要有一处错误，整个文件都不会导入，并列出每处错误所在的行和列。",
)


def example_texts(spec: Spec) -> dict[str, str]:
    """field -> the example as text, to recognise an untouched example row on import."""
    return {f.name: norm_text(f.example) for f in spec.fields if f.example not in (None, "")}


def _rule(f: Field) -> str:
    if f.type == ENUM:
        return "可选：" + enum_choices(f.enum)
    text = _TYPE_TEXT.get(f.type, "")
    if f.type == REGION and f.levels:
        text += "；层级：" + "、".join(LEVEL_NAMES[lv] for lv in f.levels)
    if f.type == INT and f.lo is not None and f.hi is not None and f.name != "id":
        text += f"，{f.lo:,}～{f.hi:,}"
    return text


def template_bytes(kind: str) -> bytes:
    """The .xlsx template for a ledger kind."""
    spec = SPECS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = spec.title[:31]
    for j, f in enumerate(spec.fields, start=1):
        c = ws.cell(row=1, column=j, value=f.header)
        c.font = _REQUIRED_FONT if f.required else _OPTIONAL_FONT
        c.fill = _HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if f.note:
            c.comment = Comment(f.note, "系统")
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(12, min(28, 2.2 * len(f.header) + 4))
        example = ws.cell(row=2, column=j, value=f.example if f.example != "" else None)
        example.font = _EXAMPLE_FONT
        if f.type in (ID_NUMBER, REGION, PHONE):
            for row in range(2, 1002):
                ws.cell(row=row, column=j).number_format = "@"
            example.value = None if f.example in (None, "") else str(f.example)
        if f.type == ENUM:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(_labels(f)) + '"',
                allow_blank=True,
                showErrorMessage=False,
            )
            dv.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(dv)
        if f.type == BOOL:
            dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            dv.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    _notes_sheet(wb, spec)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _labels(f: Field) -> list[str]:
    return [label.replace(",", "，") for label in ENUMS[f.enum].values()]


def _notes_sheet(wb: Workbook, spec: Spec) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    ws.append([f"{spec.title}台账 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    for line in GENERAL_NOTES:
        ws.append([line])
    ws.append([])
    ws.append(["列名", "是否必填", "格式 / 可选值", "说明", "也可识别的列名"])
    head = ws.max_row
    for cell in ws[head]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for f in spec.fields:
        required = "必填" if f.required else "选填"
        aliases = "、".join(f.aliases + spec.alt_refs.get(f.name, ((), ""))[0])
        ws.append([f.header, required, _rule(f), f.note, aliases])
    if spec.ignored:
        ws.append([])
        ws.append(["以下列可保留在文件中，导入时忽略：" + "、".join(spec.ignored)])
    for letter, width in zip("ABCDE", (22, 10, 60, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=head + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def to_ledger(rows, kind: str):
    """Database rows (a DataFrame with table column names) as a ledger with the template's
    Chinese headers and labels: what a county would send back. Used to build test ledgers
    and benchmark files."""
    import pandas as pd

    spec = SPECS[kind]
    out = pd.DataFrame(index=rows.index)
    for f in spec.fields:
        if f.name not in rows:
            continue
        col = rows[f.name]
        if f.type == ENUM:
            col = col.map(lambda v, m=ENUMS[f.enum]: None if v is None or v != v else m[v])
        elif f.type == BOOL:
            col = col.map(lambda v: None if v is None or v != v else ("是" if v else "否"))
        elif f.type == DATE:
            col = col.map(lambda v: None if v is None or v != v else str(v)[:10])
        out[f.header] = col.astype(object).where(col.notna(), None)
    return out
