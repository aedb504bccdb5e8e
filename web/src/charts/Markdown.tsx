import type { ReactNode } from 'react';

/*
 * A README from a chart archive is untrusted. It is rendered from a small Markdown subset straight
 * into React elements (headings, paragraphs, lists, fenced code, inline code, bold, http(s) links):
 * every character of the source ends up as text, so embedded HTML shows as written and can never run.
 */

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'paragraph'; text: string };

const MAX_BLOCKS = 2_000;

export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length && blocks.length < MAX_BLOCKS) {
    const line = lines[i] ?? '';
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trimStart().startsWith(fence[1] ?? '```'))
        body.push(lines[i++] ?? '');
      i++;
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      i++;
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1] ?? '');
      const items: string[] = [];
      while (i < lines.length) {
        const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i] ?? '');
        if (!m || /\d/.test(m[1] ?? '') !== ordered) break;
        items.push(m[2] ?? '');
        i++;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    // Tables and indented code keep their layout as preformatted text.
    if (/^\s*\|/.test(line) || /^( {4}|\t)/.test(line)) {
      const body: string[] = [];
      const table = /^\s*\|/.test(line);
      while (i < lines.length && (table ? /^\s*\|/ : /^( {4}|\t)/).test(lines[i] ?? ''))
        body.push(lines[i++] ?? '');
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      (lines[i] ?? '').trim() !== '' &&
      !/^(#{1,6}\s|\s*```|\s*~~~|\s*([-*+]|\d+[.)])\s)/.test(lines[i] ?? '')
    )
      para.push(lines[i++] ?? '');
    blocks.push({ kind: 'paragraph', text: para.join(' ') });
  }
  return blocks;
}

/** `code`, **bold** and [text](http…) links; anything else stays literal text. */
function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index;
    if (at > last) out.push(text.slice(last, at));
    if (m[1] !== undefined) out.push(<code key={at}>{m[1]}</code>);
    else if (m[2] !== undefined) out.push(<strong key={at}>{m[2]}</strong>);
    else {
      const href = m[4] ?? '';
      // Only absolute http(s) links: a javascript: or data: URL would run in the console's origin.
      out.push(
        /^https?:\/\//i.test(href) ? (
          <a key={at} href={href} rel="noopener noreferrer nofollow" target="_blank">
            {m[3]}
          </a>
        ) : (
          m[3]
        ),
      );
    }
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source }: { source: string }) {
  return (
    <>
      {parseBlocks(source).map((block, i) => {
        switch (block.kind) {
          case 'heading': {
            // Page headings end at h2: README headings start one level below the section's.
            const Tag = (['h3', 'h4', 'h5', 'h6', 'h6', 'h6'] as const)[block.level - 1] ?? 'h6';
            return <Tag key={i}>{inline(block.text)}</Tag>;
          }
          case 'code':
            return <pre key={i}>{block.text}</pre>;
          case 'list': {
            const items = block.items.map((item, j) => <li key={j}>{inline(item)}</li>);
            return block.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
          }
          case 'paragraph':
            return <p key={i}>{inline(block.text)}</p>;
        }
      })}
    </>
  );
}
