// Cloudflare D1 in the isolate: the D1Database behind each [[d1_databases]] binding.
// Statements run on the host (runtime/d1: a local SQLite file per database);
// values are checked at bind() as D1 checks them, and results take D1's shapes:
// rows as objects (all/first/run) or arrays (raw), blobs as arrays of byte values,
// errors as Error("D1_ERROR: ...").
import { hostAsk, registerBinding } from "./host";
import { bytesToBase64 } from "./kv";

type Wire = null | number | string | { b64: string };
interface WireResult { columns: string[]; rows: unknown[][]; meta: Record<string, unknown> }
interface StatementData { db: D1Database; sql: string; params: Wire[] }

const statements = new WeakMap<object, StatementData>();

function typeError(value: unknown): Error {
  let shown: string;
  try { shown = String(value); } catch { shown = Object.prototype.toString.call(value); }
  return new Error(`D1_TYPE_ERROR: Type '${typeof value}' not supported for value '${shown}'`);
}

function encode(value: unknown): Wire {
  if (value === null) return null;
  switch (typeof value) {
    case "string": return value;
    case "boolean": return value ? 1 : 0;
    case "number":
      if (!Number.isFinite(value)) throw typeError(value);
      return value;
    default: break;
  }
  if (value instanceof ArrayBuffer) return { b64: bytesToBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) {
    return { b64: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  throw typeError(value);
}

function rowObject(columns: string[], row: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    Object.defineProperty(out, columns[i], { value: row[i], writable: true, enumerable: true, configurable: true });
  }
  return out;
}

function d1Result(r: WireResult): { success: true; meta: Record<string, unknown>; results: Record<string, unknown>[] } {
  return { success: true, meta: r.meta, results: r.rows.map((row) => rowObject(r.columns, row)) };
}

function dataOf(statement: unknown, method: string): StatementData {
  const data = typeof statement === "object" && statement !== null ? statements.get(statement) : undefined;
  if (data === undefined) throw new TypeError(`D1 ${method}(): expected a statement made by prepare()`);
  return data;
}

async function query(db: D1Database, binding: string, list: StatementData[], batch: boolean): Promise<WireResult[]> {
  for (const s of list) {
    if (s.db !== db) throw new TypeError("D1 batch(): every statement must come from this database's prepare()");
  }
  return hostAsk<WireResult[]>("d1.query", { binding, batch, statements: list.map((s) => ({ sql: s.sql, params: s.params })) });
}

export class D1PreparedStatement {
  constructor(data: StatementData) {
    statements.set(this, data);
  }

  bind(...values: unknown[]): D1PreparedStatement {
    const data = dataOf(this, "bind");
    return new D1PreparedStatement({ db: data.db, sql: data.sql, params: values.map(encode) });
  }

  async first(column?: unknown): Promise<unknown> {
    const data = dataOf(this, "first");
    const [r] = await data.db[RUN]([data]);
    const row = r.rows[0];
    if (row === undefined) return null;
    const object = rowObject(r.columns, row);
    if (column === undefined) return object;
    const name = String(column);
    if (!r.columns.includes(name)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${name})`);
    return object[name];
  }

  async all(): Promise<unknown> {
    const data = dataOf(this, "all");
    const [r] = await data.db[RUN]([data]);
    return d1Result(r);
  }

  async run(): Promise<unknown> {
    const data = dataOf(this, "run");
    const [r] = await data.db[RUN]([data]);
    return d1Result(r);
  }

  async raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    const data = dataOf(this, "raw");
    const [r] = await data.db[RUN]([data]);
    return options?.columnNames ? [r.columns, ...r.rows] : r.rows;
  }
}
Object.defineProperty(D1PreparedStatement.prototype, Symbol.toStringTag, { value: "D1PreparedStatement", configurable: true });

const RUN = Symbol("run");
const BINDING = new WeakMap<object, string>();

export class D1Database {
  constructor(binding: string) {
    BINDING.set(this, binding);
  }

  prepare(sql: unknown): D1PreparedStatement {
    if (typeof sql !== "string") throw new TypeError("D1 prepare(): the query must be a string");
    return new D1PreparedStatement({ db: this, sql, params: [] });
  }

  async batch(list: unknown): Promise<unknown[]> {
    if (!Array.isArray(list)) throw new TypeError("D1 batch(): expected an array of prepared statements");
    if (list.length === 0) return [];
    const results = await this[RUN](list.map((s) => dataOf(s, "batch")), true);
    return results.map(d1Result);
  }

  async exec(sql: unknown): Promise<{ count: number; duration: number }> {
    if (typeof sql !== "string") throw new TypeError("D1 exec(): the query must be a string");
    return hostAsk<{ count: number; duration: number }>("d1.exec", { binding: this.#binding(), sql });
  }

  withSession(_constraintOrBookmark?: unknown): unknown {
    // One local database has no replicas: a session is the database itself, with no bookmark to carry.
    const db = this;
    return Object.freeze({
      prepare: (sql: unknown) => db.prepare(sql),
      batch: (list: unknown) => db.batch(list),
      getBookmark: () => null,
    });
  }

  async dump(): Promise<ArrayBuffer> {
    throw new Error("D1 dump() is deprecated in D1 and not supported by isoplay; read the local SQLite file "
      + "under .isoplay/d1/ instead");
  }

  [RUN](list: StatementData[], batch = false): Promise<WireResult[]> {
    return query(this, this.#binding(), list, batch);
  }

  #binding(): string {
    const name = BINDING.get(this);
    if (name === undefined) throw new TypeError("D1: not a database binding");
    return name;
  }
}
Object.defineProperty(D1Database.prototype, Symbol.toStringTag, { value: "D1Database", configurable: true });

registerBinding("d1", (name) => new D1Database(name));
