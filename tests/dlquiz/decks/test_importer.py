"""Turning Markdown notes into cards: each construct real notes contain (pure parser, no database)."""

from __future__ import annotations

import textwrap

import pytest

from dlquiz.decks.importer import NoteError, note_decode, note_parse


def _cards(text: str, title: str = "note") -> list[tuple[str, str]]:
    return [(c.front, c.back) for c in note_parse(textwrap.dedent(text).lstrip("\n"), title=title)]


def test_headings_at_any_depth_make_fronts_with_their_parent():
    assert _cards("""
        # 卷积
        卷积的定义。
        ## 空洞卷积
        扩大感受野。
        #### 计算量
        $K^2$ 倍。
        # 损失函数
        度量误差。
        ##### 深埋的标题
        也能识别。
        """) == [
        ("卷积", "卷积的定义。"),
        ("卷积 › 空洞卷积", "扩大感受野。"),
        ("空洞卷积 › 计算量", "$K^2$ 倍。"),
        ("损失函数", "度量误差。"),
        ("损失函数 › 深埋的标题", "也能识别。"),
    ]


def test_heading_without_space_is_a_heading_but_a_hashtag_is_not():
    empty_heading = "### "  # ignored: the text after it stays in the section before
    assert _cards(f"""
        ##①损失函数方法补充
        内容一。
        ###bounding box
        #tag 不是标题，是正文。
        {empty_heading}
        ## Title ##
        内容二。
        """) == [
        ("①损失函数方法补充", "内容一。"),
        ("①损失函数方法补充 › bounding box", "#tag 不是标题，是正文。"),
        ("Title", "内容二。"),
    ]


def test_numbered_bold_questions_and_a_bare_numbered_question_become_fronts():
    assert _cards(
        """
        面试题：

        **1、什么是深度学习?**

        深度学习涉及大量数据。

        **2、什么是神经网络？**
        神经网络复制了学习方式。

        9、反向传播是什么?

        一种算法。

         **1. 常数初始化(constant)**

        把权值初始化为常数。
        """,
        title="interview",
    ) == [
        ("interview", "面试题："),
        ("什么是深度学习?", "深度学习涉及大量数据。"),
        ("什么是神经网络？", "神经网络复制了学习方式。"),
        ("反向传播是什么?", "一种算法。"),
        ("常数初始化(constant)", "把权值初始化为常数。"),
    ]


def test_bold_heading_lines_open_sections_but_bold_sentences_and_labels_with_text_do_not():
    assert _cards("""
        ## 感知机
        **基本结构**：感知机接收多个输入信号。

        **组成：**
        * 权重$w$
        * 偏置$b$

        **主要解决调参复杂的问题。**

        **激活函数为什么不能采用线形函数？**
        因为叠加后仍是线性。
        """) == [
        ("感知机", "**基本结构**：感知机接收多个输入信号。"),
        ("感知机 › 组成", "* 权重$w$\n* 偏置$b$\n\n**主要解决调参复杂的问题。**"),
        ("感知机 › 激活函数为什么不能采用线形函数？", "因为叠加后仍是线性。"),
    ]


def test_headings_that_are_links_or_bold_keep_their_text():
    assert _cards("""
        ## [14.3 网络训练中的超参调整策略](https://github.com/x/y.md#143-网络训练)
        策略。
        ## 1、[深度学习框架](https://so.csdn.net/so/search?q=框架&spm=1)中的图像格式
        NCHW。
        ## **1\\*1卷积**
        降维。
        ## [[Obsidian 页面|别名]]
        双链。
        """) == [
        ("14.3 网络训练中的超参调整策略", "策略。"),
        ("1、深度学习框架中的图像格式", "NCHW。"),
        ("1\\*1卷积", "降维。"),
        ("别名", "双链。"),
    ]


def test_images_are_dropped_with_a_visible_marker():
    cards = _cards("""
        ## 图片
        ![[Pasted image 20220920110534.png|900]]
        文字 ![img](./deeplearning.assets/v2-1784_1440w.png) 中间
        [![img](./a/figure_9.1.8_1.png)](https://github.com/x/img/figure_9.1.8_1.png)
        ![![二维卷积运算，步幅为1](img/conv.png)
        <img src="./b/2020.png" alt="在这里插入图片描述" style="zoom:150%;" />
        **![img](./c.webp)**
        ①当 ![\\[公式\\]][2] 时，误差小于 1 ![此处输入图片的描述][1]
        [链接][3] 保留
        ## 只有图片
        ![[only.png]]

        ![x](y.png)

          [1]: https://pic1.zhimg.com/80/v2-3c8e.jpg
          [2]: https://www.zhihu.com/equation?tex=%7Cy-f%28z%29%7C%3C1
          [3]: https://example.com/page
        """)
    assert cards == [
        (
            "图片",
            "\n".join(
                [
                    "[图]",
                    "文字 [图] 中间",
                    "[图]",
                    "[图]",
                    "[图]",
                    "**[图]**",
                    "①当 [图] 时，误差小于 1 [图]",
                    "[链接](https://example.com/page) 保留",
                ]
            ),
        )
    ]


def test_math_tables_and_code_blocks_are_kept_as_written():
    note = textwrap.dedent(r"""
        ## 公式
        输出 $O=\lfloor (I+2P-K)/S \rfloor+1$，图片语法在公式里不算：$![a](b)$
        $$
        f(x)=\begin{cases}
           0 &\text{if } x<0 \\
           x &\text{if } x\ge 0
        \end{cases}
        $$
        > 改进： $C'$通常是最大值。 $$
         y_k=\frac{\exp(a_k+C')}{\sum_i \exp(a_i+C')}
        $$
        ## 表格
        | 方法 | 说明 |
        | :--: | :--- |
        | 目标函数 | $f(y,y')=|y-y'|$ 改成 $f(y,y')=(y-y')^2$ |
        ## 代码
        ```python
        # 这不是标题
        x = 1


        y = 2
        ```
        ~~~
        ## 也不是标题
        ~~~
        """).lstrip("\n")
    cards = note_parse(note, title="n")
    assert [c.front for c in cards] == ["公式", "表格", "代码"]
    # every body is the source text between the headings, unchanged
    bodies = [part.split("\n", 1)[1].strip("\n") for part in note.split("\n## 代码\n")[0].split("## ")[1:]]
    bodies.append(note.split("\n## 代码\n")[1].strip("\n"))
    assert [c.back for c in cards] == bodies
    assert "$$\n y_k=\\frac{\\exp(a_k+C')}{\\sum_i \\exp(a_i+C')}\n$$" in cards[0].back
    assert cards[2].back.endswith("x = 1\n\n\ny = 2\n```\n~~~\n## 也不是标题\n~~~")


def test_a_stray_unclosed_display_formula_does_not_swallow_the_following_headings():
    assert _cards("""
        ## 坏公式
        $$ a+b
        ## 下一个标题
        正文。
        """) == [("坏公式", "$$ a+b"), ("下一个标题", "正文。")]


def test_flattened_page_without_headings_is_split_on_short_title_lines():
    assert _cards("""
        0%

        DL:深度学习相关概念

        记录深度学习基本概念,不断更新中,项目地址:DLpractice

        激活函数 Activate Function

        激活函数的主要作用有以下几点:

          • 非线性映射

        L1范数损失函数(MAE)
        $$L=\\frac{1}{n}\\sum|y_i-\\hat{y_i}|$$

        卷积

        图 37

        Optimizer

        $$SGD → Adam$$
        图 4
        """) == [
        ("DL:深度学习相关概念", "记录深度学习基本概念,不断更新中,项目地址:DLpractice"),
        (
            "激活函数 Activate Function",
            "激活函数的主要作用有以下几点:\n\n  • 非线性映射\n\n"
            "L1范数损失函数(MAE)\n$$L=\\frac{1}{n}\\sum|y_i-\\hat{y_i}|$$",
        ),
        ("Optimizer", "$$SGD → Adam$$\n[图]"),
    ]


def test_front_matter_and_editor_tag_line_are_dropped():
    assert _cards("""
        ---
        aka description: 《深度学习入门》
        ---

        # 深度学习基础知识（二）
        标签（空格分隔）： 未分类

        ---

        ## 感知机
        内容。
        """) == [("深度学习基础知识（二） › 感知机", "内容。")]


def test_repeated_section_is_dropped_and_same_heading_with_other_text_kept_apart():
    cards = note_parse(
        "### 为什么调优？\n同样的话。\n### 为什么调优？\n同样的话。\n### 为什么调优？\n不同的话。\n",
        title="n",
    )
    assert [(c.front, c.back, c.occurrence, c.line) for c in cards] == [
        ("为什么调优？", "同样的话。", 1, 1),
        ("为什么调优？", "不同的话。", 2, 5),
    ]


@pytest.mark.parametrize(
    "data,message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "note.md: binary file (not a text note)"),
        ("# 标题\n中文笔记".encode("gbk"), "note.md: not UTF-8 text (invalid byte 0xb1 at offset 2)"),
        (b"", "note.md: empty file"),
        (b" \n\t\n", "note.md: empty file"),
        (bytes(range(1, 256)) * 4, "note.md: binary file (not a text note)"),  # no NUL: many control bytes
        ("# 标题\n\x1b[31m 彩色终端输出\n".encode(), "note.md: binary file"),
    ],
)
def test_unreadable_notes_are_refused_with_a_clear_message(data, message):
    with pytest.raises(NoteError) as info:
        note_decode(name="note.md", data=data)
    assert str(info.value).startswith(message)


def test_utf8_with_bom_and_windows_newlines_is_read():
    text = note_decode(name="n.md", data="\ufeff# 标题\r\n内容\r\n".encode())
    assert [(c.front, c.back) for c in note_parse(text, title="n")] == [("标题", "内容")]


def test_footnotes_and_plain_bracket_lines_are_not_taken_for_link_definitions():
    assert _cards("""
        ## 脚注
        正文[^1]，见 [文档][doc]。

        [^1]: 脚注内容
        [注]: 这是一句说明
        [doc]: https://example.com/doc "标题"
        """) == [
        ("脚注", "正文[^1]，见 [文档](https://example.com/doc)。\n\n[^1]: 脚注内容\n[注]: 这是一句说明")
    ]


def test_numbered_question_may_hold_math_but_a_bold_sentence_with_math_is_body():
    assert _cards("""
        **3、$L_2$ 正则为什么有效？**
        权重衰减。
        **注意 $\\lambda$ 不能太大**
        """) == [("$L_2$ 正则为什么有效？", "权重衰减。\n**注意 $\\lambda$ 不能太大**")]
