// Reads and writes labelled JSON lines files ({"text": "...", "label": "ham" | "spam"} per line; any case,
// or 0 / 1 for ham / spam, is read too), the
// trainer's only input format, so anyone can train on their own mail by producing such a file.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const LABELS = ['ham', 'spam'] as const;
export type Label = (typeof LABELS)[number];

export interface LabelledText {
  text: string;
  label: Label;
}

/** A malformed line: the message names the file and the 1-based line number. */
export class JsonlFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'JsonlFormatError';
  }
}

/** Parses JSON lines content; blank lines are skipped, anything else must be a valid labelled object. */
export function parseLabelledJsonl(content: string, file: string): LabelledText[] {
  const out: LabelledText[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    out.push(parseLine(raw, file, i + 1));
  }
  if (out.length === 0) throw new JsonlFormatError(file, 1, 'no examples in file');
  return out;
}

function parseLine(raw: string, file: string, line: number): LabelledText {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new JsonlFormatError(file, line, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JsonlFormatError(file, line, 'expected a JSON object {"text": ..., "label": ...}');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.text !== 'string') throw new JsonlFormatError(file, line, '"text" must be a string');
  const label = labelOf(record.label);
  if (!label) throw new JsonlFormatError(file, line, `"label" must be "ham" or "spam" (any case), or 0 (ham) or 1 (spam), got ${JSON.stringify(record.label)}`);
  return { text: record.text, label };
}

/** The spellings datasets use: "ham"/"spam" in any case, or 1 for spam and 0 for ham ("is spam"). */
function labelOf(value: unknown): Label | undefined {
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    return lower === 'ham' || lower === 'spam' ? lower : undefined;
  }
  if (value === 0 || value === 1) return value === 1 ? 'spam' : 'ham';
  return undefined;
}

export function readLabelledJsonl(file: string): LabelledText[] {
  return parseLabelledJsonl(readFileSync(file, 'utf8'), file);
}

export function writeLabelledJsonl(file: string, rows: readonly LabelledText[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
}
