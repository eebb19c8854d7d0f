"""A document as plain text, for media that carry no markup: a reply letter pasted into an
e-mail, a printed letter. The third back end beside ``html`` and ``pdf``: it walks the same
document nodes, so a section composed once reads the same in a letter and in a page.
"""

from __future__ import annotations

from results.reports import document as node


def _cell(value: node.CellValue) -> str:
    content = node.as_cell(value).content
    if isinstance(content, str):
        return content
    return "".join(span if isinstance(span, str) else span.text for span in content.spans)


def block_lines(block: node.Block) -> list[str]:
    """The block's lines of text, with no blank lines added: the letter decides its spacing."""
    if isinstance(block, node.Heading):
        return [block.text]
    if isinstance(block, node.Paragraph):
        return list(block.lines)
    if isinstance(block, node.Items):
        return [f"{node.ITEM_MARK}{item}" for item in block.items]
    if isinstance(block, node.KeyValues):
        return [f"{key}: {value}" for key, value in block.pairs]
    if isinstance(block, node.Table):
        rows = [block.headers, *(tuple(_cell(c) for c in row.cells) for row in block.rows)]
        return [" | ".join(row) for row in rows]
    if isinstance(block, node.Chart | node.Photo):
        return [block.caption]  # a plain-text medium shows a figure by its caption
    return [line for child in block.children for line in block_lines(child)]
