import { ShardError } from '../errors';
import type { Column, JsonValue, OpenOptions } from './types';

/** Names used for the document text by common corpora (C4, Dolma, RedPajama, The Pile, FineWeb, ...), best first. */
export const TEXT_FIELD_NAMES = [
  'text', 'content', 'document', 'raw_content', 'body', 'contents', 'article', 'passage',
  'markdown', 'story', 'sentence', 'code', 'question', 'prompt', 'response', 'completion',
] as const;

function isStringType(type: string): boolean {
  return /^(string|utf8|largeutf8|utf8view)\b/i.test(type) || /^Dictionary<.*(Utf8|string)>$/i.test(type);
}

/**
 * The text field: the requested one (which must exist), else the preferred one if it is a column,
 * else a column with a common text name (case-insensitive), else the first string column, else
 * undefined.
 */
export function detectTextField(file: string, columns: Column[], choice: Pick<OpenOptions, 'textField' | 'preferTextField'> = {}): string | undefined {
  const requested = choice.textField;
  if (requested !== undefined) {
    if (!columns.some((c) => c.name === requested)) {
      const names = columns.map((c) => c.name).join(', ') || '(none)';
      throw new ShardError(file, `text field "${requested}" is not a column; columns are: ${names}`);
    }
    return requested;
  }
  if (choice.preferTextField !== undefined && columns.some((c) => c.name === choice.preferTextField)) return choice.preferTextField;
  for (const name of TEXT_FIELD_NAMES) {
    const column = columns.find((c) => c.name.toLowerCase() === name && isStringType(c.type));
    if (column) return column.name;
  }
  return columns.find((c) => isStringType(c.type))?.name;
}

/** The text of a field value: strings as they are, missing/null as '', anything else as JSON. */
export function textOf(value: JsonValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return JSON.stringify(value);
}
