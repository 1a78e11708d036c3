"""Streamlit's own chrome in Chinese: table toolbar, column menu, status widget, dialogs.

Streamlit 1.67 draws its controls in English with no setting to change them (issue 18.2):
the table toolbar's tooltips (Search, Fullscreen), the column menu a header's ⋮ opens (Sort
ascending, Pin column, Format → Percent…), the status widget (Stop), the "Page not found"
dialog of a URL no page answers. Three measures, applied on every page by app.py:

- the toolbar's "Download as CSV" and "Show/hide columns" are hidden: every table has its
  own 下载 Excel (masked, watermarked, audited, which a CSV straight from the browser is
  not); the main menu (⋮ at the top right: Rerun, Settings, Record a screencast, About,
  each a dialog of English) is hidden too: a leader needs none of it, printing has its
  打印版式 and the browser's own Print;
- every other English text Streamlit draws is translated in the browser: a small script
  watches the page (MutationObserver) and replaces, in text nodes and in the aria-label,
  title and placeholder attributes, the exact strings of `EXACT` and the patterns of
  `PATTERNS` — only those, so no text of ours or of the data is ever touched;
- the selectors are Streamlit's aria-labels and test ids; a browser test
  (tests/browser/test_chrome_browser.py) opens the toolbar, the column menu and its Format
  submenu, and an unknown URL, and fails on any English left in the whole document.

The hidden buttons' aria-labels are not translated (the stylesheet selects them by label).
"""

from __future__ import annotations

import json

import streamlit as st

HIDDEN_BUTTONS = ("Download as CSV", "Show/hide columns")

# Streamlit's English, as its 1.67 bundle spells it, and what a Chinese user reads instead.
EXACT: dict[str, str] = {
    # the page's skip link (visible to keyboard users)
    "Skip to main content": "跳到正文",
    # the table toolbar and its search
    "Search": "搜索",
    "Type to search": "输入要搜索的内容",
    "Close Search": "关闭搜索",
    "Previous Result": "上一个",
    "Next Result": "下一个",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Clear selection": "清除选择",
    "Select all": "全选",
    # the column menu
    "Dataframe column menu": "列菜单",
    "Sort ascending": "升序排列",
    "Sort descending": "降序排列",
    "Format": "数字格式",
    "Autosize": "自动列宽",
    "Pin column": "固定此列",
    "Unpin column": "取消固定",
    "Hide column": "隐藏此列",
    "Copy column name": "复制列名",
    "Wrap": "自动换行",
    # the Format submenu
    "Automatic": "自动",
    "Localized": "本地格式",
    "Plain": "原始数字",
    "Compact": "紧凑",
    "Scientific": "科学计数",
    "Percent": "百分比",
    "Dollar": "美元",
    "Euro": "欧元",
    "Yen": "日元",
    "Accounting": "会计格式",
    "Calendar": "日历",
    "Relative": "相对时间",
    "Distance": "距今",
    "Duration": "时长",
    # the column statistics
    "Statistics": "统计",
    "Count": "个数",
    "Distinct": "不同值",
    "Empty": "空值",
    "Values": "取值",
    "Average": "平均值",
    "Minimum": "最小值",
    "Maximum": "最大值",
    "Median": "中位数",
    "Sum": "合计",
    "Range": "范围",
    "Standard deviation": "标准差",
    "Average length": "平均长度",
    "Minimum length": "最短长度",
    "Maximum length": "最长长度",
    "Based on sample": "基于抽样",
    "Top values frequency chart": "常见值频数图",
    "Distribution histogram": "分布直方图",
    "No data": "无数据",
    # the status widget, dialogs and their buttons
    "Running...": "运行中…",
    "Stop": "停止",
    "Stopping...": "正在停止…",
    "Rerun": "重新运行",
    "Connecting": "正在连接",
    "Please wait...": "请稍候…",
    "Close": "关闭",
    "Page not found": "页面不存在",
    "Connection error": "连接中断",
    "Is Streamlit still running? If you accidentally stopped Streamlit, just restart it in "
    "your terminal:": "无法连接服务器。请稍后刷新页面；若问题持续，请联系系统管理员。",
    "Connection lost. Please wait for the app to reconnect, then try again.": (
        "连接已断开，请等待重新连接后再试。"
    ),
}

# Texts Streamlit builds around a value: (JavaScript regular expression, replacement).
PATTERNS: tuple[tuple[str, str], ...] = (
    (
        r"^You have requested page (/\S*), but no corresponding file was found in the app's"
        r" pages/ directory\. Running the app's main page\.$",
        "没有地址为 $1 的页面，已为您打开首页。",
    ),
    (
        r"^The page that you have requested does not seem to exist\. Running the app's main"
        r" page\.$",
        "您要打开的页面不存在，已为您打开首页。",
    ),
)

STYLESHEET = (
    "<style>"
    + "".join(
        f'[data-testid="stElementToolbarButton"]:has(button[aria-label="{label}"])'
        " { display: none; }"
        for label in HIDDEN_BUTTONS
    )
    + '[data-testid="stMainMenu"] { display: none; }'
    + "</style>"
)

TRANSLATOR = """<script>
(() => {
  if (window.__chromeZh) return;
  window.__chromeZh = true;
  const exact = new Map(Object.entries(%(exact)s));
  const patterns = %(patterns)s.map(([re, to]) => [new RegExp(re), to]);
  const ATTRS = ["aria-label", "title", "placeholder"];
  const translate = (text) => {
    const t = text.trim();
    if (!t) return null;
    if (exact.has(t)) return text.replace(t, exact.get(t));
    for (const [re, to] of patterns) if (re.test(t)) return t.replace(re, to);
    return null;
  };
  const fixText = (node) => {
    const to = translate(node.nodeValue || "");
    if (to !== null) node.nodeValue = to;
  };
  const fixElement = (el) => {
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v === null) continue;
      const to = translate(v);
      if (to !== null) el.setAttribute(a, to);
    }
  };
  const fix = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return fixText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(root);
    const walker = document.createTreeWalker(
      root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) fixText(n); else fixElement(n);
    }
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "characterData") fixText(c.target);
      else if (c.type === "attributes") fixElement(c.target);
      else c.addedNodes.forEach(fix);
    }
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ATTRS,
  });
  fix(document.body);
})();
</script>"""


def translator_script() -> str:
    """The script, with the tables above as JSON (our own constants, no user text)."""
    return TRANSLATOR % {
        "exact": json.dumps(EXACT, ensure_ascii=False),
        "patterns": json.dumps([list(p) for p in PATTERNS], ensure_ascii=False),
    }


TRANSLATOR_HTML = translator_script()  # built once per process, sent on every run


def inject() -> None:
    """Hide the English-only buttons and the main menu, translate the rest of the chrome."""
    st.html(STYLESHEET)
    st.html(TRANSLATOR_HTML, unsafe_allow_javascript=True)
