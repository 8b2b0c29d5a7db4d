/** Reading what the CLI stored, straight from the SQLite file. */
import Database from 'better-sqlite3';

export interface MessageRow {
  id: number;
  session_id: string;
  role: string;
  content: string;
  status: string;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached: number;
}

export function readRows<T>(path: string, sql: string, ...parameters: unknown[]): T[] {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).all(...parameters) as T[];
  } finally {
    database.close();
  }
}

export function messageRows(path: string): MessageRow[] {
  return readRows<MessageRow>(path, 'SELECT * FROM messages ORDER BY id');
}
